//! The SDG metadata the exchange's messages carry (`sdg:` elements of the namespace
//! `http://data.europa.eu/p4s`): agents, persons, requirements, evidence types. Requests,
//! responses and the slot codec ([`crate::slots`]) share them.

use time::Date;

use crate::taxid::TaxId;

/// The identifier scheme of federation members in `sdg:Agent/sdg:Identifier/@schemeID`.
pub const MEMBER_SCHEME: &str = "urn:once:member";

/// The identifier scheme of the German tax identification number in
/// `sdg:Person/sdg:Identifier/@schemeID`; identifiers of this scheme are checked (11 digits, check
/// digit).
pub const TAX_ID_SCHEME: &str = "urn:once:scheme:de:steuer-idnr";

/// A text in a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalizedText {
    /// Language code (`en`, `de`), if given.
    pub lang: Option<String>,
    /// The text.
    pub value: String,
}

/// An identifier with its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// The scheme (`schemeID`), if given.
    pub scheme: Option<String>,
    /// The identifier.
    pub value: String,
}

/// A party of the exchange (`sdg:Agent`): requester or provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Its identifier; for federation members the member id with scheme [`MEMBER_SCHEME`].
    pub identifier: Identifier,
    /// Its name.
    pub name: LocalizedText,
}

/// A requirement the evidence satisfies (`sdg:Requirement`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Its identifier.
    pub identifier: String,
    /// Its name.
    pub name: LocalizedText,
}

/// A natural person the evidence is about (`sdg:Person`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaturalPerson {
    /// Level of assurance of the person's authentication, if given.
    pub level_of_assurance: Option<String>,
    /// Identifier; with scheme [`TAX_ID_SCHEME`] a valid German tax identification number.
    pub identifier: Option<Identifier>,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
}

impl NaturalPerson {
    /// The German tax identification number, if the identifier is one.
    pub fn tax_id(&self) -> Option<TaxId> {
        let id = self.identifier.as_ref()?;
        (id.scheme.as_deref() == Some(TAX_ID_SCHEME))
            .then(|| id.value.parse().ok())
            .flatten()
    }
}

/// A legal person the evidence is about (`sdg:LegalPerson`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalPerson {
    /// Its identifier (e.g. a register number).
    pub identifier: Identifier,
    /// Its legal name.
    pub legal_name: String,
}

/// Whom the evidence is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A citizen.
    NaturalPerson(NaturalPerson),
    /// A company or other organisation.
    LegalPerson(LegalPerson),
}

/// The evidence asked for (`sdg:DataServiceEvidenceType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceType {
    /// Its identifier.
    pub identifier: String,
    /// Its classification, e.g. `CertificateOfBirth`; the provider matches it against its registers.
    pub classification: String,
    /// Its titles, in languages (at least one).
    pub titles: Vec<LocalizedText>,
    /// The forms the evidence is wanted in (at least one).
    pub distributions: Vec<Distribution>,
}

/// A form of the evidence (`sdg:DistributedAs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Media type, e.g. `application/xml`.
    pub format: String,
    /// The schema or specification the evidence conforms to, if given.
    pub conforms_to: Option<String>,
}
