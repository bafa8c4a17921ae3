//! The evidence exchange, from explicit parts:
//!
//! - [`Identity`]: this node as it appears in messages;
//! - signed messages ([`once_runtime::signed::SignedMessages`], shared with the register map);
//! - [`logbook`]: the hash-chained message log with its [`checkpoint`]s and the transfer record;
//! - [`transport`]: the seam between the exchange and the wire. The national transport
//!   ([`transport::mtls`]: `multipart/related` over mutual TLS) implements it; a second one (AS4)
//!   plugs in beside it;
//! - [`discovery`]: the register map's answer to "who provides this?", with its own client;
//! - [`provider`]: a request from a peer, as envelope → decide → answer;
//! - [`requester`]: a query of the authority's own service, as choose → send → check;
//! - [`outcome`]: the typed refusal (EDM code and reason) both sides share;
//! - [`preview`]: the person's side of a preview; [`evidence`], [`matching`]: evidence documents
//!   from register records and the matching of a person.

pub mod checkpoint;
pub mod discovery;
pub mod evidence;
pub mod logbook;
pub mod matching;
pub mod metrics;
pub mod outcome;
pub mod preview;
pub mod provider;
pub mod requester;
pub mod transport;

#[cfg(test)]
pub(crate) mod testkit;

use once_pki::MemberId;
use once_xml::request::{Agent, Identifier, LocalizedText, MEMBER_SCHEME};

/// This node as it appears in messages: its member id and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The member id.
    pub member: MemberId,
    /// The authority's name.
    pub name: String,
}

impl Identity {
    /// This node as an `sdg:Agent`.
    pub fn agent(&self) -> Agent {
        member_agent(&self.member, &self.name)
    }
}

/// A member as an `sdg:Agent` with the member scheme.
pub fn member_agent(member: &MemberId, name: &str) -> Agent {
    Agent {
        identifier: Identifier {
            scheme: Some(MEMBER_SCHEME.to_owned()),
            value: member.as_str().to_owned(),
        },
        name: LocalizedText {
            lang: None,
            value: name.to_owned(),
        },
    }
}

/// The member an agent names, if it names one with the member scheme.
pub fn agent_member(agent: &Agent) -> Option<MemberId> {
    (agent.identifier.scheme.as_deref() == Some(MEMBER_SCHEME))
        .then(|| agent.identifier.value.parse().ok())
        .flatten()
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_agent_names_its_member_and_only_the_member_scheme_counts() {
        let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("member id");
        let agent = member_agent(&member, "Bremen");
        assert_eq!(agent_member(&agent), Some(member));
        let mut other = agent.clone();
        other.identifier.scheme = Some("urn:other".into());
        assert_eq!(agent_member(&other), None);
        other.identifier.scheme = Some(MEMBER_SCHEME.into());
        other.identifier.value = "not a member id".into();
        assert_eq!(agent_member(&other), None);
    }
}
