//! Writing an evidence document as XML, and flattening it into (name, value) pairs.

use time::OffsetDateTime;

use super::{EvidenceDocument, IssuingAuthority, Municipality, Person};
use crate::slots::write::{date_text, date_time_text, element, simple_element};
use crate::write::Writer;

/// The document as XML that validates against its XSD.
pub(super) fn document(document: &EvidenceDocument) -> Writer {
    let kind = document.kind();
    let mut out = Writer::with_capacity(2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(kind.root_element());
    out.push_str(" xmlns=\"");
    out.push_str(kind.namespace());
    out.push_str("\">");
    match document {
        EvidenceDocument::ResidenceCertificate(d) => {
            head(
                &mut out,
                &d.evidence_id,
                d.issue_date_time,
                &d.issuing_authority,
            );
            person(&mut out, &d.person);
            element(&mut out, "CurrentAddress", |out| {
                simple_element(out, "Street", &d.address.street);
                simple_element(out, "HouseNumber", &d.address.house_number);
                simple_element(out, "Postcode", &d.address.postcode);
                municipality(out, "Municipality", &d.address.municipality);
            });
            simple_element(&mut out, "MovedInDate", &date_text(d.moved_in_date));
            simple_element(&mut out, "KindOfResidence", d.kind_of_residence.code());
        }
        EvidenceDocument::IncomeCertificate(d) => {
            head(
                &mut out,
                &d.evidence_id,
                d.issue_date_time,
                &d.issuing_authority,
            );
            person(&mut out, &d.person);
            simple_element(&mut out, "TaxYear", &format!("{:04}", d.tax_year));
            out.push_str("<GrossAnnualIncome currency=\"EUR\">");
            out.push_str(&d.gross_annual_income.to_string());
            out.push_str("</GrossAnnualIncome>");
            simple_element(&mut out, "IncomeKind", d.income_kind.code());
            if let Some(payer) = &d.payer_name {
                simple_element(&mut out, "PayerName", payer);
            }
        }
        EvidenceDocument::BirthCertificate(d) => {
            head(
                &mut out,
                &d.evidence_id,
                d.issue_date_time,
                &d.issuing_authority,
            );
            let child = &d.child;
            element(&mut out, "Child", |out| {
                simple_element(out, "FamilyName", &child.family_name);
                simple_element(out, "GivenNames", &child.given_names);
                simple_element(out, "Sex", child.sex.code());
                simple_element(out, "DateOfBirth", &date_text(child.date_of_birth));
                municipality(out, "PlaceOfBirth", &child.place_of_birth);
            });
            for (i, parent) in d.parents.iter().enumerate() {
                out.push_str("<Parent>");
                out.within(
                    || format!("Parent[{i}]"),
                    |out| {
                        simple_element(out, "FamilyName", &parent.family_name);
                        simple_element(out, "GivenNames", &parent.given_names);
                        if let Some(birth_name) = &parent.birth_name {
                            simple_element(out, "BirthName", birth_name);
                        }
                    },
                );
                out.push_str("</Parent>");
            }
            simple_element(&mut out, "RegisterEntryNumber", &d.register_entry_number);
        }
    }
    out.push_str("</");
    out.push_str(kind.root_element());
    out.push_str(">\n");
    out
}

/// The document as (name, value) pairs.
pub(super) fn fields(document: &EvidenceDocument) -> Vec<(String, String)> {
    let mut fields = Fields(Vec::new());
    fields.add("evidence_type", document.kind().classification());
    match document {
        EvidenceDocument::ResidenceCertificate(d) => {
            fields.head(&d.evidence_id, d.issue_date_time, &d.issuing_authority);
            fields.person(&d.person);
            fields.add("address.street", &d.address.street);
            fields.add("address.house_number", &d.address.house_number);
            fields.add("address.postcode", &d.address.postcode);
            fields.municipality("address.municipality", &d.address.municipality);
            fields.add("moved_in_date", &date_text(d.moved_in_date));
            fields.add("kind_of_residence", d.kind_of_residence.code());
        }
        EvidenceDocument::IncomeCertificate(d) => {
            fields.head(&d.evidence_id, d.issue_date_time, &d.issuing_authority);
            fields.person(&d.person);
            fields.add("tax_year", &d.tax_year.to_string());
            fields.add(
                "gross_annual_income_eur",
                &d.gross_annual_income.to_string(),
            );
            fields.add("income_kind", d.income_kind.code());
            fields.optional("payer_name", d.payer_name.as_deref());
        }
        EvidenceDocument::BirthCertificate(d) => {
            fields.head(&d.evidence_id, d.issue_date_time, &d.issuing_authority);
            fields.add("child.family_name", &d.child.family_name);
            fields.add("child.given_names", &d.child.given_names);
            fields.add("child.sex", d.child.sex.code());
            fields.add("child.date_of_birth", &date_text(d.child.date_of_birth));
            fields.municipality("child.place_of_birth", &d.child.place_of_birth);
            for (i, parent) in d.parents.iter().enumerate() {
                fields.add(&format!("parents.{i}.family_name"), &parent.family_name);
                fields.add(&format!("parents.{i}.given_names"), &parent.given_names);
                fields.optional(
                    &format!("parents.{i}.birth_name"),
                    parent.birth_name.as_deref(),
                );
            }
            fields.add("register_entry_number", &d.register_entry_number);
        }
    }
    fields.0
}

/// The first elements of every document: id, issue time, issuing authority.
fn head(out: &mut Writer, id: &str, issued: OffsetDateTime, authority: &IssuingAuthority) {
    simple_element(out, "EvidenceIdentifier", id);
    simple_element(out, "IssueDateTime", &date_time_text(issued));
    element(out, "IssuingAuthority", |out| {
        simple_element(out, "MemberId", &authority.member_id);
        simple_element(out, "Name", &authority.name);
    });
}

fn person(out: &mut Writer, person: &Person) {
    element(out, "Person", |out| {
        simple_element(out, "TaxId", &person.tax_id.to_string());
        simple_element(out, "FamilyName", &person.family_name);
        simple_element(out, "GivenNames", &person.given_names);
        if let Some(birth_name) = &person.birth_name {
            simple_element(out, "BirthName", birth_name);
        }
        simple_element(out, "DateOfBirth", &date_text(person.date_of_birth));
        if let Some(place) = &person.place_of_birth {
            simple_element(out, "PlaceOfBirth", place);
        }
        if let Some(nationality) = &person.nationality {
            simple_element(out, "Nationality", nationality);
        }
    });
}

fn municipality(out: &mut Writer, tag: &str, municipality: &Municipality) {
    element(out, tag, |out| {
        simple_element(out, "Name", &municipality.name);
        simple_element(out, "Key", municipality.key.as_str());
    });
}

/// (name, value) pairs under construction.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn add(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }

    fn optional(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.add(name, value);
        }
    }

    fn head(&mut self, id: &str, issued: OffsetDateTime, authority: &IssuingAuthority) {
        self.add("evidence_id", id);
        self.add("issue_date_time", &date_time_text(issued));
        self.add("issuing_authority.member_id", &authority.member_id);
        self.add("issuing_authority.name", &authority.name);
    }

    fn person(&mut self, person: &Person) {
        self.add("person.tax_id", &person.tax_id.to_string());
        self.add("person.family_name", &person.family_name);
        self.add("person.given_names", &person.given_names);
        self.optional("person.birth_name", person.birth_name.as_deref());
        self.add("person.date_of_birth", &date_text(person.date_of_birth));
        self.optional("person.place_of_birth", person.place_of_birth.as_deref());
        self.optional("person.nationality", person.nationality.as_deref());
    }

    fn municipality(&mut self, prefix: &str, municipality: &Municipality) {
        self.add(&format!("{prefix}.name"), &municipality.name);
        self.add(&format!("{prefix}.key"), municipality.key.as_str());
    }
}
