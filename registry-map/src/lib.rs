//! The register map: which registers exist in the federation, who keeps them, where and on what
//! legal basis, and which are connected.
//!
//! - [`model`]: what the map knows (register types, jurisdictions, members, registers, flows).
//! - [`seed`]: the seed catalogue (register types in Germany, the official municipality list) and
//!   its registers, instanced as they exist (one population register per municipality, …).
#![forbid(unsafe_code)]

pub mod model;
pub mod seed;
