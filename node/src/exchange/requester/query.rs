//! What an application service asks for, checked at the boundary: every field that goes into
//! the request is validated here, and a wrong one is a [`RequestError::Invalid`] naming it.

use once_pki::MemberId;
use once_runtime::telemetry::TraceContext;
use once_xml::Profile;
use once_xml::evidence::EvidenceKind;
use once_xml::ids;
use once_xml::request::{
    Distribution, EvidenceRequest, EvidenceType, LevelOfAssurance, LocalizedText, NaturalPerson,
    PersonIdentifier, Procedure, ProcedureCode, Requirement, Subject,
};
use once_xml::taxid::TaxId;
use once_xml::text;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::RequestError;
use crate::config::is_sr;
use crate::exchange::dialect::Dialect;
use crate::exchange::matching::parse_date;

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
    /// How to reach the provider: `"mtls"` (the national transport) or `"as4"` (eDelivery AS4,
    /// for access points of other member states). Without it, a provider that is an AS4
    /// partner is asked over AS4, every other one over mutual TLS.
    #[serde(default)]
    pub transport: Option<TransportChoice>,
    /// The trace this request belongs to (the application request's server span); the call to
    /// the provider becomes its child.
    #[serde(skip)]
    pub trace: Option<TraceContext>,
}

/// The transport an application service asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportChoice {
    /// The national transport (mutual TLS).
    Mtls,
    /// eDelivery AS4.
    As4,
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
    /// The person's eIDAS unique identifier `XX/YY/…` (nationality of the eID, destination
    /// country, identifier), as the person's eID authentication gave it; sent in the `oots`
    /// profile (the identification number never is).
    #[serde(default)]
    pub eidas_id: Option<String>,
    /// The level of assurance of the person's authentication: `Low`, `Substantial` or `High`;
    /// required in the `oots` profile.
    #[serde(default)]
    pub level_of_assurance: Option<String>,
}

/// A query whose every field was checked.
#[derive(Debug, Clone)]
pub struct CheckedQuery {
    /// The evidence type.
    pub kind: EvidenceKind,
    /// The person's identification number, if given.
    pub tax_id: Option<TaxId>,
    /// The person's eIDAS identifier, if given.
    pub eidas_id: Option<String>,
    /// The level of assurance of the person's authentication, if given.
    pub level_of_assurance: Option<LevelOfAssurance>,
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
            ("subject.eidas_id", optional(&self.subject.eidas_id)),
            (
                "subject.level_of_assurance",
                optional(&self.subject.level_of_assurance),
            ),
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
        let eidas_id = subject
            .eidas_id
            .as_deref()
            .map(|id| eidas_identifier(id.trim()))
            .transpose()?;
        let level_of_assurance = subject
            .level_of_assurance
            .as_deref()
            .map(|level| {
                LevelOfAssurance::from_code(level.trim()).ok_or_else(|| {
                    invalid(format!(
                        "subject.level_of_assurance {level:?} is not Low, Substantial or High"
                    ))
                })
            })
            .transpose()?;
        Ok(CheckedQuery {
            kind,
            tax_id,
            eidas_id,
            level_of_assurance,
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

/// An eIDAS unique identifier: `XX/YY/…`, two country codes and the identifier, which the EDM
/// rules want to begin with at least nine letters or digits (R-EDM-REQ-C039: `ES/AT/02635542Y`).
fn eidas_identifier(id: &str) -> Result<String, RequestError> {
    let mut parts = id.splitn(3, '/');
    let country = |c: Option<&str>| {
        c.is_some_and(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
    };
    let (from, to, rest) = (parts.next(), parts.next(), parts.next());
    let identifier = |r: &str| r.len() >= 9 && r.bytes().take(9).all(|b| b.is_ascii_alphanumeric());
    if country(from) && country(to) && rest.is_some_and(identifier) {
        Ok(id.to_owned())
    } else {
        Err(RequestError::Invalid(format!(
            "subject.eidas_id {id:?} is not an eIDAS identifier XX/YY/… (two country codes in capitals, then the identifier, beginning with at least nine letters or digits, e.g. ES/AT/02635542Y)"
        )))
    }
}

impl CheckedQuery {
    /// The evidence request this node sends for the query to `provider`, in `profile`.
    pub fn to_request(
        &self,
        dialect: &Dialect,
        profile: Profile,
        provider: &MemberId,
        provider_name: Option<&str>,
    ) -> Result<EvidenceRequest, RequestError> {
        let invalid = RequestError::Invalid;
        let kind = self.kind;
        let named = dialect.evidence_type(profile, kind).ok_or_else(|| {
            invalid(format!(
                "{} has no Semantic Repository entry in [[oots.evidence_types]]; it cannot be asked for in the oots profile",
                kind.classification()
            ))
        })?;
        let title = kind.titles()[0].clone();
        let (procedure, legal_basis, identifier, requirement) = match profile {
            Profile::Oots => {
                let code = ProcedureCode::new(&self.procedure).ok_or_else(|| {
                    invalid(format!(
                        "procedure {:?} is not a code of the OOTS Procedures list ({}); the oots profile needs one",
                        self.procedure,
                        ProcedureCode::ALL.join(", ")
                    ))
                })?;
                if self.level_of_assurance.is_none() {
                    return Err(invalid(
                        "subject.level_of_assurance is required in the oots profile (Low, Substantial or High)".into(),
                    ));
                }
                // An OOTS requester names its legal basis by a Semantic Repository requirement:
                // the one given as `legal_basis`, or else the one configured for the type.
                let requirement = if is_sr(&self.legal_basis, "requirements/") {
                    self.legal_basis.clone()
                } else {
                    named.requirement.clone().ok_or_else(|| {
                        invalid(format!(
                            "legal_basis {:?} is not a Semantic Repository requirement (https://sr.oots.tech.europa.eu/requirements/…) and [[oots.evidence_types]] names none for {}; the oots profile needs one",
                            self.legal_basis,
                            kind.classification()
                        ))
                    })?
                };
                // The identification number never leaves the national profile.
                let identifier = self.eidas_id.clone().map(PersonIdentifier::Eidas);
                (Procedure::Code(code), None, identifier, requirement)
            }
            _ => (
                Procedure::Text(LocalizedText::new("DE", self.procedure.clone())),
                Some(self.legal_basis.clone()),
                self.tax_id
                    .map(PersonIdentifier::TaxId)
                    .or_else(|| self.eidas_id.clone().map(PersonIdentifier::Eidas)),
                self.legal_basis.clone(),
            ),
        };
        let mut distribution = Distribution::new(kind.media_type());
        distribution.conforms_to = named.conforms_to;
        Ok(EvidenceRequest {
            id: ids::urn_uuid(&uuid::Uuid::new_v4().to_string()).into_owned(),
            version: dialect.version(profile),
            issue_date_time: OffsetDateTime::now_utc(),
            procedure: Some(procedure),
            possibility_for_preview: self.preview,
            explicit_request_given: true,
            preview_location: self.preview_location.clone(),
            legal_basis,
            requirements: vec![Requirement {
                identifier: requirement,
                names: vec![title],
            }],
            requester: dialect.me(profile),
            provider: dialect.peer(
                profile,
                provider,
                provider_name.unwrap_or(provider.as_str()),
            ),
            subject: Subject::NaturalPerson(NaturalPerson {
                level_of_assurance: self.level_of_assurance,
                identifier,
                family_name: self.family_name.clone(),
                given_name: self.given_name.clone(),
                date_of_birth: self.date_of_birth,
            }),
            representative: None,
            evidence_type: EvidenceType {
                identifier: uuid::Uuid::new_v4().to_string(),
                classification: named.classification,
                titles: kind.titles(),
                descriptions: Vec::new(),
                distribution,
            },
        })
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
                eidas_id: None,
                level_of_assurance: None,
            },
            procedure: "Elterngeld".into(),
            legal_basis: "§ 1 BEEG".into(),
            jurisdiction: None,
            preview: false,
            preview_location: None,
            provider: None,
            transport: None,
            trace: None,
        }
    }

    #[test]
    fn a_checked_query_is_trimmed_and_becomes_a_request_to_the_provider() {
        let checked = query().check().expect("valid");
        assert_eq!(checked.family_name, "Muster");
        let dialect = crate::exchange::testkit::dialect("DE-HB:KOMMUNE:04011000", "Bremen");
        let provider: MemberId = "DE:BUND:drv".parse().expect("member");
        let request = checked
            .to_request(&dialect, Profile::De, &provider, None)
            .expect("request");
        assert_eq!(dialect.member_of(&request.provider), Some(provider));
        assert_eq!(request.legal_basis.as_deref(), Some("§ 1 BEEG"));
        assert!(!request.possibility_for_preview);
    }

    #[test]
    fn each_wrong_field_is_named() {
        type Spoil = fn(&mut EvidenceQuery);
        let cases: [(&str, Spoil); 12] = [
            ("subject.eidas_id", |q| {
                q.subject.eidas_id = Some("at/DE/02635542Y".into())
            }),
            ("subject.eidas_id", |q| {
                q.subject.eidas_id = Some("ES/AT/0263554".into())
            }),
            ("subject.level_of_assurance", |q| {
                q.subject.level_of_assurance = Some("Very high".into())
            }),
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

    #[test]
    fn an_eidas_identifier_is_what_the_edm_rules_accept() {
        for good in ["ES/AT/02635542Y", "DE/AT/ABCDEFGHI-xyz"] {
            assert_eq!(eidas_identifier(good).ok().as_deref(), Some(good));
        }
        for bad in [
            "ES/AT/0263554",
            "ES/AT/",
            "es/AT/02635542Y",
            "ESP/AT/02635542Y",
            "ES-AT-02635542Y",
            "ES/AT/0263-5542Y",
        ] {
            assert!(eidas_identifier(bad).is_err(), "{bad}");
        }
    }
}
