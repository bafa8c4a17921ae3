//! What the map knows. These are plain values: the storage (`db`), the in-memory catalogue used
//! for search and discovery, the web page and the exports all work with them.

use once_xml::level::Level;
use serde::Serialize;

/// A kind of register that exists in Germany (e.g. the population register), as the
/// Registerlandkarte lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterType {
    /// Stable code, lowercase with hyphens, e.g. `melderegister`.
    pub code: String,
    /// German name, e.g. "Melderegister".
    pub name_de: String,
    /// English name, e.g. "Population register".
    pub name_en: String,
    /// What it holds, one or two sentences (German).
    pub description: String,
    /// The kind of authority that keeps it, e.g. "Meldebehörde".
    pub operator_kind: String,
    /// The level at which instances exist.
    pub level: Level,
    /// How instances are spread: see [`Instancing`].
    pub instancing: Instancing,
    /// Legal basis, e.g. "Bundesmeldegesetz (BMG)".
    pub legal_basis: String,
    /// Evidence type classifications it can give (may be empty).
    pub evidence_types: Vec<String>,
    /// Standards it conforms to (e.g. XÖV standard names such as "XMeld").
    pub standards: Vec<String>,
    /// A thematic category, e.g. "Personen", "Fahrzeuge", "Unternehmen".
    pub category: String,
}

/// How the instances of a register type exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Instancing {
    /// One register for the whole country (e.g. the central register of vehicles).
    Federal,
    /// One per state (Land).
    PerState,
    /// One per district (Kreis, kreisfreie Stadt).
    PerDistrict,
    /// One per municipality (Gemeinde).
    PerMunicipality,
}

/// The level of an official area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// Land.
    State,
    /// Regierungsbezirk.
    GovernmentDistrict,
    /// Kreis or kreisfreie Stadt.
    District,
    /// Gemeindeverband.
    MunicipalAssociation,
    /// Gemeinde.
    Municipality,
}

/// An official area of the municipality list (GV100AD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jurisdiction {
    /// Its key: state 2 digits, government district 3, district 5, municipal association 9
    /// (district + association), municipality 8 (AGS).
    pub key: String,
    /// The regional key (ARS, 12 digits for municipalities), if it has one.
    pub ars: Option<String>,
    /// The level.
    pub level: AreaLevel,
    /// Its name, e.g. "Bremen, Stadt".
    pub name: String,
    /// The state key (2 digits).
    pub state: String,
    /// The district key (5 digits), for districts, associations and municipalities.
    pub district: Option<String>,
    /// Population (municipalities only).
    pub population: Option<u64>,
}

/// A member of the federation: an authority that runs a node or keeps registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// Member id, `<instance>:<class>:<code>`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Contact (e-mail or URL), if known.
    pub contact: Option<String>,
    /// The node's peer endpoint, if it runs one (connected).
    pub peer_url: Option<String>,
    /// SHA-256 fingerprint of the node's TLS certificate, if it runs one.
    pub tls_fingerprint: Option<String>,
    /// When its node last published (Unix seconds), if ever.
    pub published_at: Option<i64>,
}

/// One register: an instance of a type, kept by a member, for some areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Register {
    /// Map-wide id: `<member id>/<register id>`.
    pub id: String,
    /// The keeping member.
    pub member: String,
    /// The register's id at its member.
    pub local_id: String,
    /// Its type code, if it is of a known type.
    pub register_type: Option<String>,
    /// Name.
    pub name: String,
    /// The level it serves.
    pub level: Level,
    /// The official keys of the areas it serves.
    pub jurisdictions: Vec<String>,
    /// Evidence types it gives.
    pub evidence_types: Vec<String>,
    /// Legal basis.
    pub legal_basis: String,
    /// Standards it conforms to.
    pub standards: Vec<String>,
    /// Records in it, if known.
    pub record_count: Option<u64>,
    /// Whether it can be reached through a node of the federation.
    pub connected: bool,
    /// Where the entry comes from.
    pub source: Source,
}

/// Where a register entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The seed catalogue (what exists; not necessarily connected).
    Seed,
    /// A descriptor its node published.
    Published,
}

/// Exchanges between two members for one evidence type on one day (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// Requesting member.
    pub requester: String,
    /// Providing member.
    pub provider: String,
    /// Evidence type classification.
    pub evidence_type: String,
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Exchanges that delivered evidence.
    pub count: u64,
}
