//! The exports of the whole catalogue: [`csv`] (one row per register) and [`dcat_turtle`]
//! (DCAT-AP.de 3.0 in Turtle: registers as `dcat:Dataset`, member nodes as `dcat:DataService`).
//!
//! Both are built in one `String` from the in-memory [`Catalogue`] without touching the database;
//! at the size of the full seed (about 130,000 registers) the Turtle export is one pass over the
//! registers and writes no per-register allocation besides what the output itself needs.
//!
//! The municipality data (names and keys of the official areas) is licensed under
//! dl-de/by-2-0 and must be shown with [`seed::ATTRIBUTION`]: the DCAT export carries it as the
//! catalogue's `dct:rights`; for the CSV see [`csv`].

use std::collections::{HashMap, HashSet};

use once_xml::level::Level;

use crate::catalogue::Catalogue;
use crate::model::{AreaLevel, Member, Register};
use crate::seed;

mod registers_csv;

pub use registers_csv::{CSV_COLUMNS, csv};

/// The whole catalogue in DCAT-AP.de 3.0, as Turtle. `base_url` is the absolute URL of the
/// register map (e.g. `https://map.example.org`); the IRIs of the catalogue's own resources are
/// built from it, with ids percent-encoded as one path segment:
///
/// - the catalogue `{base}/catalogue` (`dcat:Catalog`), published by `{base}/#operator`;
/// - every register `{base}/registers/{id}` (`dcat:Dataset`), its page on the map
///   (`{base}/registers?id={id}`) as `dcat:landingPage`;
/// - every member `{base}/members/{id}` (`foaf:Agent`, its page on the map), the publisher of
///   its registers;
/// - every member's node `{base}/nodes/{member id}` (`dcat:DataService`), for members with a
///   peer endpoint (an `http(s)` URL), serving their connected registers.
///
/// What is said (and why):
/// - catalogue: title, description, publisher, homepage, language, spatial (Germany), the
///   licence of the municipality data (`dl-by-de/2.0`) and its attribution
///   ([`seed::ATTRIBUTION`]) as `dct:rights`, the theme taxonomy, datasets and services;
/// - dataset: identifier, title, description (the type's description, keeper and legal basis),
///   publisher, `dct:accessRights` RESTRICTED (registers give data to authorities under a legal
///   basis, not to the public), themes (GOVE and the one of the type's category), keywords, the
///   political geocoding (`dcatde:politicalGeocodingURI` and, as DCAT-AP.de 3.0 recommends, the
///   same IRI as `dct:spatial`; Germany for federal registers) with
///   `dcatde:politicalGeocodingLevelURI`, the legal basis (`dcatde:legalBasis`; DCAT-AP.de 3.0
///   deprecates it in favour of `dcatap:applicableLegislation`, which needs an ELI IRI the
///   catalogue does not have) and a contact point where the member gives one;
/// - data service: title, description, endpoint URL, publisher, access rights RESTRICTED (mutual
///   TLS for members only), the datasets it serves;
/// - agent: name, identifier and the ADMS publisher type from the member id's class (`BUND`
///   national, `LAND` regional, `KREIS`/`KOMMUNE` local).
///
/// Evidence types and record counts are in the CSV, not here.
pub fn dcat_turtle(catalogue: &Catalogue, base_url: &str) -> String {
    dcat_turtle_where(catalogue, base_url, |_| true)
}

/// Like [`dcat_turtle`], for the registers `keep` accepts (and the registers that a node of the
/// catalogue serves, so that every `dcat:servesDataset` names a dataset of the export). The
/// catalogue, every data service and the agents of what is exported are always included.
pub fn dcat_turtle_where(
    catalogue: &Catalogue,
    base_url: &str,
    keep: impl Fn(&Register) -> bool,
) -> String {
    let exported = Exported::select(catalogue, keep);
    let mut t = Turtle {
        out: String::with_capacity(
            4096 + 1300 * exported.registers.len() + 300 * catalogue.members().len(),
        ),
        base: base_url.trim_end_matches('/'),
    };
    t.out.push_str(PREFIXES);
    t.catalogue(&exported);
    t.operator();
    for member in &exported.nodes {
        t.data_service(
            member,
            exported
                .serves
                .get(member.id.as_str())
                .map_or(&[], Vec::as_slice),
        );
    }
    for register in &exported.registers {
        t.dataset(catalogue, register);
    }
    t.publishers(catalogue, &exported);
    t.out
}

/// What an export holds besides the catalogue itself.
struct Exported<'c> {
    /// The members that run a node (a peer endpoint that is an `http(s)` URL), in catalogue
    /// order.
    nodes: Vec<&'c Member>,
    /// The registers exported, in catalogue order.
    registers: Vec<&'c Register>,
    /// Member id → the exported registers its node serves.
    serves: HashMap<&'c str, Vec<&'c Register>>,
}

impl<'c> Exported<'c> {
    /// The registers `keep` accepts and those a node serves (connected registers of a member
    /// that runs one), and every node.
    fn select(catalogue: &'c Catalogue, keep: impl Fn(&Register) -> bool) -> Exported<'c> {
        let nodes: Vec<&Member> = catalogue
            .members()
            .iter()
            .filter(|m| m.peer_url.as_deref().is_some_and(is_http_url))
            .collect();
        let node_ids: HashSet<&str> = nodes.iter().map(|m| m.id.as_str()).collect();
        let served = |r: &Register| r.connected && node_ids.contains(r.member.as_str());
        let registers: Vec<&Register> = catalogue
            .registers()
            .iter()
            .filter(|r| served(r) || keep(r))
            .collect();
        let mut serves: HashMap<&str, Vec<&Register>> = HashMap::new();
        for register in registers.iter().copied().filter(|r| served(r)) {
            serves
                .entry(register.member.as_str())
                .or_default()
                .push(register);
        }
        Exported {
            nodes,
            registers,
            serves,
        }
    }
}

const PREFIXES: &str = "\
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix access: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix geolevel: <http://dcat-ap.de/def/politicalGeocoding/Level/> .
@prefix publishertype: <http://purl.org/adms/publishertype/> .
";

const CATALOGUE_DESCRIPTION: &str = "Die Register der öffentlichen Verwaltung in Deutschland: \
welche es gibt, wer sie führt, für welches Gebiet und auf welcher Rechtsgrundlage, und welche über \
einen Knoten der once-Föderation für den Nachweisaustausch (OOTS) erreichbar sind.";

const GEOCODING: &str = "http://dcat-ap.de/def/politicalGeocoding/";

/// The Turtle being written: every method appends to `out`.
struct Turtle<'a> {
    out: String,
    base: &'a str,
}

impl Turtle<'_> {
    /// The `dcat:Catalog`, with its services and datasets.
    fn catalogue(&mut self, exported: &Exported<'_>) {
        self.out.push('\n');
        self.iri_path("catalogue", "");
        self.out.push_str(" a dcat:Catalog ;\n  dct:title ");
        self.literal("Registerlandkarte", Some("de"));
        self.out.push_str(", ");
        self.literal("Register map", Some("en"));
        self.out.push_str(" ;\n  dct:description ");
        self.literal(CATALOGUE_DESCRIPTION, Some("de"));
        self.out.push_str(" ;\n  dct:publisher ");
        self.iri_path("#operator", "");
        self.out.push_str(" ;\n  foaf:homepage ");
        self.iri_path("", "");
        self.out.push_str(
            " ;\n  dct:language <http://publications.europa.eu/resource/authority/language/DEU> ;\
             \n  dct:spatial <http://publications.europa.eu/resource/authority/country/DEU> ;\
             \n  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;\
             \n  dct:rights [ a dct:RightsStatement ; rdfs:label ",
        );
        self.literal(seed::ATTRIBUTION, Some("de"));
        self.out.push_str(
            " ] ;\n  dcat:themeTaxonomy <http://publications.europa.eu/resource/authority/data-theme>",
        );
        self.iri_list(
            "dcat:service",
            "nodes/",
            exported.nodes.iter().map(|m| m.id.as_str()),
        );
        self.iri_list(
            "dcat:dataset",
            "registers/",
            exported.registers.iter().map(|r| r.id.as_str()),
        );
        self.out.push_str(" .\n");
    }

    /// The operator of the map, the catalogue's publisher.
    fn operator(&mut self) {
        self.out.push('\n');
        self.iri_path("#operator", "");
        self.out.push_str(" a foaf:Agent ;\n  foaf:name ");
        self.literal("Betrieb der Registerlandkarte (once)", Some("de"));
        self.out.push_str(" ;\n  foaf:homepage ");
        self.iri_path("", "");
        self.out.push_str(" .\n");
    }

    /// The publishers of what is exported, as agents: the known members in catalogue order, then
    /// ids no member has, sorted.
    fn publishers(&mut self, catalogue: &Catalogue, exported: &Exported<'_>) {
        let mut publishers: HashSet<&str> = exported
            .registers
            .iter()
            .map(|r| r.member.as_str())
            .collect();
        publishers.extend(exported.nodes.iter().map(|m| m.id.as_str()));
        for member in catalogue.members() {
            if publishers.remove(member.id.as_str()) {
                self.agent(&member.id, &member.name);
            }
        }
        let mut unknown: Vec<&str> = publishers.into_iter().collect();
        unknown.sort_unstable();
        for id in unknown {
            self.agent(id, id);
        }
    }

    fn dataset(&mut self, catalogue: &Catalogue, register: &Register) {
        let kind = register
            .register_type
            .as_deref()
            .and_then(|t| catalogue.register_type(t));
        let member = catalogue.member(&register.member);
        let keeper = member.map_or(register.member.as_str(), |m| m.name.as_str());

        self.out.push('\n');
        self.iri_path("registers/", &register.id);
        self.out.push_str(" a dcat:Dataset ;\n  dct:identifier ");
        self.literal(&register.id, None);
        self.out.push_str(" ;\n  dct:title ");
        self.literal(&register.name, Some("de"));
        self.out.push_str(" ;\n  dct:description \"");
        match kind {
            Some(kind) => self.escaped(&kind.description),
            None => self.escaped(&register.name),
        }
        if !self.out.ends_with('.') {
            self.out.push('.');
        }
        self.out.push_str(" Geführt von: ");
        self.escaped(keeper);
        self.out.push('.');
        if !register.legal_basis.is_empty() {
            self.out.push_str(" Rechtsgrundlage: ");
            self.escaped(&register.legal_basis);
            self.out.push('.');
        }
        self.out.push_str("\"@de ;\n  dct:publisher ");
        self.iri_path("members/", &register.member);
        self.out.push_str(" ;\n  dcat:landingPage ");
        self.iri_path("registers?id=", &register.id);
        self.out
            .push_str(" ;\n  dct:accessRights access:RESTRICTED ;\n  dcat:theme theme:GOVE");
        if let Some(theme) = kind.and_then(|k| theme(&k.category)) {
            self.out.push_str(", theme:");
            self.out.push_str(theme);
        }
        let mut keywords = 0;
        let mut keyword = |t: &mut Self, text: &str, lang: Option<&str>| {
            if text.is_empty() {
                return;
            }
            t.out.push_str(if keywords == 0 {
                " ;\n  dcat:keyword "
            } else {
                ", "
            });
            t.literal(text, lang);
            keywords += 1;
        };
        if let Some(kind) = kind {
            keyword(self, &kind.name_de, Some("de"));
            keyword(self, &kind.name_en, Some("en"));
            keyword(self, &kind.category, Some("de"));
        }
        for standard in &register.standards {
            keyword(self, standard, None);
        }
        if let Some(level) = geocoding_level(register.level) {
            self.out
                .push_str(" ;\n  dcatde:politicalGeocodingLevelURI geolevel:");
            self.out.push_str(level);
        }
        let mut geocoded = false;
        for key in &register.jurisdictions {
            if let Some(kind) = geocoding_kind(catalogue, key) {
                for property in ["dcatde:politicalGeocodingURI", "dct:spatial"] {
                    self.out.push_str(" ;\n  ");
                    self.out.push_str(property);
                    self.out.push_str(" <");
                    self.out.push_str(GEOCODING);
                    self.out.push_str(kind);
                    self.out.push('/');
                    self.out.push_str(key);
                    self.out.push('>');
                }
                geocoded = true;
            }
        }
        if !geocoded && register.jurisdictions.is_empty() {
            self.out.push_str(
                " ;\n  dct:spatial <http://publications.europa.eu/resource/authority/country/DEU>",
            );
        }
        if !register.legal_basis.is_empty() {
            self.out.push_str(" ;\n  dcatde:legalBasis ");
            self.literal(&register.legal_basis, Some("de"));
        }
        if let Some(member) = member {
            self.contact_point(member);
        }
        self.out.push_str(" .\n");
    }

    fn data_service(&mut self, member: &Member, serves: &[&Register]) {
        let Some(endpoint) = member.peer_url.as_deref() else {
            return;
        };
        self.out.push('\n');
        self.iri_path("nodes/", &member.id);
        self.out
            .push_str(" a dcat:DataService ;\n  dct:title \"once-Knoten: ");
        self.escaped(&member.name);
        self.out
            .push_str("\"@de ;\n  dct:description \"Knoten der once-Föderation von ");
        self.escaped(&member.name);
        self.out.push_str(
            ": gibt Nachweise aus den Registern des Mitglieds im Nachweisaustausch (OOTS); \
             erreichbar nur für Mitglieder der Föderation über gegenseitig authentisiertes TLS.\"@de ;\
             \n  dcat:endpointURL <",
        );
        self.iri_text(endpoint);
        self.out.push_str("> ;\n  dct:publisher ");
        self.iri_path("members/", &member.id);
        self.out
            .push_str(" ;\n  dct:accessRights access:RESTRICTED");
        self.iri_list(
            "dcat:servesDataset",
            "registers/",
            serves.iter().map(|r| r.id.as_str()),
        );
        self.contact_point(member);
        self.out.push_str(" .\n");
    }

    fn agent(&mut self, id: &str, name: &str) {
        self.out.push('\n');
        self.iri_path("members/", id);
        self.out.push_str(" a foaf:Agent ;\n  foaf:name ");
        self.literal(name, Some("de"));
        self.out.push_str(" ;\n  dct:identifier ");
        self.literal(id, None);
        if let Some(kind) = publisher_type(id) {
            self.out.push_str(" ;\n  dct:type publishertype:");
            self.out.push_str(kind);
        }
        self.out.push_str(" .\n");
    }

    /// `dcat:contactPoint` from the member's contact, if it is an e-mail address or a URL.
    fn contact_point(&mut self, member: &Member) {
        let Some(contact) = member.contact.as_deref().map(str::trim) else {
            return;
        };
        let (property, prefix) = if contact.starts_with("mailto:") {
            ("vcard:hasEmail", "")
        } else if is_http_url(contact) {
            ("vcard:hasURL", "")
        } else if contact.starts_with("tel:") {
            ("vcard:hasTelephone", "")
        } else if contact.contains('@') && !contact.contains(':') {
            ("vcard:hasEmail", "mailto:")
        } else {
            return;
        };
        self.out
            .push_str(" ;\n  dcat:contactPoint [ a vcard:Kind ; vcard:fn ");
        self.literal(&member.name, Some("de"));
        self.out.push_str(" ; ");
        self.out.push_str(property);
        self.out.push_str(" <");
        self.out.push_str(prefix);
        self.iri_text(contact);
        self.out.push_str("> ]");
    }

    /// ` ;\n  {property} ` and the IRI of each id under `path`, comma-separated; nothing
    /// without ids.
    fn iri_list<'i>(&mut self, property: &str, path: &str, ids: impl Iterator<Item = &'i str>) {
        for (i, id) in ids.enumerate() {
            if i == 0 {
                self.out.push_str(" ;\n  ");
                self.out.push_str(property);
                self.out.push(' ');
            } else {
                self.out.push_str(",\n    ");
            }
            self.iri_path(path, id);
        }
    }

    /// `<{base}/{path}{segment}>`, the segment percent-encoded.
    fn iri_path(&mut self, path: &str, segment: &str) {
        self.out.push('<');
        let base = self.base;
        self.iri_text(base);
        self.out.push('/');
        self.out.push_str(path);
        percent_encode_segment(&mut self.out, segment);
        self.out.push('>');
    }

    /// Text from outside (a URL) inside `<…>`: characters an IRI reference cannot hold are
    /// percent-encoded.
    fn iri_text(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '\u{0}'..='\u{20}' | '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\' => {
                    push_percent(&mut self.out, c as u8);
                }
                c => self.out.push(c),
            }
        }
    }

    /// `"…"` or `"…"@lang`.
    fn literal(&mut self, text: &str, lang: Option<&str>) {
        self.out.push('"');
        self.escaped(text);
        self.out.push('"');
        if let Some(lang) = lang {
            self.out.push('@');
            self.out.push_str(lang);
        }
    }

    /// The text escaped for a Turtle `"…"` string.
    fn escaped(&mut self, text: &str) {
        let mut rest = text;
        while let Some(at) = rest.find(|c: char| matches!(c, '"' | '\\') || c.is_control()) {
            self.out.push_str(&rest[..at]);
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c => {
                    self.out.push_str("\\u");
                    let code = u32::from(c);
                    for shift in [12, 8, 4, 0] {
                        self.out.push(HEX[((code >> shift) & 0xf) as usize] as char);
                    }
                }
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.out.push_str(rest);
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_percent(out: &mut String, byte: u8) {
    out.push('%');
    out.push(HEX[usize::from(byte >> 4)] as char);
    out.push(HEX[usize::from(byte & 0xf)] as char);
}

/// Every byte but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`) as `%XX`, so an
/// id (`DE-HB:KOMMUNE:04011000/melderegister`) stays one path segment.
fn percent_encode_segment(out: &mut String, segment: &str) {
    for &b in segment.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            push_percent(out, b);
        }
    }
}

fn is_http_url(url: &str) -> bool {
    let url = url.trim();
    ["https://", "http://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            && url.len() > scheme.len()
    })
}

/// The DCAT-AP.de political geocoding level of a register's level.
fn geocoding_level(level: Level) -> Option<&'static str> {
    match level {
        Level::Federal => Some("federal"),
        Level::State => Some("state"),
        Level::District => Some("administrativeDistrict"),
        Level::Municipality => Some("municipality"),
        _ => None,
    }
}

/// The kind of political geocoding IRI of an official key (`municipalityKey` for an AGS, …):
/// from the area's level where the catalogue knows the area, else from the key's length. `None`
/// for a key that is not one.
fn geocoding_kind(catalogue: &Catalogue, key: &str) -> Option<&'static str> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let level = match catalogue.area(key) {
        Some(area) => Some(area.level),
        None => match key.len() {
            2 => Some(AreaLevel::State),
            3 => Some(AreaLevel::GovernmentDistrict),
            5 => Some(AreaLevel::District),
            8 => Some(AreaLevel::Municipality),
            9 => Some(AreaLevel::MunicipalAssociation),
            _ => None,
        },
    };
    match level {
        Some(AreaLevel::State) => Some("stateKey"),
        Some(AreaLevel::GovernmentDistrict) => Some("governmentDistrictKey"),
        Some(AreaLevel::District) => Some("districtKey"),
        Some(AreaLevel::MunicipalAssociation) => Some("municipalAssociationKey"),
        Some(AreaLevel::Municipality) => Some("municipalityKey"),
        None if key.len() == 12 => Some("regionalKey"),
        None => None,
    }
}

/// The EU data theme (besides GOVE, which every register has) of a register type's category.
fn theme(category: &str) -> Option<&'static str> {
    Some(match category {
        "Personen" | "Familie" | "Soziales" | "Migration" => "SOCI",
        "Unternehmen und Gewerbe" | "Steuern" | "Geistiges Eigentum" => "ECON",
        "Fahrzeuge und Verkehr" => "TRAN",
        "Umwelt" => "ENVI",
        "Gesundheit" => "HEAL",
        "Grundstücke und Bauen" => "REGI",
        "Sicherheit" => "JUST",
        "Bildung" => "EDUC",
        "Energie" => "ENER",
        "Landwirtschaft" => "AGRI",
        _ => return None,
    })
}

/// The ADMS publisher type of a member, from the class in its id (`DE-HB:KOMMUNE:04011000`).
fn publisher_type(member: &str) -> Option<&'static str> {
    match member.split(':').nth(1)? {
        "BUND" => Some("NationalAuthority"),
        "LAND" => Some("RegionalAuthority"),
        "KREIS" | "KOMMUNE" => Some("LocalAuthority"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Snapshot;
    use crate::model::{Instancing, Jurisdiction, RegisterType, Source};

    fn catalogue() -> Catalogue {
        let area = |key: &str, level, name: &str| Jurisdiction {
            key: key.into(),
            ars: None,
            level,
            name: name.into(),
            state: key[..2].into(),
            district: None,
            population: None,
        };
        Catalogue::build(Snapshot {
            types: vec![RegisterType {
                code: "melderegister".into(),
                name_de: "Melderegister".into(),
                name_en: "Population register".into(),
                description: "Enthält die Meldedaten.".into(),
                operator_kind: "Meldebehörde".into(),
                level: Level::Municipality,
                instancing: Instancing::PerMunicipality,
                legal_basis: "Bundesmeldegesetz (BMG)".into(),
                evidence_types: vec!["urn:e:residence".into()],
                standards: vec!["XMeld".into()],
                category: "Personen".into(),
            }],
            areas: vec![area("04011000", AreaLevel::Municipality, "Bremen, Stadt")],
            members: vec![Member {
                id: "DE-HB:KOMMUNE:04011000".into(),
                name: "Stadt \"Bremen\"".into(),
                contact: Some("melde@bremen.example".into()),
                peer_url: Some("https://node.bremen.example:8443".into()),
                tls_fingerprint: None,
                published_at: None,
            }],
            registers: vec![Register {
                id: "DE-HB:KOMMUNE:04011000/melderegister".into(),
                member: "DE-HB:KOMMUNE:04011000".into(),
                local_id: "melderegister".into(),
                register_type: Some("melderegister".into()),
                name: "Melderegister – Bremen, Stadt".into(),
                level: Level::Municipality,
                jurisdictions: vec!["04011000".into()],
                evidence_types: vec!["urn:e:residence".into(), "urn:e:x".into()],
                legal_basis: "BMG\n§ 33".into(),
                standards: vec!["XMeld".into()],
                record_count: Some(569_352),
                connected: true,
                source: Source::Published,
            }],
            ..Snapshot::default()
        })
    }

    #[test]
    fn csv_quotes_and_joins() {
        let text = csv(&catalogue());
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next(), Some(CSV_COLUMNS.join(",").as_str()));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let row: Vec<&str> = rows[0].iter().collect();
        assert_eq!(
            row,
            [
                "DE-HB:KOMMUNE:04011000/melderegister",
                "Melderegister – Bremen, Stadt",
                "DE-HB:KOMMUNE:04011000",
                "Stadt \"Bremen\"",
                "melderegister",
                "Melderegister",
                "municipality",
                "04011000",
                "Bremen, Stadt",
                "urn:e:residence urn:e:x",
                "BMG\n§ 33",
                "XMeld",
                "569352",
                "true",
                "published",
            ]
        );
        // RFC 4180: a field with a quote is quoted and the quote doubled.
        assert!(text.contains("\"Stadt \"\"Bremen\"\"\""), "{text}");
    }

    #[test]
    fn turtle_escapes_and_encodes() {
        let ttl = dcat_turtle(&catalogue(), "https://map.example/");
        for expected in [
            "<https://map.example/registers/DE-HB%3AKOMMUNE%3A04011000%2Fmelderegister> a dcat:Dataset",
            "dct:publisher <https://map.example/members/DE-HB%3AKOMMUNE%3A04011000>",
            "dcat:landingPage <https://map.example/registers?id=DE-HB%3AKOMMUNE%3A04011000%2Fmelderegister>",
            "foaf:name \"Stadt \\\"Bremen\\\"\"@de",
            "dcatde:legalBasis \"BMG\\n§ 33\"@de",
            "dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/municipalityKey/04011000>",
            "dct:spatial <http://dcat-ap.de/def/politicalGeocoding/municipalityKey/04011000>",
            "dcatde:politicalGeocodingLevelURI geolevel:municipality",
            "dcat:theme theme:GOVE, theme:SOCI",
            "dcat:endpointURL <https://node.bremen.example:8443>",
            "dcat:servesDataset <https://map.example/registers/DE-HB%3AKOMMUNE%3A04011000%2Fmelderegister>",
            "vcard:hasEmail <mailto:melde@bremen.example>",
            "dct:type publishertype:LocalAuthority",
            seed::ATTRIBUTION,
        ] {
            assert!(ttl.contains(expected), "{expected} missing in\n{ttl}");
        }
    }

    #[test]
    fn escaping_and_encoding() {
        let mut t = Turtle {
            out: String::new(),
            base: "https://m.example/a b",
        };
        t.literal("a\"b\\c\u{1}d\té", Some("de"));
        assert_eq!(t.out, "\"a\\\"b\\\\c\\u0001d\\té\"@de");
        t.out.clear();
        t.iri_path("registers/", "x:y/z ä");
        assert_eq!(
            t.out,
            "<https://m.example/a%20b/registers/x%3Ay%2Fz%20%C3%A4>"
        );
        t.out.clear();
        t.iri_text("https://x.example/<a>{b}");
        assert_eq!(t.out, "https://x.example/%3Ca%3E%7Bb%7D");
    }

    #[test]
    fn geocoding_kinds() {
        let c = Catalogue::default();
        let kinds: Vec<Option<&str>> = [
            "04",
            "091",
            "04011",
            "04011000",
            "033515401",
            "040110000000",
            "4x",
            "",
        ]
        .into_iter()
        .map(|k| geocoding_kind(&c, k))
        .collect();
        assert_eq!(
            kinds,
            [
                Some("stateKey"),
                Some("governmentDistrictKey"),
                Some("districtKey"),
                Some("municipalityKey"),
                Some("municipalAssociationKey"),
                Some("regionalKey"),
                None,
                None
            ]
        );
        assert_eq!(publisher_type("DE:BUND:kba"), Some("NationalAuthority"));
        assert_eq!(
            publisher_type("DE-BY:LAND:registergericht"),
            Some("RegionalAuthority")
        );
        assert_eq!(publisher_type("x"), None);
    }
}
