//! `[oots]`: this node as a participant of the EU Once-Only Technical System, and the profile of
//! the message layer each exchange speaks.
//!
//! - `de` (the national profile) identifies members by their member id, persons by the
//!   identification number (IDNr) where known, and carries German procedures and legal bases
//!   as text;
//! - `oots` (the EU profile) writes what the Commission's EDM rules require: agents with EAS
//!   identifiers and classification, persons with their eIDAS identifier and level of
//!   assurance, Semantic Repository evidence-type URIs and distributions, procedures from the
//!   Procedures code list.

use once_pki::MemberId;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The profile of the message layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The national profile (OOTS with the documented German deviations).
    #[default]
    De,
    /// The EU profile: the Commission's EDM rules, strictly.
    Oots,
}

/// The agent identifier schemes the EDM rules accept: an EAS code, or a scheme of one's own
/// under the ebCore "unregistered" party id type.
const EAS_PREFIX: &str = "urn:cef.eu:names:identifier:EAS:";
const UNREGISTERED_PREFIX: &str = "urn:oasis:names:tc:ebcore:partyid-type:unregistered";

/// The Semantic Repository, in the form of EDM 1.0 (later versions' URIs are compared in it).
const SR: &str = "https://sr.oots.tech.europa.eu/";

/// Whether `uri` is a Semantic Repository URI in `folder` (`requirements/`, …), under either
/// host of the SR.
pub fn is_sr(uri: &str, folder: &str) -> bool {
    once_xml::sr::canonical(uri.trim())
        .strip_prefix(SR)
        .and_then(|rest| rest.strip_prefix(folder))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

fn check_sr(field: &str, uri: &str, folder: &str) -> Result<(), ConfigError> {
    if is_sr(uri, folder) {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            format!("{uri:?} is not a Semantic Repository URI {SR}{folder}…"),
        ))
    }
}

/// Whether two agent identifier schemes are the same: equal, or the same EAS code, one given
/// as the URN and the other bare (`0204`), as some implementations write it.
pub fn same_scheme(configured: &str, given: &str) -> bool {
    let code = |s: &str| {
        s.trim()
            .strip_prefix(EAS_PREFIX)
            .unwrap_or(s.trim())
            .to_owned()
    };
    configured.trim() == given.trim()
        || (configured.trim().starts_with(EAS_PREFIX) && code(configured) == code(given))
}

/// The EDM versions this node writes.
pub const SPECIFICATIONS: [&str; 3] = ["oots-edm:v1.0", "oots-edm:v1.1", "oots-edm:v1.2"];

/// `[oots]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OotsConfig {
    /// The scheme of this authority's OOTS agent identifier: an EAS code as a URN
    /// (`urn:cef.eu:names:identifier:EAS:0204` for a German Leitweg-ID) or a scheme under
    /// `urn:oasis:names:tc:ebcore:partyid-type:unregistered`.
    pub agent_scheme: String,
    /// This authority's OOTS agent identifier in that scheme.
    pub agent_id: String,
    /// ISO 3166-1 alpha-2 code of this authority's country (`DE`); `EL` for Greece, as OOTS
    /// writes it.
    pub country: String,
    /// The EDM version this node writes (`oots-edm:v1.0`, `v1.1` or `v1.2`); requests of every
    /// one of these are read.
    #[serde(default = "default_specification")]
    pub specification: String,
    /// The evidence types of this node in OOTS terms: the Semantic Repository classification
    /// and distribution of each (from the Evidence Broker).
    #[serde(default)]
    pub evidence_types: Vec<OotsEvidenceType>,
    /// Other members' OOTS agent identifiers (an OOTS request names its requester by these,
    /// not by member id).
    #[serde(default)]
    pub members: Vec<OotsMember>,
}

fn default_specification() -> String {
    SPECIFICATIONS[0].to_owned()
}

/// An evidence type in OOTS terms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OotsEvidenceType {
    /// The node's evidence type, e.g. `urn:once:evidence-type:residence-certificate`.
    pub evidence_type: String,
    /// Its Semantic Repository classification,
    /// `https://sr.oots.tech.europa.eu/evidencetypeclassifications/<CC>/<UUID>`.
    pub classification: String,
    /// The Semantic Repository distribution (data model) it conforms to,
    /// `https://sr.oots.tech.europa.eu/distributions/<scheme>`; required (the evidence is XML).
    #[serde(default)]
    pub conforms_to: Option<String>,
    /// The Semantic Repository requirement an OOTS request for it names,
    /// `https://sr.oots.tech.europa.eu/requirements/<UUID>`; a provider's access rules name it
    /// as the legal basis of OOTS requesters. Without it, a request in the `oots` profile must
    /// give a requirement URI as its `legal_basis`.
    #[serde(default)]
    pub requirement: Option<String>,
}

/// Another member's OOTS agent identifier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OotsMember {
    /// The member id (of its certificates).
    pub member: MemberId,
    /// Its agent identifier's scheme.
    pub agent_scheme: String,
    /// Its agent identifier.
    pub agent_id: String,
}

impl OotsConfig {
    /// Checks the values that need no I/O.
    pub fn check(&self, known_evidence_types: &[&str]) -> Result<(), ConfigError> {
        check_scheme("oots.agent_scheme", &self.agent_scheme)?;
        check_text("oots.agent_id", &self.agent_id)?;
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ConfigError::new(
                "oots.country",
                "must be a two-letter ISO 3166-1 code in capitals, e.g. DE",
            ));
        }
        if !SPECIFICATIONS.contains(&self.specification.as_str()) {
            return Err(ConfigError::new(
                "oots.specification",
                format!("must be one of {}", SPECIFICATIONS.join(", ")),
            ));
        }
        for (i, t) in self.evidence_types.iter().enumerate() {
            let field = |name: &str| format!("oots.evidence_types[{i}].{name}");
            if !known_evidence_types.contains(&t.evidence_type.as_str()) {
                return Err(ConfigError::new(
                    field("evidence_type"),
                    format!(
                        "{:?} is not an evidence type of this node; known: {}",
                        t.evidence_type,
                        known_evidence_types.join(", ")
                    ),
                ));
            }
            check_sr(
                &field("classification"),
                &t.classification,
                "evidencetypeclassifications/",
            )?;
            // This node's evidence is XML, and the EDM rules want the data model of XML
            // evidence named (R-EDM-RESP-C044a).
            match &t.conforms_to {
                Some(conforms_to) => {
                    check_sr(&field("conforms_to"), conforms_to, "distributions/")?
                }
                None => {
                    return Err(ConfigError::new(
                        field("conforms_to"),
                        "is required: the evidence is XML, and the EDM rules want its data model (https://sr.oots.tech.europa.eu/distributions/…, R-EDM-RESP-C044a)",
                    ));
                }
            }
            if let Some(requirement) = &t.requirement {
                check_sr(&field("requirement"), requirement, "requirements/")?;
            }
        }
        for (i, m) in self.members.iter().enumerate() {
            check_scheme(&format!("oots.members[{i}].agent_scheme"), &m.agent_scheme)?;
            check_text(&format!("oots.members[{i}].agent_id"), &m.agent_id)?;
        }
        Ok(())
    }

    /// The OOTS evidence type of the node's evidence type `evidence_type`.
    pub fn evidence_type(&self, evidence_type: &str) -> Option<&OotsEvidenceType> {
        self.evidence_types
            .iter()
            .find(|t| t.evidence_type == evidence_type)
    }

    /// The node's evidence type with the OOTS classification `classification` (compared
    /// without surrounding whitespace and without regard to the Semantic Repository's host,
    /// which differs between EDM versions).
    pub fn by_classification(&self, classification: &str) -> Option<&OotsEvidenceType> {
        let wanted = sr_path(classification.trim());
        self.evidence_types
            .iter()
            .find(|t| sr_path(&t.classification) == wanted)
    }

    /// The member an OOTS agent identifier names, if it is one configured in `[[oots.members]]`.
    pub fn member_of(&self, scheme: &str, id: &str) -> Option<&MemberId> {
        self.members
            .iter()
            .find(|m| same_scheme(&m.agent_scheme, scheme) && m.agent_id == id.trim())
            .map(|m| &m.member)
    }

    /// Whether an agent identifier names this authority's OOTS agent.
    pub fn is_me(&self, scheme: &str, id: &str) -> bool {
        same_scheme(&self.agent_scheme, scheme) && self.agent_id == id.trim()
    }

    /// The OOTS agent identifier of `member` configured in `[[oots.members]]`.
    pub fn agent_of(&self, member: &MemberId) -> Option<&OotsMember> {
        self.members.iter().find(|m| &m.member == member)
    }
}

/// A Semantic Repository URI without its host (`sr.oots.tech.europa.eu` in EDM 1.0,
/// `sr.oots.tech.ec.europa.eu` later).
fn sr_path(uri: &str) -> &str {
    [
        "https://sr.oots.tech.europa.eu/",
        "https://sr.oots.tech.ec.europa.eu/",
    ]
    .iter()
    .find_map(|host| uri.strip_prefix(host))
    .unwrap_or(uri)
}

fn check_scheme(field: &str, scheme: &str) -> Result<(), ConfigError> {
    let eas = scheme
        .strip_prefix(EAS_PREFIX)
        .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()));
    if eas || scheme.starts_with(UNREGISTERED_PREFIX) {
        return Ok(());
    }
    Err(ConfigError::new(
        field,
        format!(
            "{scheme:?} is neither an EAS code ({EAS_PREFIX}<code>) nor a scheme under {UNREGISTERED_PREFIX}"
        ),
    ))
}

fn check_text(field: &str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::new(field, "must not be empty"));
    }
    once_xml::text::check_line(field, value).map_err(|e| ConfigError::new(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OotsConfig {
        OotsConfig {
            agent_scheme: "urn:cef.eu:names:identifier:EAS:0204".into(),
            agent_id: "04011000-0001-12".into(),
            country: "DE".into(),
            specification: default_specification(),
            evidence_types: vec![OotsEvidenceType {
                evidence_type: "urn:once:evidence-type:residence-certificate".into(),
                classification:
                    "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/2c3b5f5a-0d8e-4c2f-9a41-5d1f3b1e7c11"
                        .into(),
                conforms_to: Some(
                    "https://sr.oots.tech.europa.eu/distributions/once-residence-certificate-1".into(),
                ),
                requirement: Some(
                    "https://sr.oots.tech.europa.eu/requirements/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
                        .into(),
                ),
            }],
            members: vec![OotsMember {
                member: "AT:GOV:familienbeihilfe".parse().expect("member"),
                agent_scheme: "urn:cef.eu:names:identifier:EAS:9915".into(),
                agent_id: "AT-FB-0001".into(),
            }],
        }
    }

    #[test]
    fn a_sound_section_passes_and_each_wrong_field_is_named() {
        let known = ["urn:once:evidence-type:residence-certificate"];
        assert_eq!(config().check(&known), Ok(()));
        type Spoil = fn(&mut OotsConfig);
        let cases: [(&str, Spoil); 9] = [
            ("oots.evidence_types[0].conforms_to", |c| {
                c.evidence_types[0].conforms_to = None
            }),
            ("oots.agent_scheme", |c| {
                c.agent_scheme = "urn:once:member".into()
            }),
            ("oots.country", |c| c.country = "de".into()),
            ("oots.specification", |c| {
                c.specification = "oots-edm:v9".into()
            }),
            ("oots.evidence_types[0].evidence_type", |c| {
                c.evidence_types[0].evidence_type = "urn:x".into()
            }),
            ("oots.evidence_types[0].classification", |c| {
                c.evidence_types[0].classification = "urn:once:evidence-type:x".into()
            }),
            ("oots.evidence_types[0].conforms_to", |c| {
                c.evidence_types[0].conforms_to =
                    Some("https://sr.oots.tech.europa.eu/requirements/x".into())
            }),
            ("oots.evidence_types[0].requirement", |c| {
                c.evidence_types[0].requirement = Some("§ 9 BEEG".into())
            }),
            ("oots.members[0].agent_id", |c| {
                c.members[0].agent_id = " ".into()
            }),
        ];
        for (field, spoil) in cases {
            let mut c = config();
            spoil(&mut c);
            assert_eq!(c.check(&known).map_err(|e| e.field), Err(field.to_owned()));
        }
    }

    #[test]
    fn classifications_match_across_semantic_repository_hosts_and_agents_map_to_members() {
        let c = config();
        let later = "  https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/2c3b5f5a-0d8e-4c2f-9a41-5d1f3b1e7c11\n";
        assert!(c.by_classification(later).is_some());
        assert!(
            c.by_classification(
                "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/other"
            )
            .is_none()
        );
        for scheme in ["urn:cef.eu:names:identifier:EAS:9915", "9915", " 9915 "] {
            let member = c.member_of(scheme, " AT-FB-0001 ");
            assert_eq!(
                member.map(MemberId::as_str),
                Some("AT:GOV:familienbeihilfe"),
                "{scheme}"
            );
        }
        assert!(c.member_of("9916", "AT-FB-0001").is_none());
        assert!(c.is_me("0204", "04011000-0001-12"));
        assert!(!c.is_me(
            "urn:oasis:names:tc:ebcore:partyid-type:unregistered:0204",
            "04011000-0001-12"
        ));
        assert!(
            c.member_of("urn:cef.eu:names:identifier:EAS:0204", "AT-FB-0001")
                .is_none()
        );
    }
}
