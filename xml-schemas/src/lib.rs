//! The messages of the once evidence exchange: the OOTS Evidence Data Model on OASIS ebRS 4.0.
//!
//! - [`tree`]: a namespace-aware reader (quick-xml's `NsReader`) into a small element tree, with
//!   limits on size, depth, element count, attribute and text length; no DOCTYPE, no entity but the
//!   five predefined ones, valid UTF-8 only. Every refusal is an [`EdmError`] with the rule it broke.
//! - [`request`]: the evidence request (`query:QueryRequest`), read from a tree with its slots found
//!   by name, and written as XML that validates against `schemas/once-exchange.xsd`.
//! - [`response`]: the answer (`query:QueryResponse`), evidence or one `rs:Exception`, read and
//!   written the same way; in the German profile digests bind it to its request and evidence.
//! - [`profile`]: the two profiles a message is written in, [`Profile::Oots`] (the EDM as the
//!   Commission's rules define it) and [`Profile::De`] (OOTS plus the German deviations, each
//!   listed with the rules it breaks); [`version`]: the EDM versions read and written
//!   ([`EdmVersion`], default `oots-edm:v1.0`); [`sr`]: Semantic Repository URIs across versions;
//!   [`ids`]: the UUID forms of the message ids; [`sdg`]: the SDG metadata the messages carry.
//! - [`evidence`]: the evidence documents (residence, income, birth certificate) with their XSDs
//!   in `schemas/evidence/`, and their fields as flat dotted names.
//! - [`multipart`]: `multipart/related`, how a message travels with its evidence; strict, bounded,
//!   without copies.
//! - [`descriptor`]: the register descriptor a node publishes to the register map, and
//!   [`discovery`]: the map's answer to a discovery query; our own documents, signed with a
//!   trailing `ds:Signature`, with their XSDs `schemas/register-descriptor.xsd` and
//!   `schemas/discovery.xsd`.
//! - [`c14n`], [`dsig`]: exclusive canonicalization and the enveloped XML signature.
//! - [`taxid`]: the German tax identification number with its check digit.
//! - [`edm`]: the EDM error codes.
//! - `schematron` (cargo feature `schematron-check`, for tests): the Commission's EDM Schematron
//!   business rules run over a message by `schematron/schematron.py` (Python, saxonche).
//!
//! The XSDs live in `schemas/` (see its README for sources and licences). This crate knows nothing
//! of HTTP or databases.
#![forbid(unsafe_code)]

pub mod c14n;
pub mod descriptor;
pub mod discovery;
pub mod dsig;
pub mod edm;
pub mod evidence;
pub mod ids;
pub mod level;
pub mod multipart;
pub mod ns;
pub mod profile;
pub mod request;
pub mod response;
#[cfg(feature = "schematron-check")]
pub mod schematron;
pub mod sdg;
mod slots;
pub mod sr;
pub mod taxid;
pub mod text;
pub mod tree;
pub mod version;
mod write;

pub use edm::{EdmCode, EdmError};
pub use profile::Profile;
pub use tree::Limits;
pub use version::EdmVersion;

/// The directory of the XSDs in the source tree (`schemas/`), for validation in tests and tools.
pub fn schema_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}
