//! What an application service asks for, checked at the boundary: every field that goes into
//! the request is validated here, and a wrong one is a [`RequestError::Invalid`] naming it.

use once_pki::MemberId;
use once_runtime::telemetry::TraceContext;
use once_xml::evidence::EvidenceKind;
use once_xml::request::{
    Distribution, EvidenceRequest, EvidenceType, Identifier, LocalizedText, NaturalPerson,
    Requirement, SPECIFICATION_IDENTIFIER, Subject, TAX_ID_SCHEME,
};
use once_xml::taxid::TaxId;
use once_xml::text;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::RequestError;
use crate::exchange::matching::parse_date;
use crate::exchange::{Identity, member_agent};

/// Longest text accepted in a name, the procedure or the legal basis, in bytes.
const MAX_TEXT: usize = 512;

/// What an application service asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    /// Evidence type classification, e.g. `urn:once:evidence-type:residence-certificate`.
    pub evidence_type: String,
    /// Whom the evidence is about.
    pub subject: SubjectInput,
    /// The procedure the evidence is needed for (as agreed in the provider's access rules).
    pub procedure: String,
    /// The legal basis of the request (as agreed in the provider's access rules).
    pub legal_basis: String,
    /// Where the person lives or the case is (AGS/ARS), to choose the provider.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// Offer the person a preview of the evidence before it is sent.
    #[serde(default)]
    pub preview: bool,
    /// When sending the request again after a preview: the PreviewLocation of the first answer.
    #[serde(default)]
    pub preview_location: Option<String>,
    /// Ask this provider (member id) instead of choosing one.
    #[serde(default)]
    pub provider: Option<String>,
    /// The trace this request belongs to (the application request's server span); the call to
    /// the provider becomes its child.
    #[serde(skip)]
    pub trace: Option<TraceContext>,
}

/// A natural person: identification number if known, names and date of birth always.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// The German tax identification number, 11 digits.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Family name.
    pub family_name: String,
    /// Given name(s).
    pub given_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
}

/// A query whose every field was checked.
#[derive(Debug, Clone)]
pub struct CheckedQuery {
    /// The evidence type.
    pub kind: EvidenceKind,
    /// The person's identification number, if given.
    pub tax_id: Option<TaxId>,
    /// Family name, trimmed.
    pub family_name: String,
    /// Given name(s), trimmed.
    pub given_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Procedure, trimmed.
    pub procedure: String,
    /// Legal basis, trimmed.
    pub legal_basis: String,
    /// Offer a preview (also when a PreviewLocation is given).
    pub preview: bool,
    /// The PreviewLocation of a first answer.
    pub preview_location: Option<String>,
}

impl EvidenceQuery {
    /// Checks every field that goes into the request.
    pub fn check(&self) -> Result<CheckedQuery, RequestError> {
        let invalid = RequestError::Invalid;
        // Every text that goes into XML, checked against XML 1.0's characters (single lines).
        let optional = |value: &Option<String>| value.as_deref().unwrap_or_default().to_owned();
        for (field, value) in [
            ("evidence_type", self.evidence_type.clone()),
            ("subject.tax_id", optional(&self.subject.tax_id)),
            ("subject.family_name", self.subject.family_name.clone()),
            ("subject.given_name", self.subject.given_name.clone()),
            ("subject.date_of_birth", self.subject.date_of_birth.clone()),
            ("procedure", self.procedure.clone()),
            ("legal_basis", self.legal_basis.clone()),
            ("jurisdiction", optional(&self.jurisdiction)),
            ("preview_location", optional(&self.preview_location)),
            ("provider", optional(&self.provider)),
        ] {
            text::check_line(field, &value).map_err(|e| invalid(e.to_string()))?;
        }
        let kind = EvidenceKind::from_classification(&self.evidence_type).ok_or_else(|| {
            invalid(format!(
                "evidence_type {:?} is unknown; known: {}",
                self.evidence_type,
                EvidenceKind::ALL
                    .iter()
                    .map(|k| k.classification())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let subject = &self.subject;
        let tax_id = subject
            .tax_id
            .as_deref()
            .map(|t| t.trim().parse::<TaxId>())
            .transpose()
            .map_err(|e| invalid(format!("subject.tax_id: {e}")))?;
        let text = |field: &str, value: &str| -> Result<String, RequestError> {
            let value = value.trim();
            if value.is_empty() || value.len() > MAX_TEXT {
                return Err(invalid(format!(
                    "{field} must be 1 to {MAX_TEXT} characters"
                )));
            }
            Ok(value.to_owned())
        };
        let date_of_birth = parse_date(subject.date_of_birth.trim())
            .map_err(|e| invalid(format!("subject.date_of_birth: {e}")))?;
        Ok(CheckedQuery {
            kind,
            tax_id,
            family_name: text("subject.family_name", &subject.family_name)?,
            given_name: text("subject.given_name", &subject.given_name)?,
            date_of_birth,
            procedure: text("procedure", &self.procedure)?,
            legal_basis: text("legal_basis", &self.legal_basis)?,
            preview: self.preview || self.preview_location.is_some(),
            preview_location: self.preview_location.clone(),
        })
    }
}

impl CheckedQuery {
    /// The evidence request this node sends for the query to `provider`.
    pub fn to_request(
        &self,
        requester: &Identity,
        provider: &MemberId,
        provider_name: Option<&str>,
    ) -> EvidenceRequest {
        let text = |value: &str| LocalizedText {
            lang: None,
            value: value.to_owned(),
        };
        let kind = self.kind;
        EvidenceRequest {
            id: uuid::Uuid::new_v4().to_string(),
            specification_identifier: SPECIFICATION_IDENTIFIER.to_owned(),
            issue_date_time: OffsetDateTime::now_utc(),
            procedure: text(&self.procedure),
            possibility_for_preview: self.preview,
            explicit_request_given: true,
            preview_location: self.preview_location.clone(),
            legal_basis: Some(self.legal_basis.clone()),
            requirements: vec![Requirement {
                identifier: self.legal_basis.clone(),
                name: text(&format!(
                    "{} ({})",
                    kind.titles()[0].value,
                    self.legal_basis
                )),
            }],
            requester: requester.agent(),
            provider: member_agent(provider, provider_name.unwrap_or(provider.as_str())),
            subject: Subject::NaturalPerson(NaturalPerson {
                level_of_assurance: None,
                identifier: self.tax_id.as_ref().map(|id| Identifier {
                    scheme: Some(TAX_ID_SCHEME.to_owned()),
                    value: id.to_string(),
                }),
                family_name: self.family_name.clone(),
                given_name: self.given_name.clone(),
                date_of_birth: self.date_of_birth,
            }),
            evidence_type: EvidenceType {
                identifier: uuid::Uuid::new_v4().to_string(),
                classification: kind.classification().to_owned(),
                titles: kind.titles(),
                distributions: vec![Distribution {
                    format: kind.media_type().to_owned(),
                    conforms_to: Some(kind.namespace().to_owned()),
                }],
            },
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn query() -> EvidenceQuery {
        EvidenceQuery {
            evidence_type: EvidenceKind::ALL[0].classification().to_owned(),
            subject: SubjectInput {
                tax_id: None,
                family_name: " Muster ".into(),
                given_name: "Erika".into(),
                date_of_birth: "1980-02-29".into(),
            },
            procedure: "Elterngeld".into(),
            legal_basis: "§ 1 BEEG".into(),
            jurisdiction: None,
            preview: false,
            preview_location: None,
            provider: None,
            trace: None,
        }
    }

    #[test]
    fn a_checked_query_is_trimmed_and_becomes_a_request_to_the_provider() {
        let checked = query().check().expect("valid");
        assert_eq!(checked.family_name, "Muster");
        let requester = Identity {
            member: "DE-HB:KOMMUNE:04011000".parse().expect("member"),
            name: "Bremen".into(),
        };
        let provider: MemberId = "DE:BUND:drv".parse().expect("member");
        let request = checked.to_request(&requester, &provider, None);
        assert_eq!(
            crate::exchange::agent_member(&request.provider),
            Some(provider)
        );
        assert_eq!(request.legal_basis.as_deref(), Some("§ 1 BEEG"));
        assert!(!request.possibility_for_preview);
    }

    #[test]
    fn each_wrong_field_is_named() {
        type Spoil = fn(&mut EvidenceQuery);
        let cases: [(&str, Spoil); 9] = [
            ("evidence_type", |q| q.evidence_type = "urn:x".into()),
            ("subject.tax_id", |q| q.subject.tax_id = Some("123".into())),
            ("subject.date_of_birth", |q| {
                q.subject.date_of_birth = "1980-02-30".into()
            }),
            ("procedure", |q| q.procedure = "  ".into()),
            ("legal_basis", |q| q.legal_basis = "x".repeat(513)),
            ("subject.family_name", |q| {
                q.subject.family_name = "Mus\u{1}ter".into()
            }),
            ("procedure", |q| q.procedure = "Eltern\u{b}geld".into()),
            ("legal_basis", |q| q.legal_basis = "§ 9\u{0} BEEG".into()),
            ("subject.given_name", |q| {
                q.subject.given_name = "Erika\u{fffe}".into()
            }),
        ];
        for (field, spoil) in cases {
            let mut q = query();
            spoil(&mut q);
            match q.check() {
                Err(RequestError::Invalid(message)) => {
                    assert!(message.contains(field), "{field}: {message}")
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
