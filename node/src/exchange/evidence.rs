//! Turning a register record into an evidence document.

use once_xml::evidence::{
    Address, BirthCertificate, Child, EuroAmount, EvidenceDocument, EvidenceKind,
    IncomeCertificate, IncomeKind, IssuingAuthority, KindOfResidence, Municipality, Parent, Person,
    ResidenceCertificate, Sex,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::db::registers::Record;
use crate::operations::import::parse_date;

/// A record that cannot give this evidence: the register's data is incomplete. This is the
/// provider's problem, not the requester's; it is logged and answered as "not found".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record} of register {register} cannot give a {kind:?}: {problem}")]
pub struct IncompleteRecord {
    /// The register.
    pub register: String,
    /// The record key.
    pub record: String,
    /// The evidence asked for.
    pub kind: EvidenceKind,
    /// What is missing or wrong.
    pub problem: String,
}

/// Builds the evidence document of `kind` from a record.
pub fn build(
    kind: EvidenceKind,
    record: &Record,
    authority: IssuingAuthority,
    evidence_id: String,
    now: OffsetDateTime,
) -> Result<EvidenceDocument, IncompleteRecord> {
    let fields = record.fields();
    let incomplete = |problem: String| IncompleteRecord {
        register: record.register_id.clone(),
        record: record.record_key.clone(),
        kind,
        problem,
    };
    let get = |name: &str| -> Result<String, IncompleteRecord> {
        text(&fields, name).ok_or_else(|| incomplete(format!("{name} is missing")))
    };
    let date_of_birth = parse_date(&record.date_of_birth).map_err(incomplete)?;
    let person = || -> Result<Person, IncompleteRecord> {
        Ok(Person {
            tax_id: record
                .tax_id
                .as_deref()
                .ok_or_else(|| incomplete("the record has no identification number".into()))?
                .parse()
                .map_err(|e| incomplete(format!("tax_id: {e}")))?,
            family_name: record.family_name.clone(),
            given_names: record.given_name.clone(),
            birth_name: text(&fields, "birth_name"),
            date_of_birth,
            place_of_birth: text(&fields, "place_of_birth"),
            nationality: text(&fields, "nationality"),
        })
    };
    let municipality = |name: &str, key: &str| -> Result<Municipality, IncompleteRecord> {
        Ok(Municipality {
            name: get(name)?,
            key: get(key)?
                .parse()
                .map_err(|e: once_xml::EdmError| incomplete(e.detail))?,
        })
    };
    Ok(match kind {
        EvidenceKind::ResidenceCertificate => {
            EvidenceDocument::ResidenceCertificate(ResidenceCertificate {
                evidence_id,
                issue_date_time: now,
                issuing_authority: authority,
                person: person()?,
                address: Address {
                    street: get("street")?,
                    house_number: get("house_number")?,
                    postcode: get("postcode")?,
                    municipality: municipality("municipality", "ags")?,
                },
                moved_in_date: parse_date(&get("moved_in")?).map_err(incomplete)?,
                kind_of_residence: match text(&fields, "residence").as_deref() {
                    Some("secondary") => KindOfResidence::Secondary,
                    _ => KindOfResidence::Main,
                },
            })
        }
        EvidenceKind::IncomeCertificate => EvidenceDocument::IncomeCertificate(IncomeCertificate {
            evidence_id,
            issue_date_time: now,
            issuing_authority: authority,
            person: person()?,
            tax_year: get("tax_year")?
                .parse()
                .map_err(|_| incomplete("tax_year is not a year".into()))?,
            gross_annual_income: get("gross_income")?
                .parse::<EuroAmount>()
                .map_err(|e| incomplete(e.detail))?,
            income_kind: match get("income_kind")?.as_str() {
                "employment" => IncomeKind::Employment,
                "pension" => IncomeKind::Pension,
                "self-employment" => IncomeKind::SelfEmployment,
                "benefits" => IncomeKind::Benefits,
                _ => IncomeKind::Other,
            },
            payer_name: text(&fields, "payer"),
        }),
        EvidenceKind::BirthCertificate => {
            let parents = [1, 2]
                .into_iter()
                .filter_map(|n| {
                    Some(Parent {
                        family_name: text(&fields, &format!("parent{n}_family_name"))?,
                        given_names: text(&fields, &format!("parent{n}_given_name"))?,
                        birth_name: None,
                    })
                })
                .collect();
            EvidenceDocument::BirthCertificate(BirthCertificate {
                evidence_id,
                issue_date_time: now,
                issuing_authority: authority,
                child: Child {
                    family_name: text(&fields, "birth_name")
                        .unwrap_or_else(|| record.family_name.clone()),
                    given_names: record.given_name.clone(),
                    sex: match get("sex")?.as_str() {
                        "female" => Sex::Female,
                        "male" => Sex::Male,
                        "diverse" => Sex::Diverse,
                        _ => Sex::Unspecified,
                    },
                    date_of_birth,
                    place_of_birth: municipality("place_of_birth", "ags_of_birth")?,
                },
                parents,
                register_entry_number: get("register_entry")?,
            })
        }
        other => {
            return Err(incomplete(format!(
                "{other:?} is not produced by this node"
            )));
        }
    })
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(ToOwned::to_owned)
}
