//! The evidence exchange, from explicit parts:
//!
//! - [`Identity`]: this node as it appears in messages, and [`dialect`]: what it and its peers
//!   and evidence types are called in each profile (`de`, `oots`);
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
pub mod dialect;
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

/// This node as it appears in messages: its member id and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The member id.
    pub member: MemberId,
    /// The authority's name.
    pub name: String,
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
