//! eDelivery AS4 for the OOTS exchange: OASIS ebMS 3.0 user messages and signals with the AS4
//! profile and the eDelivery AS4 1.15 algorithm suite, as the member states' OOTS access points
//! (Domibus, Harmony, phase4) speak it, and the eDelivery AS4 2.0 EC profile (ECDSA P-256,
//! ECDH-ES with HKDF and AES key wrap), chosen per partner by its certificate's key
//! ([`suite`]).
//!
//! - [`header`]: the `eb:Messaging` header of a user message (party ids and roles, service and
//!   action, conversation, message properties, payload parts), written and read;
//!   [`oots`] fills it as the OOTS TDD prescribes;
//! - [`send`]: a One-Way/Push user message: payloads compressed (gzip), then signed (a detached
//!   WS-Security XML signature over `eb:Messaging`, the SOAP Body and every payload part,
//!   RSA-SHA256, exclusive C14N, the attachment-content-signature transform), then encrypted
//!   (AES-128-GCM under a key transported with RSA-OAEP to the partner's certificate); the
//!   header is never encrypted; SOAP 1.2 with MIME attachments;
//! - [`receive`]: the same message opened: structure, signature and its coverage, the signer
//!   (the caller's [`receive::SignerCheck`]: a partner's pinned certificate or a trust store),
//!   decryption, the payloads' digests, decompression within a limit; every refusal an
//!   [`EbmsError`] with its ebMS code (`EBMS:0001` …);
//! - [`signal`]: the synchronous answer: a signed non-repudiation receipt repeating the
//!   references the sender signed, or a signed ebMS error signal; and the sender's check of
//!   the receipt that came back against what it sent.
//!
//! The cryptography is ring (RSA PKCS#1 v1.5 and ECDSA P-256 signatures, HKDF, AES-GCM,
//! SHA-256, randomness) and RustCrypto's `rsa` (OAEP key transport; constant-time arithmetic
//! since 0.10), `p256` (ECDH with a static key, which ring does not offer) and `aes-kw`. XML is
//! read by `once-xml`'s hardened reader (no DTD, bounded) and canonicalised by its exclusive
//! C14N.

#[cfg(feature = "demo-pki")]
pub mod demo_pki;
pub mod error;
pub mod header;
pub mod keys;
pub mod ns;
pub mod oots;
pub mod receive;
mod scan;
pub mod send;
pub mod signal;
pub mod suite;
#[cfg(feature = "testing")]
pub mod testing;
mod xml;

pub use error::{EbmsCode, EbmsError};
pub use header::{PartInfo, Party, Property, UserMessage};
pub use keys::{Certificate, Credentials, KeyError, Keyring, OwnKeys};
pub use receive::{Limits, Payload, Pinned, Received, SignerCheck};
pub use send::{OutgoingPayload, Sent, SignedReference};
pub use signal::{Signal, SignalOutcome};
pub use suite::Suite;
