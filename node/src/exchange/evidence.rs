//! Turning a register record into an evidence document.

use once_xml::evidence::{
    Address, BirthCertificate, Child, EuroAmount, EvidenceDocument, EvidenceKind,
    IncomeCertificate, IncomeKind, IssuingAuthority, KindOfResidence, Municipality, Parent, Person,
    ResidenceCertificate, Sex,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::db::registers::Record;
use crate::exchange::matching::parse_date;

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
    let source = Source {
        record,
        fields: record.fields(),
        kind,
    };
    let issued = Issued {
        evidence_id,
        now,
        authority,
    };
    match kind {
        EvidenceKind::ResidenceCertificate => source.residence(issued),
        EvidenceKind::IncomeCertificate => source.income(issued),
        EvidenceKind::BirthCertificate => source.birth(issued),
        other => Err(source.incomplete(format!("{other:?} is not produced by this node"))),
    }
}

/// What every evidence document says of its issue.
struct Issued {
    evidence_id: String,
    now: OffsetDateTime,
    authority: IssuingAuthority,
}

/// A record read for one kind of evidence.
struct Source<'a> {
    record: &'a Record,
    fields: Map<String, Value>,
    kind: EvidenceKind,
}

impl Source<'_> {
    fn incomplete(&self, problem: String) -> IncompleteRecord {
        IncompleteRecord {
            register: self.record.register_id.clone(),
            record: self.record.record_key.clone(),
            kind: self.kind,
            problem,
        }
    }

    /// An optional field.
    fn text(&self, name: &str) -> Option<String> {
        text(&self.fields, name)
    }

    /// A field the evidence needs.
    fn get(&self, name: &str) -> Result<String, IncompleteRecord> {
        self.text(name)
            .ok_or_else(|| self.incomplete(format!("{name} is missing")))
    }

    fn date(&self, value: &str) -> Result<time::Date, IncompleteRecord> {
        parse_date(value).map_err(|e| self.incomplete(e))
    }

    fn person(&self) -> Result<Person, IncompleteRecord> {
        let record = self.record;
        Ok(Person {
            tax_id: record
                .tax_id
                .as_deref()
                .ok_or_else(|| self.incomplete("the record has no identification number".into()))?
                .parse()
                .map_err(|e| self.incomplete(format!("tax_id: {e}")))?,
            family_name: record.family_name.clone(),
            given_names: record.given_name.clone(),
            birth_name: self.text("birth_name"),
            date_of_birth: self.date(&record.date_of_birth)?,
            place_of_birth: self.text("place_of_birth"),
            nationality: self.text("nationality"),
        })
    }

    fn municipality(&self, name: &str, key: &str) -> Result<Municipality, IncompleteRecord> {
        Ok(Municipality {
            name: self.get(name)?,
            key: self
                .get(key)?
                .parse()
                .map_err(|e: once_xml::EdmError| self.incomplete(e.detail))?,
        })
    }

    fn residence(&self, issued: Issued) -> Result<EvidenceDocument, IncompleteRecord> {
        Ok(EvidenceDocument::ResidenceCertificate(
            ResidenceCertificate {
                evidence_id: issued.evidence_id,
                issue_date_time: issued.now,
                issuing_authority: issued.authority,
                person: self.person()?,
                address: Address {
                    street: self.get("street")?,
                    house_number: self.get("house_number")?,
                    postcode: self.get("postcode")?,
                    municipality: self.municipality("municipality", "ags")?,
                },
                moved_in_date: self.date(&self.get("moved_in")?)?,
                kind_of_residence: match self.text("residence").as_deref() {
                    Some("secondary") => KindOfResidence::Secondary,
                    _ => KindOfResidence::Main,
                },
            },
        ))
    }

    fn income(&self, issued: Issued) -> Result<EvidenceDocument, IncompleteRecord> {
        Ok(EvidenceDocument::IncomeCertificate(IncomeCertificate {
            evidence_id: issued.evidence_id,
            issue_date_time: issued.now,
            issuing_authority: issued.authority,
            person: self.person()?,
            tax_year: self
                .get("tax_year")?
                .parse()
                .map_err(|_| self.incomplete("tax_year is not a year".into()))?,
            gross_annual_income: self
                .get("gross_income")?
                .parse::<EuroAmount>()
                .map_err(|e| self.incomplete(e.detail))?,
            income_kind: match self.get("income_kind")?.as_str() {
                "employment" => IncomeKind::Employment,
                "pension" => IncomeKind::Pension,
                "self-employment" => IncomeKind::SelfEmployment,
                "benefits" => IncomeKind::Benefits,
                _ => IncomeKind::Other,
            },
            payer_name: self.text("payer"),
        }))
    }

    fn birth(&self, issued: Issued) -> Result<EvidenceDocument, IncompleteRecord> {
        let record = self.record;
        let parents = [1, 2]
            .into_iter()
            .filter_map(|n| {
                Some(Parent {
                    family_name: self.text(&format!("parent{n}_family_name"))?,
                    given_names: self.text(&format!("parent{n}_given_name"))?,
                    birth_name: None,
                })
            })
            .collect();
        Ok(EvidenceDocument::BirthCertificate(BirthCertificate {
            evidence_id: issued.evidence_id,
            issue_date_time: issued.now,
            issuing_authority: issued.authority,
            child: Child {
                family_name: self
                    .text("birth_name")
                    .unwrap_or_else(|| record.family_name.clone()),
                given_names: record.given_name.clone(),
                sex: match self.get("sex")?.as_str() {
                    "female" => Sex::Female,
                    "male" => Sex::Male,
                    "diverse" => Sex::Diverse,
                    _ => Sex::Unspecified,
                },
                date_of_birth: self.date(&record.date_of_birth)?,
                place_of_birth: self.municipality("place_of_birth", "ags_of_birth")?,
            },
            parents,
            register_entry_number: self.get("register_entry")?,
        }))
    }
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(ToOwned::to_owned)
}
