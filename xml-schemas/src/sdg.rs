//! The SDG metadata the exchange's messages carry (`sdg:` elements of the namespace
//! `http://data.europa.eu/p4s`): agents, persons, requirements, evidence types. Requests,
//! responses and the slot codec (`slots.rs`) share them.
//!
//! The types hold what this node uses; what other implementations send beyond it (a person's
//! place of birth, address or gender, a requirement's descriptions, a second distribution, …) is
//! read over and left out, each place saying so.

use time::Date;

use crate::taxid::TaxId;

/// The identifier scheme of federation members in `sdg:Agent/sdg:Identifier/@schemeID`: an
/// ebCore party id type of the `unregistered` branch, which the EDM admits beside the EAS codes
/// (R-EDM-REQ-C012/C018, R-EDM-RESP-C007/C013/C039, R-EDM-ERR-C004/C010).
pub const MEMBER_SCHEME: &str = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:once-member";

/// The identifier scheme of the German tax identification number (IDNr) in
/// `sdg:Person/sdg:Identifier/@schemeID`; identifiers of this scheme are checked (11 digits, check
/// digit). Written in [`crate::profile::Profile::De`] only.
pub const TAX_ID_SCHEME: &str = "urn:once:scheme:de:steuer-idnr";

/// The `schemeID` of an eIDAS unique identifier.
pub const EIDAS_SCHEME: &str = "eidas";

/// A text in a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalizedText {
    /// Language code (`EN`, `DE`), if given. Readers keep it in upper case, as the EDM's
    /// LanguageCode list writes it; writers write it so. Where the EDM requires a language and
    /// none is given, writers write its default, `EN`.
    pub lang: Option<String>,
    /// The text.
    pub value: String,
}

impl LocalizedText {
    /// A text in the language `lang` (`EN`, `DE`).
    pub fn new(lang: &str, value: impl Into<String>) -> LocalizedText {
        LocalizedText {
            lang: Some(lang.to_ascii_uppercase()),
            value: value.into(),
        }
    }
}

/// An identifier with its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// The scheme (`schemeID`), if given.
    pub scheme: Option<String>,
    /// The identifier.
    pub value: String,
}

impl Identifier {
    /// An identifier in a scheme.
    pub fn new(scheme: &str, value: impl Into<String>) -> Identifier {
        Identifier {
            scheme: Some(scheme.to_owned()),
            value: value.into(),
        }
    }
}

/// The role of an agent (`sdg:Classification`, code list AgentClassification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgentClassification {
    /// `ER`: the evidence requester.
    EvidenceRequester,
    /// `EP`: the evidence provider.
    EvidenceProvider,
    /// `ERRP`: the agent that answers with an error.
    ErrorProvider,
    /// `IP`: an intermediary platform acting for a requester or provider.
    IntermediaryPlatform,
}

impl AgentClassification {
    /// The code: `ER`, `EP`, `ERRP`, `IP`.
    pub fn code(self) -> &'static str {
        match self {
            AgentClassification::EvidenceRequester => "ER",
            AgentClassification::EvidenceProvider => "EP",
            AgentClassification::ErrorProvider => "ERRP",
            AgentClassification::IntermediaryPlatform => "IP",
        }
    }

    /// The classification a code names, or the long name pre-final samples write
    /// (`EvidenceRequester`, `IntermediaryPlatform`).
    pub fn from_code(code: &str) -> Option<AgentClassification> {
        [
            (AgentClassification::EvidenceRequester, "EvidenceRequester"),
            (AgentClassification::EvidenceProvider, "EvidenceProvider"),
            (AgentClassification::ErrorProvider, "ErrorProvider"),
            (
                AgentClassification::IntermediaryPlatform,
                "IntermediaryPlatform",
            ),
        ]
        .into_iter()
        .find(|(c, long)| c.code() == code || *long == code)
        .map(|(c, _)| c)
    }
}

/// A postal address (`sdg:AddressType`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `FullAddress`.
    pub full_address: Option<String>,
    /// `LocatorDesignator`: the house number.
    pub locator_designator: Option<String>,
    /// `PostCode`.
    pub post_code: Option<String>,
    /// `PostCityName`.
    pub post_city_name: Option<String>,
    /// `Thoroughfare`: the street.
    pub thoroughfare: Option<String>,
    /// `AdminUnitLevel1`: the country, an ISO 3166-1 alpha-2 code as the EDM's
    /// CountryIdentificationCode list writes it (`DE`; Greece `EL`).
    pub country: String,
    /// `AdminUnitLevel2`: the NUTS region, if given.
    pub nuts: Option<String>,
}

/// A party of the exchange (`sdg:Agent`): requester, provider, error provider, issuing authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Its identifier: an EAS scheme (`urn:cef.eu:names:identifier:EAS:<code>`), an ebCore
    /// `unregistered` party id, or for federation members the member id with scheme
    /// [`MEMBER_SCHEME`].
    pub identifier: Identifier,
    /// Its name.
    pub name: LocalizedText,
    /// Its address; written where the EDM gives an agent one (the requester of a request, the
    /// provider of a response, the error provider).
    pub address: Option<Address>,
    /// Its role as read. Writers write the role of the slot (`ER`, `EP`, `ERRP`); an
    /// [`AgentClassification::IntermediaryPlatform`] is kept where the EDM allows one.
    pub classification: Option<AgentClassification>,
}

impl Agent {
    /// An agent with an identifier and a name, no address, no classification.
    pub fn new(identifier: Identifier, name: LocalizedText) -> Agent {
        Agent {
            identifier,
            name,
            address: None,
            classification: None,
        }
    }
}

/// A requirement the evidence satisfies (`sdg:Requirement`). Descriptions (EDM 1.2 and later)
/// are read over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Its identifier, a Semantic Repository URI
    /// (`https://sr.oots.tech.europa.eu/requirements/<UUID>`, see [`crate::sr`]).
    pub identifier: String,
    /// Its names, in languages (at least one).
    pub names: Vec<LocalizedText>,
}

/// The level of assurance of an eIDAS authentication (code list LevelsOfAssurance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LevelOfAssurance {
    /// `Low`.
    Low,
    /// `Substantial`.
    Substantial,
    /// `High`.
    High,
}

impl LevelOfAssurance {
    /// The code: `Low`, `Substantial`, `High`.
    pub fn code(self) -> &'static str {
        match self {
            LevelOfAssurance::Low => "Low",
            LevelOfAssurance::Substantial => "Substantial",
            LevelOfAssurance::High => "High",
        }
    }

    /// The level a code names, in any case, or an eIDAS level URI
    /// (`http://eidas.europa.eu/LoA/high`).
    pub fn from_code(code: &str) -> Option<LevelOfAssurance> {
        let code = code
            .strip_prefix("http://eidas.europa.eu/LoA/")
            .unwrap_or(code);
        [
            LevelOfAssurance::Low,
            LevelOfAssurance::Substantial,
            LevelOfAssurance::High,
        ]
        .into_iter()
        .find(|l| l.code().eq_ignore_ascii_case(code))
    }
}

/// The identifier of a natural person.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PersonIdentifier {
    /// An eIDAS unique identifier `XX/YY/…` (nationality of the identifier, of the destination,
    /// then the identifier), `schemeID="eidas"`.
    Eidas(String),
    /// The German tax identification number, scheme [`TAX_ID_SCHEME`]; written in
    /// [`crate::profile::Profile::De`] only.
    TaxId(TaxId),
    /// An identifier of another scheme: read, never written (the EDM admits only `eidas`).
    Other(Identifier),
}

/// A natural person the evidence is about (`sdg:Person`). The eIDAS attributes beyond the
/// minimum data set (birth name, place of birth, current address, gender, nationality) and
/// sector specific attributes are read over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaturalPerson {
    /// Level of assurance of the person's authentication; the EDM requires it for the subject
    /// and a representative of a request (R-EDM-REQ-C036/C058).
    pub level_of_assurance: Option<LevelOfAssurance>,
    /// Identifier, if any.
    pub identifier: Option<PersonIdentifier>,
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
        match &self.identifier {
            Some(PersonIdentifier::TaxId(id)) => Some(*id),
            _ => None,
        }
    }
}

/// A legal person the evidence is about (`sdg:LegalPerson`). Identifiers beyond the first,
/// the registered address and sector specific attributes are read over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalPerson {
    /// Level of assurance of the authentication; the EDM requires it in a request
    /// (R-EDM-REQ-C047).
    pub level_of_assurance: Option<LevelOfAssurance>,
    /// `LegalPersonIdentifier`: the eIDAS unique identifier `XX/YY/…` (written with
    /// `schemeID="eidas"`); the EDM requires it (R-EDM-REQ-C049, R-EDM-RESP-C033).
    pub legal_person_identifier: Option<String>,
    /// `Identifier`: another identifier with its scheme (VAT, LEI, a register number); written
    /// only with a scheme (R-EDM-REQ-C054).
    pub identifier: Option<Identifier>,
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

/// The procedure the evidence is needed for (the request's `Procedure` slot).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Procedure {
    /// A code of the OOTS Procedures list (Annex II of the SDGR).
    Code(ProcedureCode),
    /// A national procedure as free text; written in [`crate::profile::Profile::De`] only.
    Text(LocalizedText),
}

/// A code of the OOTS Procedures list: the procedures of Annex II of the Single Digital Gateway
/// Regulation (EU) 2018/1724, `R1`, `S1`, `T1`–`T3`, `U1`–`U4`, `V1`–`V4`, `W1`, `W2`, `X1`–`X6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcedureCode(&'static str);

impl ProcedureCode {
    /// Every code of the list.
    pub const ALL: [&'static str; 21] = [
        "R1", "S1", "T1", "T2", "T3", "U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4", "W1", "W2",
        "X1", "X2", "X3", "X4", "X5", "X6",
    ];

    /// The code `code` of the list, if it is one (exactly, upper case).
    pub fn new(code: &str) -> Option<ProcedureCode> {
        ProcedureCode::ALL
            .into_iter()
            .find(|c| *c == code)
            .map(ProcedureCode)
    }

    /// The code, e.g. `T2`.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// The evidence asked for (`sdg:DataServiceEvidenceType`), as the Data Service Directory
/// describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceType {
    /// Its identifier in the Data Service Directory, a UUID.
    pub identifier: String,
    /// Its classification, a Semantic Repository URI
    /// (`https://sr.oots.tech.europa.eu/evidencetypeclassifications/<CC>/<UUID>`, see
    /// [`crate::sr`]); the provider matches it against its registers.
    pub classification: String,
    /// Its titles, in languages (at least one).
    pub titles: Vec<LocalizedText>,
    /// Its descriptions, in languages.
    pub descriptions: Vec<LocalizedText>,
    /// The form the evidence is wanted in. EDM 1.x allows one (R-EDM-REQ-C032); of several
    /// (2.0) the first is read and the others read over.
    pub distribution: Distribution,
}

/// A form of the evidence (`sdg:DistributedAs`, `sdg:Distribution`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Media type, from the OOTS media types list (`application/pdf`, `application/xml`, …).
    pub format: String,
    /// The data model the evidence conforms to, a Semantic Repository URI
    /// (`https://sr.oots.tech.europa.eu/distributions/<model>`), if given; the EDM requires it
    /// for XML and JSON evidence (R-EDM-RESP-C044a/b).
    pub conforms_to: Option<String>,
    /// The subset of that data model asked for, a Semantic Repository URI (requests only).
    pub transformation: Option<String>,
}

impl Distribution {
    /// A form with a media type and nothing else.
    pub fn new(format: impl Into<String>) -> Distribution {
        Distribution {
            format: format.into(),
            conforms_to: None,
            transformation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back() {
        for c in [
            AgentClassification::EvidenceRequester,
            AgentClassification::EvidenceProvider,
            AgentClassification::ErrorProvider,
            AgentClassification::IntermediaryPlatform,
        ] {
            assert_eq!(AgentClassification::from_code(c.code()), Some(c));
        }
        assert_eq!(
            AgentClassification::from_code("IntermediaryPlatform"),
            Some(AgentClassification::IntermediaryPlatform)
        );
        assert_eq!(AgentClassification::from_code("er"), None);
        assert_eq!(
            LevelOfAssurance::from_code("http://eidas.europa.eu/LoA/substantial"),
            Some(LevelOfAssurance::Substantial)
        );
        assert_eq!(
            LevelOfAssurance::from_code("HIGH"),
            Some(LevelOfAssurance::High)
        );
        assert_eq!(LevelOfAssurance::from_code("Medium"), None);
        assert_eq!(
            ProcedureCode::new("T2").map(ProcedureCode::as_str),
            Some("T2")
        );
        assert_eq!(ProcedureCode::new("t2"), None);
        assert_eq!(ProcedureCode::new("00"), None);
        assert_eq!(LocalizedText::new("de", "x").lang.as_deref(), Some("DE"));
    }
}
