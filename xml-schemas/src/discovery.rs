//! The discovery response: the register map's answer to "who provides this evidence type for
//! this area?", signed by the map with a `ds:Signature` as the last child
//! ([`crate::dsig::Placement::LastChild`]). XSD: `schemas/discovery.xsd`.
//!
//! Either the providers, best first, or, like the additional-input error of the OOTS Data Service
//! Directory, the input that is missing: e.g. `jurisdiction` when the evidence type is served per
//! municipality and no key or one too coarse was given. Read as strictly as
//! [`crate::descriptor`], with the same rules for member ids, keys, fingerprints and levels.

use time::OffsetDateTime;

use crate::EdmError;
use crate::descriptor::{
    AREA_KEY_RULE, Children, DATE_TIME_RULE, LEVEL_RULE, MAX_JURISDICTIONS, MAX_REGISTERS,
    MEMBER_RULE, REGISTER_ID_RULE, SHA256_RULE, TOKEN_RULE, URL_RULE, area_key, date_time,
    elements, https_url, level, member_id, owned_if, register_id, sha256, token,
};
use crate::level::Level;
use crate::slots::write::{date_time_text, element, simple_element};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
use crate::write::Writer;

/// The namespace of discovery responses.
pub const NAMESPACE: &str = "urn:once:discovery:1";

/// Most providers in one answer.
pub const MAX_PROVIDERS: usize = MAX_REGISTERS;

/// The map's answer to a discovery query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryResponse {
    /// When the map answered.
    pub issue_date_time: OffsetDateTime,
    /// The evidence type classification asked for.
    pub evidence_type: String,
    /// The official area key asked for, if any.
    pub jurisdiction: Option<String>,
    /// The providers, or what input is missing.
    pub outcome: DiscoveryOutcome,
}

/// What the map found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryOutcome {
    /// The registers that can give the evidence, in rank order (none: nobody provides it there).
    Providers(Vec<DiscoveredProvider>),
    /// The query lacks an input the answer depends on.
    MissingInput {
        /// The query parameter, e.g. `jurisdiction`.
        parameter: String,
        /// What to give, for a person.
        message: String,
    },
}

/// A register that can give the evidence, with the node that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredProvider {
    /// 1 is best.
    pub rank: u32,
    /// The level at which the register matched the area asked for.
    pub match_level: Level,
    /// The member id of the node.
    pub member: String,
    /// The member's name.
    pub name: String,
    /// The node's peer endpoint, an https URL.
    pub peer_endpoint: String,
    /// SHA-256 of the node's TLS certificate (DER), 64 lowercase hex digits.
    pub tls_certificate_sha256: String,
    /// The register's id at the node.
    pub register_id: String,
    /// The official keys of the areas the register serves; none: the whole country.
    pub jurisdictions: Vec<String>,
}

impl DiscoveryResponse {
    /// Reads an answer from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<DiscoveryResponse, EdmError> {
        DiscoveryResponse::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads an answer from a parsed tree; a `ds:Signature` last child is left to
    /// [`crate::dsig::verify`]. Providers out of rank order are refused.
    pub fn from_element(root: &Element) -> Result<DiscoveryResponse, EdmError> {
        let mut doc = Children::root(root, NAMESPACE, "DiscoveryResponse")?;
        let issue_date_time = doc.value("IssueDateTime", DATE_TIME_RULE, date_time)?;
        let evidence_type = doc.value("EvidenceType", TOKEN_RULE, owned_if(token))?;
        let jurisdiction = doc.optional_value("Jurisdiction", AREA_KEY_RULE, owned_if(area_key))?;
        let outcome = if let Some(missing) = doc.optional("MissingInput") {
            let path = "DiscoveryResponse: MissingInput";
            let mut missing = Children::of(missing, NAMESPACE, path.to_owned())?;
            let outcome = DiscoveryOutcome::MissingInput {
                parameter: missing.value(
                    "Parameter",
                    "a parameter name (a letter, then up to 63 of A-Z a-z 0-9 . _ -)",
                    owned_if(parameter),
                )?,
                message: missing.text("Message")?,
            };
            missing.finish()?;
            outcome
        } else {
            let path = "DiscoveryResponse: Providers";
            let mut providers = Children::of(doc.required("Providers")?, NAMESPACE, path.into())?;
            let found = providers
                .repeated("Provider", MAX_PROVIDERS)?
                .into_iter()
                .enumerate()
                .map(|(i, p)| provider(p, &format!("{path}: Provider[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            providers.finish()?;
            if let Some(pair) = found.windows(2).find(|pair| pair[1].rank < pair[0].rank) {
                return Err(EdmError::invalid(format!(
                    "{path}: providers must come in rank order, but rank {} follows {}",
                    pair[1].rank, pair[0].rank
                )));
            }
            DiscoveryOutcome::Providers(found)
        };
        doc.finish()?;
        Ok(DiscoveryResponse {
            issue_date_time,
            evidence_type,
            jurisdiction,
            outcome,
        })
    }

    /// Writes the answer as XML that validates against `schemas/discovery.xsd` (given values in
    /// their forms), providers in rank order; a character XML 1.0 does not allow is refused with
    /// the field it is in (e.g. `Providers/Provider[0]/Name`).
    pub fn try_to_xml(&self) -> Result<String, InvalidText> {
        self.write().finish()
    }

    /// Writes the answer as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`DiscoveryResponse::try_to_xml`].
    pub fn to_xml(&self) -> String {
        self.write().into_lossy()
    }

    fn write(&self) -> Writer {
        let mut out = Writer::with_capacity(1024);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DiscoveryResponse xmlns=\"");
        out.push_str(NAMESPACE);
        out.push_str("\">");
        simple_element(
            &mut out,
            "IssueDateTime",
            &date_time_text(self.issue_date_time),
        );
        simple_element(&mut out, "EvidenceType", &self.evidence_type);
        if let Some(jurisdiction) = &self.jurisdiction {
            simple_element(&mut out, "Jurisdiction", jurisdiction);
        }
        match &self.outcome {
            DiscoveryOutcome::Providers(providers) => {
                let mut ranked: Vec<&DiscoveredProvider> = providers.iter().collect();
                ranked.sort_by_key(|p| p.rank);
                element(&mut out, "Providers", |out| {
                    for (i, p) in ranked.into_iter().enumerate() {
                        out.push_str("<Provider>");
                        out.within(|| format!("Provider[{i}]"), |out| p.write(out));
                        out.push_str("</Provider>");
                    }
                });
            }
            DiscoveryOutcome::MissingInput { parameter, message } => {
                element(&mut out, "MissingInput", |out| {
                    simple_element(out, "Parameter", parameter);
                    simple_element(out, "Message", message);
                });
            }
        }
        out.push_str("</DiscoveryResponse>\n");
        out
    }
}

impl DiscoveredProvider {
    fn write(&self, out: &mut Writer) {
        simple_element(out, "Rank", &self.rank.to_string());
        simple_element(out, "MatchLevel", self.match_level.as_str());
        simple_element(out, "Member", &self.member);
        simple_element(out, "Name", &self.name);
        simple_element(out, "PeerEndpoint", &self.peer_endpoint);
        simple_element(out, "TlsCertificateSha256", &self.tls_certificate_sha256);
        simple_element(out, "RegisterId", &self.register_id);
        elements(out, "Jurisdiction", &self.jurisdictions);
    }
}

fn provider(element: &Element, path: &str) -> Result<DiscoveredProvider, EdmError> {
    let mut p = Children::of(element, NAMESPACE, path.to_owned())?;
    let provider = DiscoveredProvider {
        rank: p.value("Rank", "a rank of 1 or more, digits only", |s| {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
                .filter(|rank| *rank >= 1)
        })?,
        match_level: p.value("MatchLevel", LEVEL_RULE, level)?,
        member: p.value("Member", MEMBER_RULE, owned_if(member_id))?,
        name: p.text("Name")?,
        peer_endpoint: p.value("PeerEndpoint", URL_RULE, owned_if(https_url))?,
        tls_certificate_sha256: p.value("TlsCertificateSha256", SHA256_RULE, sha256)?,
        register_id: p.value("RegisterId", REGISTER_ID_RULE, owned_if(register_id))?,
        jurisdictions: p.values(
            "Jurisdiction",
            MAX_JURISDICTIONS,
            AREA_KEY_RULE,
            owned_if(area_key),
        )?,
    };
    p.finish()?;
    Ok(provider)
}

/// A letter, then up to 63 of `A-Z a-z 0-9 . _ -` (as in the XSD).
fn parameter(text: &str) -> bool {
    text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
