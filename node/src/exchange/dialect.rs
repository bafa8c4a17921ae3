//! How this node speaks in each profile of the message layer: who it is and who its peers are
//! (as agents), which version it writes, and what its evidence types are called.
//!
//! - `de`: members are agents with the member scheme (`once_xml::request::MEMBER_SCHEME`),
//!   evidence types are the node's own URNs, the version is `oots-edm:v1.0`;
//! - `oots`: this node is the agent `[oots]` names (an EAS identifier, its country), other
//!   members are the agents `[[oots.members]]` name (or, without an entry, the member scheme,
//!   which the EDM rules accept too), evidence types are the Semantic Repository URIs of
//!   `[[oots.evidence_types]]`, the version is `oots.specification`.

use once_pki::MemberId;
use once_xml::evidence::EvidenceKind;
use once_xml::request::{
    Address, Agent, EvidenceRequest, Identifier, LocalizedText, MEMBER_SCHEME,
};
use once_xml::{EdmVersion, Profile};

use crate::config::{OotsConfig, Profile as ConfiguredProfile};
use crate::exchange::Identity;

/// The language of the names this node writes (its names are German).
const LANGUAGE: &str = "DE";

/// What this node calls things, in each profile.
#[derive(Debug, Clone)]
pub struct Dialect {
    identity: Identity,
    oots: Option<OotsConfig>,
    default: Profile,
}

/// An evidence type as a profile names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedEvidenceType {
    /// `EvidenceTypeClassification`.
    pub classification: String,
    /// `ConformsTo` of its distribution.
    pub conforms_to: Option<String>,
    /// The Semantic Repository requirement an OOTS request for it names, if configured.
    pub requirement: Option<String>,
}

/// The profile a configuration names, as the message layer knows it.
pub fn profile(configured: ConfiguredProfile) -> Profile {
    match configured {
        ConfiguredProfile::De => Profile::De,
        ConfiguredProfile::Oots => Profile::Oots,
    }
}

impl Dialect {
    /// This node (`identity`), with its OOTS participation if configured; messages whose
    /// profile is not known yet are written in `default`.
    pub fn new(
        identity: Identity,
        oots: Option<OotsConfig>,
        default: ConfiguredProfile,
    ) -> Dialect {
        Dialect {
            identity,
            oots,
            default: profile(default),
        }
    }

    /// The profile of messages before a request was read.
    pub fn default_profile(&self) -> Profile {
        self.default
    }

    /// The profile a request was written in: national requests name their legal basis (the
    /// `LegalBasis` slot, a documented deviation of the `de` profile), OOTS requests cannot.
    pub fn profile_of(&self, request: &EvidenceRequest) -> Profile {
        if request.legal_basis.is_some() {
            Profile::De
        } else {
            Profile::Oots
        }
    }

    /// The version this node writes in `profile`.
    pub fn version(&self, profile: Profile) -> EdmVersion {
        match (profile, &self.oots) {
            (Profile::Oots, Some(oots)) => {
                EdmVersion::from_identifier(&oots.specification).unwrap_or_default()
            }
            _ => EdmVersion::default(),
        }
    }

    /// This node as an agent in `profile`.
    pub fn me(&self, profile: Profile) -> Agent {
        match (profile, &self.oots) {
            (Profile::Oots, Some(oots)) => {
                let mut agent = Agent::new(
                    Identifier::new(&oots.agent_scheme, oots.agent_id.clone()),
                    LocalizedText::new(LANGUAGE, self.identity.name.clone()),
                );
                agent.address = Some(Address {
                    country: oots.country.clone(),
                    ..Address::default()
                });
                agent
            }
            _ => self.member(&self.identity.member, &self.identity.name),
        }
    }

    /// Another member as an agent in `profile`.
    pub fn peer(&self, profile: Profile, member: &MemberId, name: &str) -> Agent {
        match (profile, self.oots.as_ref().and_then(|o| o.agent_of(member))) {
            (Profile::Oots, Some(configured)) => Agent::new(
                Identifier::new(&configured.agent_scheme, configured.agent_id.clone()),
                LocalizedText::new(LANGUAGE, name.to_owned()),
            ),
            _ => self.member(member, name),
        }
    }

    fn member(&self, member: &MemberId, name: &str) -> Agent {
        Agent::new(
            Identifier::new(MEMBER_SCHEME, member.as_str().to_owned()),
            LocalizedText::new(LANGUAGE, name.to_owned()),
        )
    }

    /// The member an agent names: by the member scheme, or by an OOTS identifier configured in
    /// `[[oots.members]]` (or this node's own).
    pub fn member_of(&self, agent: &Agent) -> Option<MemberId> {
        let scheme = agent
            .identifier
            .scheme
            .as_deref()
            .unwrap_or_default()
            .trim();
        let value = agent.identifier.value.trim();
        if scheme == MEMBER_SCHEME {
            return value.parse().ok();
        }
        let oots = self.oots.as_ref()?;
        if oots.is_me(scheme, value) {
            return Some(self.identity.member.clone());
        }
        oots.member_of(scheme, value).cloned()
    }

    /// The name `profile` gives the evidence type `kind`; `None` when the `oots` profile has no
    /// Semantic Repository entry for it in `[[oots.evidence_types]]`.
    pub fn evidence_type(&self, profile: Profile, kind: EvidenceKind) -> Option<NamedEvidenceType> {
        match profile {
            Profile::Oots => {
                let configured = self.oots.as_ref()?.evidence_type(kind.classification())?;
                Some(NamedEvidenceType {
                    classification: configured.classification.clone(),
                    conforms_to: configured.conforms_to.clone(),
                    requirement: configured.requirement.clone(),
                })
            }
            _ => Some(NamedEvidenceType {
                classification: kind.classification().to_owned(),
                conforms_to: Some(kind.namespace().to_owned()),
                requirement: None,
            }),
        }
    }

    /// The evidence type a classification names: one of this node's URNs, or a Semantic
    /// Repository URI configured in `[[oots.evidence_types]]`.
    pub fn kind_of(&self, classification: &str) -> Option<EvidenceKind> {
        let classification = classification.trim();
        EvidenceKind::from_classification(classification).or_else(|| {
            let configured = self.oots.as_ref()?.by_classification(classification)?;
            EvidenceKind::from_classification(&configured.evidence_type)
        })
    }
}
