//! The seed catalogue: the register types that exist in Germany, the official municipality list
//! (Destatis GV100AD, Gebietsstand 30.09.2018) as jurisdictions, and the registers these give
//! when every type is instanced the way it exists (one population register per municipality, one
//! central vehicle register, one commercial register per state, …). `once map seed` loads it.
//!
//! Both data files are embedded (`data/`), so the binary works anywhere. The municipality data
//! is licensed under dl-de/by-2-0 and must be shown with [`ATTRIBUTION`].
//!
//! Member ids of the instances:
//! - federal: `DE:BUND:<operator code>` (e.g. `DE:BUND:kba`), one per operator;
//! - per state: `DE-<ST>:LAND:<operator code>` (e.g. `DE-BY:LAND:registergericht`), one per state
//!   and kind of authority, so the commercial, cooperative and association registers of a state
//!   share one member;
//! - per district: `DE-<ST>:KREIS:<5-digit district key>`;
//! - per municipality: `DE-<ST>:KOMMUNE:<8-digit AGS>`;
//!
//! where `<ST>` is the state's two-letter code ([`state_code`]) and the operator code comes from
//! the type's operator kind ([`operator_code`]). A register's local id is its type code, so its
//! map-wide id is e.g. `DE-HB:KOMMUNE:04011000/melderegister`.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use once_xml::level::Level;

use crate::model::{AreaLevel, Instancing, Jurisdiction, Member, Register, RegisterType, Source};

/// The attribution the licence of the municipality data (dl-de/by-2-0) requires wherever the
/// project shows or ships it (page footer, exports).
pub const ATTRIBUTION: &str = "Datenquelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD, Gebietsstand 30.09.2018, Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0); CSV: Formatumwandlung (Daten geändert).";

/// The licence text of the municipality data.
pub const LICENCE_URL: &str = "https://www.govdata.de/dl-de/by-2-0";

const AREAS_FILE: &str = "data/gv100ad_2018-09-30.csv";
const AREAS_CSV: &str = include_str!("../data/gv100ad_2018-09-30.csv");
const TYPES_FILE: &str = "data/register-types.csv";
const TYPES_CSV: &str = include_str!("../data/register-types.csv");

/// The columns of `register-types.csv`, in this order.
const TYPE_COLUMNS: [&str; 11] = [
    "code",
    "name_de",
    "name_en",
    "description",
    "operator_kind",
    "level",
    "instancing",
    "legal_basis",
    "evidence_types",
    "standards",
    "category",
];

/// Register types whose record count is the population of the area they serve.
const POPULATION_REGISTERS: [&str; 1] = ["melderegister"];

/// State keys and their two-letter codes (ISO 3166-2:DE without the `DE-`).
const STATES: [(&str, &str); 16] = [
    ("01", "SH"),
    ("02", "HH"),
    ("03", "NI"),
    ("04", "HB"),
    ("05", "NW"),
    ("06", "HE"),
    ("07", "RP"),
    ("08", "BW"),
    ("09", "BY"),
    ("10", "SL"),
    ("11", "BE"),
    ("12", "BB"),
    ("13", "MV"),
    ("14", "SN"),
    ("15", "ST"),
    ("16", "TH"),
];

/// Why the seed data could not be read. Each variant names the file and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The file is not well-formed CSV (quoting, field count, encoding).
    #[error("{file}, line {line}: malformed CSV: {source}")]
    Csv {
        /// The data file.
        file: &'static str,
        /// The line (1-based) where the error was found.
        line: u64,
        /// What the CSV reader reported.
        #[source]
        source: csv::Error,
    },
    /// A record (or the header) breaks a rule of the catalogue.
    #[error("{file}, line {line}: {message}")]
    Record {
        /// The data file.
        file: &'static str,
        /// The line (1-based) of the record.
        line: u64,
        /// What is wrong, and how to fix it.
        message: String,
    },
}

/// Everything the seed holds, as `once map seed` stores it.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The register types, in catalogue order.
    pub types: Vec<RegisterType>,
    /// States, government districts, districts, municipal associations and municipalities.
    pub jurisdictions: Vec<Jurisdiction>,
    /// The members that keep the seed registers.
    pub members: Vec<Member>,
    /// The seed registers.
    pub registers: Vec<Register>,
}

/// The instances of a set of register types over a set of areas: see [`registers`].
#[derive(Debug, Clone, Default)]
pub struct Instances {
    /// Every member that keeps at least one of the registers, each once, in order of first use.
    pub members: Vec<Member>,
    /// The registers, type by type in the order of the types, area by area in the order of the
    /// areas.
    pub registers: Vec<Register>,
}

/// Reads the whole embedded seed: types, jurisdictions and their instances.
pub fn load() -> Result<Seed, SeedError> {
    let types = register_types()?;
    let jurisdictions = jurisdictions()?;
    let Instances { members, registers } = registers(&types, &jurisdictions);
    Ok(Seed {
        types,
        jurisdictions,
        members,
        registers,
    })
}

/// The official areas of the embedded municipality list (GV100AD, 30.09.2018), in file order.
///
/// Keys: state 2 digits, government district 3, district 5, municipal association 9
/// (district + association), municipality the 8-digit AGS (its 12-digit ARS in `ars`).
/// Population is set for municipalities only (six NRW municipalities carry 0 in the source).
///
/// Left out: the 12 planning regions of Baden-Württemberg (Satzart 30; no authority keeps
/// registers for them) and the 77 unincorporated areas (Textkennzeichen 65/66: forests, lakes,
/// military areas, coastal waters), which no municipal authority serves and which
/// [`Jurisdiction`] has no field to mark.
pub fn jurisdictions() -> Result<Vec<Jurisdiction>, SeedError> {
    parse_jurisdictions(AREAS_CSV, AREAS_FILE)
}

/// The register types of the embedded catalogue, in file order.
///
/// Strict: a wrong header, an empty name, an unknown level or instancing, a level that is not the
/// level of its instancing, a malformed or duplicate code is an error naming the line.
pub fn register_types() -> Result<Vec<RegisterType>, SeedError> {
    parse_register_types(TYPES_CSV, TYPES_FILE)
}

/// Instances every type over the areas the way it exists and returns the registers with the
/// members that keep them (ids: see the module documentation).
///
/// - federal: one register with no jurisdiction key (an empty list means the whole country);
/// - per state: one per state area (key of 2 digits);
/// - per district: one per district area (5 digits);
/// - per municipality: one per municipality area (8-digit AGS).
///
/// Every register is `connected: false` with `source: Seed`; the population register's
/// `record_count` is the municipality's population where the source gives one above 0.
/// Areas whose state key is not one of the 16 states are skipped (they have no member id).
pub fn registers(types: &[RegisterType], areas: &[Jurisdiction]) -> Instances {
    let index = AreaIndex::new(areas);
    let mut builder = Builder::default();
    for t in types {
        match t.instancing {
            Instancing::Federal => {
                let member = format!("DE:BUND:{}", operator_code(&t.operator_kind));
                builder.member(&member, || t.operator_kind.clone());
                builder.register(t, member, t.name_de.clone(), Vec::new(), None);
            }
            Instancing::PerState => {
                let operator = operator_code(&t.operator_kind);
                for (state, code) in &index.states {
                    let member = format!("DE-{code}:LAND:{operator}");
                    builder.member(&member, || format!("{} – {}", t.operator_kind, state.name));
                    let name = format!("{} – {}", t.name_de, state.name);
                    builder.register(t, member, name, vec![state.key.clone()], None);
                }
            }
            Instancing::PerDistrict => {
                for (district, code) in &index.districts {
                    let member = format!("DE-{code}:KREIS:{}", district.key);
                    let title = builder
                        .member(&member, || {
                            squeeze(district_title(
                                &district.name,
                                &district.state,
                                index.is_city(district),
                            ))
                        })
                        .to_owned();
                    let name = format!("{} – {title}", t.name_de);
                    builder.register(t, member, name, vec![district.key.clone()], None);
                }
            }
            Instancing::PerMunicipality => {
                let counts_population = POPULATION_REGISTERS.contains(&t.code.as_str());
                for (municipality, code) in &index.municipalities {
                    let member = format!("DE-{code}:KOMMUNE:{}", municipality.key);
                    let title = builder
                        .member(&member, || {
                            squeeze(municipality_title(&municipality.name, &municipality.key))
                        })
                        .to_owned();
                    let name = format!("{} – {title}", t.name_de);
                    let records = municipality
                        .population
                        .filter(|&p| counts_population && p > 0);
                    let keys = vec![municipality.key.clone()];
                    builder.register(t, member, name, keys, records);
                }
            }
        }
    }
    Instances {
        members: builder.members,
        registers: builder.registers,
    }
}

/// The two-letter code of a state (`"04"` → `"HB"`), as used in member ids (`DE-HB:…`).
pub fn state_code(state_key: &str) -> Option<&'static str> {
    STATES
        .iter()
        .find(|(key, _)| *key == state_key)
        .map(|(_, code)| *code)
}

/// The member code of an operator kind, used for federal and state members: the abbreviation in
/// closing parentheses if there is one (`"Kraftfahrt-Bundesamt (KBA)"` → `kba`), otherwise the
/// whole text in lowercase ASCII with umlauts spelled out and other characters turned into
/// hyphens (`"Zentrales Vollstreckungsgericht"` → `zentrales-vollstreckungsgericht`).
///
/// The result is always a valid member code (1 to 64 of `a-z 0-9 -`, starting with a letter or
/// digit); an operator kind with no letters or digits gives `verwaltung`.
pub fn operator_code(operator_kind: &str) -> String {
    let text = operator_kind.trim();
    let abbreviation = text
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once('('))
        .map(|(_, inner)| inner)
        .filter(|inner| {
            inner
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    slug(abbreviation.unwrap_or(text))
}

/// Lowercase ASCII, umlauts spelled out, runs of anything else one hyphen, at most 64 bytes.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ if !out.is_empty() && !out.ends_with('-') => out.push('-'),
            _ => {}
        }
    }
    out.truncate(64);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("verwaltung");
    }
    out
}

/// Single spaces only ("Kreis- und  Hochschulstadt" has two in the source).
fn squeeze(text: String) -> String {
    if text.contains("  ") {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        text
    }
}

/// The name of a municipality's administration from its GV100AD name, whose designation follows
/// a comma: "Bremen, Stadt" → "Stadt Bremen", "Freihung, M" → "Markt Freihung",
/// "Lübeck, Hansestadt" → "Hansestadt Lübeck", "Waldfeucht" → "Gemeinde Waldfeucht". A
/// district-free city without designation (AGS ending in 000, e.g. "Ingolstadt") is a "Stadt".
fn municipality_title(name: &str, ags: &str) -> String {
    let Some((base, designation)) = name.split_once(", ") else {
        let kind = if ags.ends_with("000") {
            "Stadt"
        } else {
            "Gemeinde"
        };
        return format!("{kind} {name}");
    };
    let lower = designation.to_lowercase();
    match designation {
        "M" => format!("Markt {base}"),
        "St" | "Stadt" | "GKSt" => format!("Stadt {base}"),
        // Several designations ("Kurort, Stadt", "Barbarossast., Krst."): the legal form is what
        // names the administration.
        _ if designation.contains(',') => {
            let kind = if lower.contains("stadt") || lower.contains("st.") {
                "Stadt"
            } else {
                "Gemeinde"
            };
            format!("{kind} {base}")
        }
        // "Hansestadt", "Landeshauptstadt", "Lutherstadt", "Flecken", "Marktgemeinde", …
        _ if lower.contains("stadt")
            || lower.ends_with("gemeinde")
            || lower.ends_with("flecken")
            || designation == "Kirchspiel" =>
        {
            format!("{designation} {base}")
        }
        // Honorary designations ("Kurort", "Nordseebad"): an ordinary municipality.
        _ => format!("Gemeinde {base}"),
    }
}

/// The name of a district's administration: "Stadt …" (or its designation, "Landeshauptstadt
/// Wiesbaden") for a district-free city, the name itself when it names its kind ("Rhein-Sieg-Kreis",
/// "Region Hannover", "Regionalverband Saarbrücken"), else "Kreis …" in Schleswig-Holstein and
/// North Rhine-Westphalia and "Landkreis …" elsewhere.
fn district_title(name: &str, state: &str, is_city: bool) -> String {
    let (base, designation) = match name.split_once(", ") {
        Some((base, designation)) => (base, Some(designation)),
        None => (name, None),
    };
    if is_city {
        return match designation {
            Some(d)
                if d.to_lowercase().contains("stadt")
                    && !matches!(d, "Stadt" | "kreisfreie Stadt" | "Stadtkreis") =>
            {
                format!("{d} {base}")
            }
            _ => format!("Stadt {base}"),
        };
    }
    let lower = base.to_lowercase();
    if lower.contains("kreis") || lower.starts_with("region") || lower.starts_with("städteregion")
    {
        base.to_owned()
    } else if matches!(state, "01" | "05") {
        format!("Kreis {base}")
    } else {
        format!("Landkreis {base}")
    }
}

/// The areas by level, each with its state code, and the municipality keys for finding
/// district-free cities.
struct AreaIndex<'a> {
    states: Vec<(&'a Jurisdiction, &'static str)>,
    districts: Vec<(&'a Jurisdiction, &'static str)>,
    municipalities: Vec<(&'a Jurisdiction, &'static str)>,
    municipality_keys: HashSet<&'a str>,
}

impl<'a> AreaIndex<'a> {
    fn new(areas: &'a [Jurisdiction]) -> Self {
        let mut index = AreaIndex {
            states: Vec::with_capacity(16),
            districts: Vec::with_capacity(401),
            municipalities: Vec::with_capacity(11_100),
            municipality_keys: HashSet::with_capacity(11_100),
        };
        for area in areas {
            let Some(code) = state_code(&area.state) else {
                continue;
            };
            match area.level {
                AreaLevel::State => index.states.push((area, code)),
                AreaLevel::District => index.districts.push((area, code)),
                AreaLevel::Municipality => {
                    index.municipalities.push((area, code));
                    index.municipality_keys.insert(&area.key);
                }
                AreaLevel::GovernmentDistrict | AreaLevel::MunicipalAssociation => {}
            }
        }
        index
    }

    /// A district-free city is a district whose only municipality has the district key + 000.
    fn is_city(&self, district: &Jurisdiction) -> bool {
        self.municipality_keys
            .contains(format!("{}000", district.key).as_str())
    }
}

/// Collects members (each once) and registers.
#[derive(Default)]
struct Builder {
    members: Vec<Member>,
    member_index: HashMap<String, usize>,
    registers: Vec<Register>,
}

impl Builder {
    /// Adds the member if it is new (naming it with `name`); returns its name.
    fn member(&mut self, id: &str, name: impl FnOnce() -> String) -> &str {
        let at = match self.member_index.get(id) {
            Some(&at) => at,
            None => {
                self.members.push(Member {
                    id: id.to_owned(),
                    name: name(),
                    contact: None,
                    peer_url: None,
                    tls_fingerprint: None,
                    published_at: None,
                });
                self.member_index
                    .insert(id.to_owned(), self.members.len() - 1);
                self.members.len() - 1
            }
        };
        &self.members[at].name
    }

    fn register(
        &mut self,
        t: &RegisterType,
        member: String,
        name: String,
        jurisdictions: Vec<String>,
        record_count: Option<u64>,
    ) {
        self.registers.push(Register {
            id: format!("{member}/{}", t.code),
            member,
            local_id: t.code.clone(),
            register_type: Some(t.code.clone()),
            name,
            level: t.level,
            jurisdictions,
            evidence_types: t.evidence_types.clone(),
            legal_basis: t.legal_basis.clone(),
            standards: t.standards.clone(),
            record_count,
            connected: false,
            source: Source::Seed,
        });
    }
}

/// Reads the municipality list (GV100AD as CSV): the states, government districts, districts,
/// municipal associations and municipalities, each checked against its record type.
fn parse_jurisdictions(text: &str, file: &'static str) -> Result<Vec<Jurisdiction>, SeedError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(file, e))?.clone();
    let columns = AreaColumns::find(&headers, file)?;
    let mut areas = Vec::with_capacity(16_100);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(file, e))?;
        let line = record.position().map_or(0, csv::Position::line);
        let area = columns.area(&record).map_err(|message| SeedError::Record {
            file,
            line,
            message,
        })?;
        areas.extend(area);
    }
    Ok(areas)
}

/// Where the columns of the municipality list that are read are, by name.
struct AreaColumns {
    satzart: usize,
    ebene: usize,
    schluessel: usize,
    ars: usize,
    ags: usize,
    land: usize,
    name: usize,
    typ: usize,
    bevoelkerung: usize,
}

impl AreaColumns {
    /// Finds the columns in the header; refused when one is missing.
    fn find(headers: &csv::StringRecord, file: &'static str) -> Result<AreaColumns, SeedError> {
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| SeedError::Record {
                    file,
                    line: 1,
                    message: format!("the header has no column {name:?}"),
                })
        };
        Ok(AreaColumns {
            satzart: column("satzart")?,
            ebene: column("ebene")?,
            schluessel: column("schluessel")?,
            ars: column("ars")?,
            ags: column("ags")?,
            land: column("land")?,
            name: column("name")?,
            typ: column("typ")?,
            bevoelkerung: column("bevoelkerung")?,
        })
    }

    /// The area of one record; `None` for the records that are skipped. A refusal says why.
    fn area(&self, record: &csv::StringRecord) -> Result<Option<Jurisdiction>, String> {
        let field = |i: usize| record.get(i).unwrap_or_default();
        let state = field(self.land);
        if state_code(state).is_none() {
            return Err(format!("unknown state key {state:?}; expected 01 to 16"));
        }
        let Some((level, expected_ebene, key_column, key_len)) =
            self.record_kind(field(self.satzart), field(self.typ))?
        else {
            return Ok(None);
        };
        let key = field(key_column);
        if field(self.ebene) != expected_ebene {
            return Err(format!(
                "satzart {} is ebene {expected_ebene:?}, not {:?}",
                field(self.satzart),
                field(self.ebene)
            ));
        }
        if !is_digits(key, key_len) || !key.starts_with(state) {
            return Err(format!(
                "key {key:?} must be {key_len} digits starting with the state key {state}"
            ));
        }
        let area_name = field(self.name);
        if area_name.trim().is_empty() {
            return Err(format!("area {key} has no name"));
        }
        let population = if level == AreaLevel::Municipality {
            let text = field(self.bevoelkerung);
            Some(
                text.parse::<u64>()
                    .map_err(|_| format!("population {text:?} of {key} is not a whole number"))?,
            )
        } else {
            None
        };
        let district = matches!(
            level,
            AreaLevel::District | AreaLevel::MunicipalAssociation | AreaLevel::Municipality
        )
        .then(|| key[..5].to_owned());
        let ars = Some(field(self.ars))
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        Ok(Some(Jurisdiction {
            key: key.to_owned(),
            ars,
            level,
            name: area_name.to_owned(),
            state: state.to_owned(),
            district,
            population,
        }))
    }

    /// What a record of type `satzart` is: its level, the `ebene` it must have, the column of
    /// its key and the key's length; `None` for planning regions and unincorporated areas
    /// (`typ` 65 and 66), for which no registers are kept.
    fn record_kind(
        &self,
        satzart: &str,
        typ: &str,
    ) -> Result<Option<(AreaLevel, &'static str, usize, usize)>, String> {
        Ok(Some(match satzart {
            "10" => (AreaLevel::State, "land", self.schluessel, 2),
            "20" => (
                AreaLevel::GovernmentDistrict,
                "regierungsbezirk",
                self.schluessel,
                3,
            ),
            // Planning regions of Baden-Württemberg: no registers are kept for them.
            "30" => return Ok(None),
            "40" => (AreaLevel::District, "kreis", self.ags, 5),
            "50" => (
                AreaLevel::MunicipalAssociation,
                "gemeindeverband",
                self.schluessel,
                9,
            ),
            "60" if matches!(typ, "65" | "66") => return Ok(None),
            "60" => (AreaLevel::Municipality, "gemeinde", self.ags, 8),
            other => {
                return Err(format!(
                    "unknown satzart {other:?}; expected 10, 20, 30, 40, 50 or 60"
                ));
            }
        }))
    }
}

fn parse_register_types(text: &str, file: &'static str) -> Result<Vec<RegisterType>, SeedError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(file, e))?;
    if !headers.iter().eq(TYPE_COLUMNS) {
        return Err(SeedError::Record {
            file,
            line: 1,
            message: format!("the header must be exactly {}", TYPE_COLUMNS.join(",")),
        });
    }
    let mut types: Vec<RegisterType> = Vec::with_capacity(96);
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(file, e))?;
        let line = record.position().map_or(0, csv::Position::line);
        let fail = |message: String| SeedError::Record {
            file,
            line,
            message,
        };
        let field = |i: usize| record.get(i).unwrap_or_default().trim();
        let required = |i: usize| {
            let value = field(i);
            if value.is_empty() {
                Err(fail(format!("{} must not be empty", TYPE_COLUMNS[i])))
            } else {
                Ok(value.to_owned())
            }
        };
        let code = required(0)?;
        let code_ok = code.as_bytes()[0].is_ascii_lowercase()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !code_ok {
            return Err(fail(format!(
                "code {code:?} must be lowercase letters, digits and hyphens, starting with a letter"
            )));
        }
        if let Some(first) = first_line.insert(code.clone(), line) {
            return Err(fail(format!(
                "duplicate code {code:?} (first on line {first})"
            )));
        }
        let level = Level::from_str(field(5)).map_err(|e| fail(e.to_string()))?;
        let instancing = parse_instancing(field(6)).ok_or_else(|| {
            fail(format!(
                "unknown instancing {:?}; use federal, per_state, per_district or per_municipality",
                field(6)
            ))
        })?;
        if instancing_level(instancing) != level {
            return Err(fail(format!(
                "level {} does not fit instancing {}; a {} register type has level {}",
                level.as_str(),
                field(6),
                field(6),
                instancing_level(instancing).as_str()
            )));
        }
        let evidence_types: Vec<String> = field(8).split_whitespace().map(str::to_owned).collect();
        if let Some(bad) = evidence_types.iter().find(|e| !e.starts_with("urn:")) {
            return Err(fail(format!("evidence type {bad:?} must be a URN")));
        }
        types.push(RegisterType {
            code,
            name_de: required(1)?,
            name_en: required(2)?,
            description: required(3)?,
            operator_kind: required(4)?,
            level,
            instancing,
            legal_basis: required(7)?,
            evidence_types,
            standards: field(9).split_whitespace().map(str::to_owned).collect(),
            category: required(10)?,
        });
    }
    Ok(types)
}

fn parse_instancing(text: &str) -> Option<Instancing> {
    match text {
        "federal" => Some(Instancing::Federal),
        "per_state" => Some(Instancing::PerState),
        "per_district" => Some(Instancing::PerDistrict),
        "per_municipality" => Some(Instancing::PerMunicipality),
        _ => None,
    }
}

/// The level at which instances of this instancing exist.
fn instancing_level(instancing: Instancing) -> Level {
    match instancing {
        Instancing::Federal => Level::Federal,
        Instancing::PerState => Level::State,
        Instancing::PerDistrict => Level::District,
        Instancing::PerMunicipality => Level::Municipality,
    }
}

fn is_digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

fn csv_error(file: &'static str, source: csv::Error) -> SeedError {
    SeedError::Csv {
        file,
        line: source.position().map_or(0, csv::Position::line),
        source,
    }
}

#[cfg(test)]
mod tests;
