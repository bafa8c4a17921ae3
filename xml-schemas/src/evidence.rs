//! The evidence documents a provider sends: residence, income and birth certificates, each in its
//! own namespace with its XSD in `schemas/evidence/` (imported by `schemas/once-exchange.xsd`).
//!
//! A document is read strictly: every element known, in its namespace, every value in its form
//! (tax id with check digit, municipality key of 8 digits, member id `instance:class:code`, dates,
//! amounts in euros and cents); a trailing `ds:Signature` is allowed and left to the signature
//! code. [`EvidenceDocument::fields`] flattens a document into stable dotted names for the
//! requester's JSON.

use std::fmt;
use std::str::FromStr;

use time::{Date, OffsetDateTime};

use crate::EdmError;
use crate::sdg::LocalizedText;
use crate::taxid::TaxId;
use crate::tree::{self, Element, Limits};

mod read;
mod write;

/// The kinds of evidence this federation exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvidenceKind {
    /// Meldebescheinigung, from a population register.
    ResidenceCertificate,
    /// Income certificate, from an income or pension register.
    IncomeCertificate,
    /// Geburtsurkunde, from a civil status register.
    BirthCertificate,
}

impl EvidenceKind {
    /// Every kind.
    pub const ALL: [EvidenceKind; 3] = [
        EvidenceKind::ResidenceCertificate,
        EvidenceKind::IncomeCertificate,
        EvidenceKind::BirthCertificate,
    ];

    /// The evidence type classification requests and responses name it by.
    pub fn classification(self) -> &'static str {
        match self {
            EvidenceKind::ResidenceCertificate => "urn:once:evidence-type:residence-certificate",
            EvidenceKind::IncomeCertificate => "urn:once:evidence-type:income-certificate",
            EvidenceKind::BirthCertificate => "urn:once:evidence-type:birth-certificate",
        }
    }

    /// The kind with this classification.
    pub fn from_classification(classification: &str) -> Option<EvidenceKind> {
        EvidenceKind::ALL
            .into_iter()
            .find(|k| k.classification() == classification)
    }

    /// Its titles, in English and German (language codes as the EDM writes them, `EN`, `DE`).
    pub fn titles(self) -> Vec<LocalizedText> {
        let (en, de) = match self {
            EvidenceKind::ResidenceCertificate => ("Residence certificate", "Meldebescheinigung"),
            EvidenceKind::IncomeCertificate => ("Income certificate", "Einkommensnachweis"),
            EvidenceKind::BirthCertificate => ("Birth certificate", "Geburtsurkunde"),
        };
        vec![LocalizedText::new("EN", en), LocalizedText::new("DE", de)]
    }

    /// The namespace of its document (also what the document conforms to, `sdg:ConformsTo`).
    pub fn namespace(self) -> &'static str {
        match self {
            EvidenceKind::ResidenceCertificate => "urn:once:evidence:residence-certificate:1",
            EvidenceKind::IncomeCertificate => "urn:once:evidence:income-certificate:1",
            EvidenceKind::BirthCertificate => "urn:once:evidence:birth-certificate:1",
        }
    }

    /// The local name of its document's root element.
    pub fn root_element(self) -> &'static str {
        match self {
            EvidenceKind::ResidenceCertificate => "ResidenceCertificate",
            EvidenceKind::IncomeCertificate => "IncomeCertificate",
            EvidenceKind::BirthCertificate => "BirthCertificate",
        }
    }

    /// The media type its document travels as.
    pub fn media_type(self) -> &'static str {
        "application/xml"
    }
}

/// The authority that issued a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuingAuthority {
    /// Its federation member id (`instance:class:code`).
    pub member_id: String,
    /// Its name.
    pub name: String,
}

/// The person a residence or income certificate is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Tax identification number.
    pub tax_id: TaxId,
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
    /// Birth name, if it differs.
    pub birth_name: Option<String>,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Place of birth, if registered.
    pub place_of_birth: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2), if registered.
    pub nationality: Option<String>,
}

/// The official municipality key (Amtlicher Gemeindeschlüssel): 8 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MunicipalityKey(String);

impl MunicipalityKey {
    /// The 8 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for MunicipalityKey {
    type Err = EdmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if digits(s, 8) {
            Ok(MunicipalityKey(s.to_owned()))
        } else {
            Err(EdmError::invalid(format!(
                "a municipality key (AGS) has 8 digits, not {s:?}"
            )))
        }
    }
}

impl fmt::Display for MunicipalityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A municipality, by name and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    /// Its name.
    pub name: String,
    /// Its key.
    pub key: MunicipalityKey,
}

/// An address in Germany.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Street.
    pub street: String,
    /// House number with its suffix (`21a`, `3 b`).
    pub house_number: String,
    /// Postcode, 5 digits.
    pub postcode: String,
    /// Municipality.
    pub municipality: Municipality,
}

/// Whether an address is the main or a secondary residence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindOfResidence {
    /// Hauptwohnung.
    Main,
    /// Nebenwohnung.
    Secondary,
}

/// A residence certificate (Meldebescheinigung).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidenceCertificate {
    /// Evidence id.
    pub evidence_id: String,
    /// When it was issued.
    pub issue_date_time: OffsetDateTime,
    /// Who issued it.
    pub issuing_authority: IssuingAuthority,
    /// Whom it is about.
    pub person: Person,
    /// The current address.
    pub address: Address,
    /// Since when the person lives there.
    pub moved_in_date: Date,
    /// Main or secondary residence.
    pub kind_of_residence: KindOfResidence,
}

/// An amount in euros, held in cents; never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EuroAmount(u64);

impl EuroAmount {
    /// The largest amount the XSD allows (13 digits before the decimal point).
    pub const MAX: EuroAmount = EuroAmount(999_999_999_999_999);

    /// The amount of this many cents.
    pub fn from_cents(cents: u64) -> EuroAmount {
        EuroAmount(cents)
    }

    /// The amount in cents.
    pub fn cents(self) -> u64 {
        self.0
    }
}

impl FromStr for EuroAmount {
    type Err = EdmError;

    /// Digits, optionally a point and one or two more: `1234`, `1234.5`, `1234.56`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = || {
            EdmError::invalid(format!(
                "an amount in euros is digits with at most two after the point (e.g. 41250.00), not {s:?}"
            ))
        };
        let (euros, cents) = s.split_once('.').unwrap_or((s, "00"));
        if euros.is_empty() || euros.len() > 13 || !digits(euros, euros.len()) {
            return Err(refuse());
        }
        if cents.is_empty() || cents.len() > 2 || !digits(cents, cents.len()) {
            return Err(refuse());
        }
        let euros: u64 = euros.parse().map_err(|_| refuse())?;
        let cents: u64 = format!("{cents:0<2}").parse().map_err(|_| refuse())?;
        Ok(EuroAmount(euros * 100 + cents))
    }
}

impl fmt::Display for EuroAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// What kind of income a certificate states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IncomeKind {
    /// From employment.
    Employment,
    /// Pensions.
    Pension,
    /// From self-employment and trade.
    SelfEmployment,
    /// Wage replacement benefits.
    Benefits,
    /// Other income.
    Other,
}

/// An income certificate: gross income of one tax year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeCertificate {
    /// Evidence id.
    pub evidence_id: String,
    /// When it was issued.
    pub issue_date_time: OffsetDateTime,
    /// Who issued it.
    pub issuing_authority: IssuingAuthority,
    /// Whom it is about.
    pub person: Person,
    /// The tax year (four digits).
    pub tax_year: u16,
    /// Gross annual income.
    pub gross_annual_income: EuroAmount,
    /// Kind of income.
    pub income_kind: IncomeKind,
    /// Who paid it (employer, pension fund), if stated.
    pub payer_name: Option<String>,
}

/// Sex as entered in the civil status register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// männlich.
    Male,
    /// weiblich.
    Female,
    /// divers.
    Diverse,
    /// ohne Angabe.
    Unspecified,
}

/// The child of a birth certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Place of birth.
    pub place_of_birth: Municipality,
}

/// A parent on a birth certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
    /// Birth name, if it differs.
    pub birth_name: Option<String>,
}

/// A birth certificate (Geburtsurkunde).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirthCertificate {
    /// Evidence id.
    pub evidence_id: String,
    /// When it was issued.
    pub issue_date_time: OffsetDateTime,
    /// Who issued it (the registry office).
    pub issuing_authority: IssuingAuthority,
    /// The child.
    pub child: Child,
    /// Its parents, none to two.
    pub parents: Vec<Parent>,
    /// The entry in the birth register (e.g. `G 1234/1988`).
    pub register_entry_number: String,
}

/// An evidence document of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvidenceDocument {
    /// A residence certificate.
    ResidenceCertificate(ResidenceCertificate),
    /// An income certificate.
    IncomeCertificate(IncomeCertificate),
    /// A birth certificate.
    BirthCertificate(BirthCertificate),
}

impl EvidenceDocument {
    /// Its kind.
    pub fn kind(&self) -> EvidenceKind {
        match self {
            EvidenceDocument::ResidenceCertificate(_) => EvidenceKind::ResidenceCertificate,
            EvidenceDocument::IncomeCertificate(_) => EvidenceKind::IncomeCertificate,
            EvidenceDocument::BirthCertificate(_) => EvidenceKind::BirthCertificate,
        }
    }

    /// Its evidence id.
    pub fn evidence_id(&self) -> &str {
        match self {
            EvidenceDocument::ResidenceCertificate(d) => &d.evidence_id,
            EvidenceDocument::IncomeCertificate(d) => &d.evidence_id,
            EvidenceDocument::BirthCertificate(d) => &d.evidence_id,
        }
    }

    /// Reads a document of any kind from its bytes within `limits`; the root element's namespace
    /// says which kind.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<EvidenceDocument, EdmError> {
        EvidenceDocument::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a document from a parsed tree.
    pub fn from_element(root: &Element) -> Result<EvidenceDocument, EdmError> {
        read::document(root)
    }

    /// Writes the document as XML that validates against its XSD; a character XML 1.0 does not
    /// allow is refused with the field it is in (e.g. `Person/FamilyName`).
    pub fn try_to_xml(&self) -> Result<String, crate::text::InvalidText> {
        write::document(self).finish()
    }

    /// Writes the document as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`EvidenceDocument::try_to_xml`], or check every text with [`crate::text`] first.
    pub fn to_xml(&self) -> String {
        write::document(self).into_lossy()
    }

    /// The document as (name, value) pairs with stable dotted names (`person.family_name`,
    /// `address.postcode`, `parents.0.given_names`), in document order; absent optional values
    /// are left out. The first pair is `evidence_type` with the kind's classification.
    pub fn fields(&self) -> Vec<(String, String)> {
        write::fields(self)
    }
}

const INCOME_KINDS: [(IncomeKind, &str); 5] = [
    (IncomeKind::Employment, "employment"),
    (IncomeKind::Pension, "pension"),
    (IncomeKind::SelfEmployment, "self-employment"),
    (IncomeKind::Benefits, "benefits"),
    (IncomeKind::Other, "other"),
];

const SEXES: [(Sex, &str); 4] = [
    (Sex::Male, "male"),
    (Sex::Female, "female"),
    (Sex::Diverse, "diverse"),
    (Sex::Unspecified, "unspecified"),
];

impl KindOfResidence {
    /// The code in the document: `main` or `secondary`.
    pub fn code(self) -> &'static str {
        match self {
            KindOfResidence::Main => "main",
            KindOfResidence::Secondary => "secondary",
        }
    }
}

impl IncomeKind {
    /// The code in the document (`employment`, `pension`, `self-employment`, …).
    pub fn code(self) -> &'static str {
        INCOME_KINDS
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("other", |(_, code)| code)
    }
}

impl Sex {
    /// The code in the document (`male`, `female`, `diverse`, `unspecified`).
    pub fn code(self) -> &'static str {
        SEXES
            .iter()
            .find(|(sex, _)| *sex == self)
            .map_or("unspecified", |(_, code)| code)
    }
}

/// Whether `text` is exactly `count` ASCII digits.
fn digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn person() -> Person {
        Person {
            tax_id: "86095742719".parse().expect("valid tax id"),
            family_name: "Müller-Lüdenscheidt".into(),
            given_names: "Jürgen Hans".into(),
            birth_name: Some("Meier & <Söhne>".into()),
            date_of_birth: date!(1988 - 02 - 29),
            place_of_birth: Some("Bremerhaven".into()),
            nationality: Some("DE".into()),
        }
    }

    fn authority() -> IssuingAuthority {
        IssuingAuthority {
            member_id: "DE-HB:KOMMUNE:04011000".into(),
            name: "Stadt Bremen, Bürgeramt".into(),
        }
    }

    fn bremen() -> Municipality {
        Municipality {
            name: "Bremen".into(),
            key: "04011000".parse().expect("AGS"),
        }
    }

    fn documents() -> Vec<EvidenceDocument> {
        vec![
            EvidenceDocument::ResidenceCertificate(ResidenceCertificate {
                evidence_id: "urn:uuid:16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
                issue_date_time: datetime!(2026-11-23 09:00:01 +01:00),
                issuing_authority: authority(),
                person: person(),
                address: Address {
                    street: "Am Markt".into(),
                    house_number: "21 a".into(),
                    postcode: "28195".into(),
                    municipality: bremen(),
                },
                moved_in_date: date!(2020 - 01 - 15),
                kind_of_residence: KindOfResidence::Main,
            }),
            EvidenceDocument::IncomeCertificate(IncomeCertificate {
                evidence_id: "urn:uuid:26c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
                issue_date_time: datetime!(2026-11-23 09:00:02 UTC),
                issuing_authority: IssuingAuthority {
                    member_id: "DE:BUND:drv".into(),
                    name: "Deutsche Rentenversicherung Bund".into(),
                },
                person: Person {
                    birth_name: None,
                    place_of_birth: None,
                    nationality: None,
                    ..person()
                },
                tax_year: 2025,
                gross_annual_income: EuroAmount::from_cents(4_123_405),
                income_kind: IncomeKind::Employment,
                payer_name: Some("Bremer Lagerhaus GmbH".into()),
            }),
            EvidenceDocument::BirthCertificate(BirthCertificate {
                evidence_id: "urn:uuid:36c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
                issue_date_time: datetime!(2026-11-23 09:00:03 +01:00),
                issuing_authority: IssuingAuthority {
                    member_id: "DE-HB:KOMMUNE:04011000".into(),
                    name: "Standesamt Bremen-Mitte".into(),
                },
                child: Child {
                    family_name: "Müller-Lüdenscheidt".into(),
                    given_names: "Lea Marie".into(),
                    sex: Sex::Female,
                    date_of_birth: date!(2026 - 05 - 04),
                    place_of_birth: bremen(),
                },
                parents: vec![
                    Parent {
                        family_name: "Müller-Lüdenscheidt".into(),
                        given_names: "Jürgen Hans".into(),
                        birth_name: None,
                    },
                    Parent {
                        family_name: "Müller-Lüdenscheidt".into(),
                        given_names: "Anna".into(),
                        birth_name: Some("Schmidt".into()),
                    },
                ],
                register_entry_number: "G 1234/2026".into(),
            }),
        ]
    }

    /// Validates documents with libxml2's xmllint against the driver schema, the referee.
    fn xmllint(documents: &[String]) -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut command = std::process::Command::new("xmllint");
        command
            .args(["--noout", "--nonet", "--schema"])
            .arg(crate::schema_dir().join("once-exchange.xsd"));
        for (i, xml) in documents.iter().enumerate() {
            let file = dir.path().join(format!("document-{i}.xml"));
            std::fs::write(&file, xml).map_err(|e| e.to_string())?;
            command.arg(file);
        }
        let output = command
            .output()
            .map_err(|e| format!("xmllint (Debian package libxml2-utils): {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    #[test]
    fn every_kind_round_trips_and_validates() {
        let mut written = Vec::new();
        for document in documents() {
            let xml = document.to_xml();
            let parsed = EvidenceDocument::from_xml(xml.as_bytes(), &Limits::default())
                .unwrap_or_else(|e| panic!("{e}\n{xml}"));
            assert_eq!(parsed, document);
            assert!(xml.contains(document.kind().namespace()));
            written.push(xml);
        }
        xmllint(&written).unwrap_or_else(|e| panic!("{e}\n{written:#?}"));
        // The referee refuses what the reader refuses.
        let bad = written[0].replace("04011000</Key>", "4011000</Key>");
        assert!(xmllint(&[bad]).is_err());
    }

    #[test]
    fn kinds_are_found_by_classification() {
        for kind in EvidenceKind::ALL {
            assert_eq!(
                EvidenceKind::from_classification(kind.classification()),
                Some(kind)
            );
            let titles = kind.titles();
            assert_eq!(titles.len(), 2);
            assert_eq!(titles[1].lang.as_deref(), Some("DE"));
        }
        assert_eq!(
            EvidenceKind::from_classification("CertificateOfBirth"),
            None
        );
    }

    #[test]
    fn fields_have_stable_dotted_names() {
        let [residence, income, birth] = &documents()[..] else {
            panic!("three documents")
        };
        let get = |doc: &EvidenceDocument, name: &str| {
            doc.fields()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
        };
        assert_eq!(
            get(residence, "evidence_type").as_deref(),
            Some("urn:once:evidence-type:residence-certificate")
        );
        assert_eq!(
            get(residence, "person.family_name").as_deref(),
            Some("Müller-Lüdenscheidt")
        );
        assert_eq!(get(residence, "address.postcode").as_deref(), Some("28195"));
        assert_eq!(
            get(residence, "address.municipality.key").as_deref(),
            Some("04011000")
        );
        assert_eq!(get(residence, "kind_of_residence").as_deref(), Some("main"));
        assert_eq!(
            get(income, "gross_annual_income_eur").as_deref(),
            Some("41234.05")
        );
        assert_eq!(get(income, "person.birth_name"), None);
        assert_eq!(
            get(income, "issue_date_time").as_deref(),
            Some("2026-11-23T09:00:02Z")
        );
        assert_eq!(
            get(birth, "parents.1.birth_name").as_deref(),
            Some("Schmidt")
        );
        assert_eq!(
            get(birth, "child.place_of_birth.name").as_deref(),
            Some("Bremen")
        );
        let names: Vec<String> = birth.fields().into_iter().map(|(n, _)| n).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
    }

    #[test]
    fn amounts_are_euros_and_cents() {
        for (text, cents) in [("0", 0), ("12", 1200), ("12.5", 1250), ("12.05", 1205)] {
            assert_eq!(
                text.parse::<EuroAmount>().map(EuroAmount::cents).ok(),
                Some(cents)
            );
        }
        for bad in [
            "",
            "-1",
            "1.234",
            "1e3",
            ".5",
            "5.",
            "+5",
            "1 000",
            "12345678901234",
        ] {
            assert!(bad.parse::<EuroAmount>().is_err(), "{bad}");
        }
        assert_eq!(EuroAmount::MAX.to_string(), "9999999999999.99");
        assert_eq!(
            "9999999999999.99".parse::<EuroAmount>().ok(),
            Some(EuroAmount::MAX)
        );
    }

    #[test]
    fn a_trailing_signature_is_allowed_and_nothing_else() {
        let xml = documents()[0].to_xml();
        let signed = xml.replace(
            "</ResidenceCertificate>",
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></ResidenceCertificate>"#,
        );
        assert_eq!(
            EvidenceDocument::from_xml(signed.as_bytes(), &Limits::default()).expect("signed"),
            documents()[0]
        );
        let cases = [
            (
                xml.replace(
                    "<MovedInDate>",
                    r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><MovedInDate>"#,
                ),
                "may only come last",
            ),
            (
                xml.replace("<MovedInDate>", "<Remark>x</Remark><MovedInDate>"),
                "the element Remark",
            ),
            (
                xml.replace("86095742719", "86095742718"),
                "Person: TaxId: the check digit",
            ),
            (
                xml.replace("04011000</Key>", "4011000</Key>"),
                "Key has an invalid value",
            ),
            (
                xml.replace("<Postcode>28195", "<Postcode>2819"),
                "Postcode has an invalid value",
            ),
            (
                xml.replace(">main<", ">primary<"),
                "KindOfResidence has an invalid value",
            ),
            (
                xml.replace(">DE-HB:KOMMUNE:04011000<", ">DE-HB:KOMMUNE<"),
                "MemberId has an invalid value",
            ),
            (
                xml.replace("2026-11-23T09:00:01+01:00", "2026-11-23T09:00:01"),
                "IssueDateTime has an invalid value",
            ),
            (
                xml.replace("<Nationality>DE", "<Nationality>DEU"),
                "Nationality has an invalid value",
            ),
            (
                xml.replace("<Street>Am Markt", "<Street> "),
                "Street is empty",
            ),
            (
                xml.replace("residence-certificate:1", "residence-certificate:2"),
                "not an evidence document",
            ),
        ];
        for (bad, expected) in cases {
            let e =
                EvidenceDocument::from_xml(bad.as_bytes(), &Limits::default()).expect_err(expected);
            assert!(
                e.detail.contains(expected),
                "{expected:?} not in {:?}",
                e.detail
            );
        }
    }
}
