//! The versions of the OOTS Evidence Data Model: what a message announces in its
//! `SpecificationIdentifier` slot, and what differs on the wire between them.
//!
//! Every message of one exchange is written in one version, the one the provider announces in
//! the Data Service Directory (`sdg:AccessService/sdg:ConformsTo`); a provider answers in the
//! version of the request. The readers of this crate accept every version here and record it in
//! the message (`version`); the writers write the message's `version`, [`EdmVersion::V1_0`]
//! unless the caller picks another.
//!
//! What this crate knows of each version, and from where:
//!
//! | | 1.0 | 1.1 | 1.2 | 2.0 |
//! |---|---|---|---|---|
//! | Semantic Repository host | `sr.oots.tech.europa.eu` | `sr.oots.tech.ec.europa.eu` | same | same |
//! | distributions (`ConformsTo`) under | `distributions/` | `datamodels/` | same | same |
//! | `PreviewRequired` severity | `urn:sr.oots.tech.europa.eu:…` | `urn:sr.oots.tech.ec.europa.eu:…` | same | same |
//! | `Procedure` slot | `InternationalStringValueType` | same | same | `StringValueType` |
//! | evidence in the response | `RegistryObject`s | same | same | one `RegistryPackage` of them |
//!
//! 1.0: the Commission's EDM 1.0 Schematron rules (`schematron/edm-1.0/`), which are the test of
//! this crate's writer. 1.2: the Semantic Repository's example messages
//! (`tests/data/oots-samples/pyregrep-edm-v1.2/`). 2.0: the French node's reference messages
//! (`tests/data/oots-samples/oots-france/`). 1.1: no rules or samples were available; it is
//! written as 1.2 (the host changed after 1.0, the brief of this crate says so, and no later
//! version went back).

use std::fmt;
use std::str::FromStr;

use crate::EdmError;

/// A version of the Evidence Data Model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum EdmVersion {
    /// `oots-edm:v1.0`, the version whose business rules this crate checks against; written
    /// unless another is chosen.
    #[default]
    V1_0,
    /// `oots-edm:v1.1`.
    V1_1,
    /// `oots-edm:v1.2`.
    V1_2,
    /// `oots-edm:v2.0` (2.0.x).
    V2_0,
}

/// The Semantic Repository of EDM 1.0, with the trailing slash.
pub(crate) const SR_1_0: &str = "https://sr.oots.tech.europa.eu/";
/// The Semantic Repository of the later versions, with the trailing slash.
pub(crate) const SR_EC: &str = "https://sr.oots.tech.ec.europa.eu/";

impl EdmVersion {
    /// Every version, oldest first.
    pub const ALL: [EdmVersion; 4] = [
        EdmVersion::V1_0,
        EdmVersion::V1_1,
        EdmVersion::V1_2,
        EdmVersion::V2_0,
    ];

    /// The value of the `SpecificationIdentifier` slot, e.g. `oots-edm:v1.0`.
    pub fn identifier(self) -> &'static str {
        match self {
            EdmVersion::V1_0 => "oots-edm:v1.0",
            EdmVersion::V1_1 => "oots-edm:v1.1",
            EdmVersion::V1_2 => "oots-edm:v1.2",
            EdmVersion::V2_0 => "oots-edm:v2.0",
        }
    }

    /// The version a `SpecificationIdentifier` names, if this crate reads it.
    pub fn from_identifier(identifier: &str) -> Option<EdmVersion> {
        EdmVersion::ALL
            .into_iter()
            .find(|v| v.identifier() == identifier)
    }

    /// The Semantic Repository base URI of this version, with the trailing slash.
    pub(crate) fn sr_base(self) -> &'static str {
        match self {
            EdmVersion::V1_0 => SR_1_0,
            _ => SR_EC,
        }
    }

    /// The Semantic Repository folder of the data models evidence conforms to.
    pub(crate) fn sr_distributions(self) -> &'static str {
        match self {
            EdmVersion::V1_0 => "distributions/",
            _ => "datamodels/",
        }
    }

    /// Whether the `Procedure` slot is a `rim:StringValueType` (2.0) rather than a
    /// `rim:InternationalStringValueType`.
    pub(crate) fn procedure_is_string(self) -> bool {
        self == EdmVersion::V2_0
    }

    /// Whether a response packs its evidence into one `rim:RegistryPackageType` (2.0).
    pub(crate) fn packaged_response(self) -> bool {
        self == EdmVersion::V2_0
    }
}

impl fmt::Display for EdmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.identifier())
    }
}

impl FromStr for EdmVersion {
    type Err = EdmError;

    /// A `SpecificationIdentifier` this crate reads; another is EDM:ERR:0003 naming those it
    /// reads.
    fn from_str(s: &str) -> Result<EdmVersion, EdmError> {
        EdmVersion::from_identifier(s).ok_or_else(|| {
            EdmError::invalid(format!(
                "SpecificationIdentifier {s:?} is not a version this node reads ({})",
                EdmVersion::ALL.map(EdmVersion::identifier).join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_read_back_and_others_are_refused() {
        for version in EdmVersion::ALL {
            assert_eq!(version.identifier().parse::<EdmVersion>(), Ok(version));
            assert_eq!(version.to_string(), version.identifier());
        }
        assert_eq!(EdmVersion::default(), EdmVersion::V1_0);
        for other in ["oots-edm:v3.0", "oots-edm:v1.0 ", "OOTS-EDM:V1.0", ""] {
            let e = other.parse::<EdmVersion>().expect_err(other);
            assert!(
                e.detail.contains("oots-edm:v1.0, oots-edm:v1.1"),
                "{}",
                e.detail
            );
        }
    }

    #[test]
    fn what_differs_between_versions() {
        assert_eq!(
            EdmVersion::V1_0.sr_base(),
            "https://sr.oots.tech.europa.eu/"
        );
        for later in [EdmVersion::V1_1, EdmVersion::V1_2, EdmVersion::V2_0] {
            assert_eq!(later.sr_base(), "https://sr.oots.tech.ec.europa.eu/");
            assert_eq!(later.sr_distributions(), "datamodels/");
        }
        assert_eq!(EdmVersion::V1_0.sr_distributions(), "distributions/");
        assert!(EdmVersion::V2_0.procedure_is_string() && EdmVersion::V2_0.packaged_response());
        assert!(!EdmVersion::V1_2.procedure_is_string() && !EdmVersion::V1_2.packaged_response());
    }
}
