//! URIs of the OOTS Semantic Repository (SR): requirements, evidence type classifications and
//! the data models evidence conforms to.
//!
//! The SR moved with the EDM versions: 1.0 names it `https://sr.oots.tech.europa.eu/` and its
//! data models `distributions/`, the later versions `https://sr.oots.tech.ec.europa.eu/` and
//! `datamodels/` (see [`crate::version`]). The same requirement or evidence type is one
//! resource under either name, so the readers of this crate keep an SR URI in one form, the
//! [`canonical`] one (EDM 1.0's, the version written by default), and the writers write it in the
//! form of the message's version. A URI outside the SR is kept and written as it is.

use std::borrow::Cow;

use crate::version::{EdmVersion, SR_1_0, SR_EC};
use crate::write::Writer;

/// The folders of data models, in the 1.0 form first.
const DISTRIBUTIONS: [&str; 2] = ["distributions/", "datamodels/"];

/// An SR URI split into the part after the host, with the data models folder told apart.
struct SrPath<'a> {
    /// Whether the path is under a data models folder (`distributions/`, `datamodels/`).
    distribution: bool,
    /// The rest: after the data models folder, or the whole path.
    rest: &'a str,
}

fn split(uri: &str) -> Option<SrPath<'_>> {
    let path = uri
        .strip_prefix(SR_1_0)
        .or_else(|| uri.strip_prefix(SR_EC))?;
    Some(
        match DISTRIBUTIONS.iter().find_map(|d| path.strip_prefix(d)) {
            Some(rest) => SrPath {
                distribution: true,
                rest,
            },
            None => SrPath {
                distribution: false,
                rest: path,
            },
        },
    )
}

/// The form in which this crate keeps an SR URI: EDM 1.0's host (`sr.oots.tech.europa.eu`) and
/// data models folder (`distributions/`). Any other text is returned as it is.
pub fn canonical(uri: &str) -> Cow<'_, str> {
    in_version(uri, EdmVersion::V1_0)
}

/// An SR URI in the form of `version`; any other text as it is.
pub fn in_version(uri: &str, version: EdmVersion) -> Cow<'_, str> {
    let Some(path) = split(uri) else {
        return Cow::Borrowed(uri);
    };
    let folder = if path.distribution {
        version.sr_distributions()
    } else {
        ""
    };
    let base = version.sr_base();
    if uri.len() == base.len() + folder.len() + path.rest.len()
        && uri.starts_with(base)
        && uri[base.len()..].starts_with(folder)
    {
        return Cow::Borrowed(uri);
    }
    Cow::Owned(format!("{base}{folder}{}", path.rest))
}

/// Writes `uri` as element content in the form of `version`, without a copy.
pub(crate) fn write(out: &mut Writer, field: &str, uri: &str, version: EdmVersion) {
    match split(uri) {
        Some(path) => {
            out.push_str(version.sr_base());
            if path.distribution {
                out.push_str(version.sr_distributions());
            }
            out.text(field, path.rest);
        }
        None => out.text(field, uri),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIFICATION_1_0: &str = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/edf717b7-b373-40b1-b51b-cbb7c9d64de5";
    const CLASSIFICATION_EC: &str = "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/edf717b7-b373-40b1-b51b-cbb7c9d64de5";
    const MODEL_1_0: &str =
        "https://sr.oots.tech.europa.eu/distributions/secondary-education-evidence-1.0.0";
    const MODEL_EC: &str =
        "https://sr.oots.tech.ec.europa.eu/datamodels/secondary-education-evidence-1.0.0";

    #[test]
    fn either_host_reads_into_the_1_0_form() {
        assert_eq!(canonical(CLASSIFICATION_EC), CLASSIFICATION_1_0);
        assert!(matches!(canonical(CLASSIFICATION_1_0), Cow::Borrowed(_)));
        assert_eq!(canonical(MODEL_EC), MODEL_1_0);
        assert_eq!(
            canonical("https://sr.oots.tech.ec.europa.eu/distributions/x"),
            "https://sr.oots.tech.europa.eu/distributions/x"
        );
        for other in [
            "urn:once:evidence-type:residence-certificate",
            "https://sr.acc.oots.tech.ec.europa.eu/datamodels/x",
            "https://semic.org/sa/common/birthcert-1.0.0",
            "",
        ] {
            assert!(matches!(canonical(other), Cow::Borrowed(o) if o == other));
        }
    }

    #[test]
    fn written_in_the_form_of_the_version() {
        for (uri, version, want) in [
            (MODEL_1_0, EdmVersion::V1_0, MODEL_1_0),
            (MODEL_1_0, EdmVersion::V1_2, MODEL_EC),
            (MODEL_EC, EdmVersion::V1_0, MODEL_1_0),
            (CLASSIFICATION_1_0, EdmVersion::V2_0, CLASSIFICATION_EC),
            (CLASSIFICATION_EC, EdmVersion::V1_1, CLASSIFICATION_EC),
            ("urn:x:a&b", EdmVersion::V1_2, "urn:x:a&b"),
        ] {
            assert_eq!(in_version(uri, version), want);
            let mut out = Writer::with_capacity(0);
            write(&mut out, "f", uri, version);
            assert_eq!(out.finish().ok(), Some(want.replace('&', "&amp;")));
        }
    }
}
