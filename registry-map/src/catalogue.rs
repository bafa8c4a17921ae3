//! The map in memory: built once from the database after every change, then read by search,
//! facets, discovery, the web page and the exports without touching the database. At the size of
//! the full seed (tens of thousands of registers) a search is a few posting-list intersections and
//! a discovery a handful of hash lookups.

use std::collections::{BTreeMap, HashMap, HashSet};

use once_xml::level::Level;
use serde::Serialize;

use crate::db::Snapshot;
use crate::model::{Flow, Jurisdiction, Member, Register, RegisterType};

mod index;

use index::Indexes;

/// The map in memory.
#[derive(Debug, Default)]
pub struct Catalogue {
    types: Vec<RegisterType>,
    type_index: HashMap<String, usize>,
    areas: HashMap<String, Jurisdiction>,
    members: Vec<Member>,
    member_index: HashMap<String, usize>,
    registers: Vec<Register>,
    register_index: HashMap<String, usize>,
    flows: Vec<Flow>,
    /// Search: every distinct word with the registers it occurs in, sorted by word; a query word
    /// matches every word it prefixes.
    tokens: Vec<(Box<str>, Vec<u32>)>,
    /// Discovery: evidence type → official key ("" for the whole country) → connected registers.
    providers: HashMap<String, HashMap<String, Vec<u32>>>,
    /// Facet values of each register, computed once.
    facets: Vec<RegisterFacets>,
    facet_values: FacetValues,
}

/// The facets, in the order they are shown; [`SearchResult::facets`] is keyed by these names.
pub const FACETS: [&str; 7] = [
    "level",
    "state",
    "evidence_type",
    "operator",
    "standard",
    "connected",
    "type",
];
const LEVEL: usize = 0;
const STATE: usize = 1;
const EVIDENCE: usize = 2;
const OPERATOR: usize = 3;
const STANDARD: usize = 4;
const CONNECTED: usize = 5;
const TYPE: usize = 6;

/// The distinct values of each facet, numbered, so that counting is array arithmetic.
#[derive(Debug, Default)]
struct FacetValues {
    values: [Vec<String>; 7],
    ids: [HashMap<String, u32>; 7],
}

impl FacetValues {
    fn id(&mut self, facet: usize, value: &str) -> u32 {
        if let Some(&id) = self.ids[facet].get(value) {
            return id;
        }
        let id = u32::try_from(self.values[facet].len()).unwrap_or(u32::MAX);
        self.values[facet].push(value.to_owned());
        self.ids[facet].insert(value.to_owned(), id);
        id
    }
}

/// A register's facet values: (facet, value id) pairs.
#[derive(Debug, Clone, Default)]
struct RegisterFacets(Vec<(u8, u32)>);

/// The facets a search can be narrowed by.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Filters {
    /// Level: federal, state, district, municipality.
    #[serde(default)]
    pub level: Option<String>,
    /// State key (2 digits).
    #[serde(default)]
    pub state: Option<String>,
    /// Evidence type classification.
    #[serde(default)]
    pub evidence_type: Option<String>,
    /// Operator kind (from the register type) or, for registers of no known type, the member.
    #[serde(default)]
    pub operator: Option<String>,
    /// Standard name.
    #[serde(default)]
    pub standard: Option<String>,
    /// Connected (`true`) or not (`false`).
    #[serde(default)]
    pub connected: Option<bool>,
    /// Register type code.
    #[serde(default, rename = "type")]
    pub register_type: Option<String>,
}

/// A search result: the hits shown, their total and the facet counts over all hits.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult<'a> {
    /// All hits.
    pub total: usize,
    /// The hits shown (at most the limit), connected first, then by name.
    pub hits: Vec<&'a Register>,
    /// Facet name → value → count, over all hits.
    pub facets: BTreeMap<&'static str, BTreeMap<String, usize>>,
}

/// A provider found by discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found<'a> {
    /// 1 = the best match.
    pub rank: u32,
    /// The level at which the place matched.
    pub match_level: Level,
    /// The register.
    pub register: &'a Register,
    /// Its member.
    pub member: &'a Member,
}

/// What discovery answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Discovery<'a> {
    /// The providers, most specific first (may be empty: nobody provides this here).
    Providers(Vec<Found<'a>>),
    /// The answer depends on a parameter that is missing or too coarse.
    MissingInput {
        /// The parameter (`jurisdiction`).
        parameter: &'static str,
        /// What to give.
        message: String,
    },
}

/// Lower case with umlauts and ß spelled out, split at anything not a letter or digit.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '§')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let mut out = String::with_capacity(t.len() + 2);
            for c in t.chars().flat_map(char::to_lowercase) {
                match c {
                    'ä' => out.push_str("ae"),
                    'ö' => out.push_str("oe"),
                    'ü' => out.push_str("ue"),
                    'ß' => out.push_str("ss"),
                    c => out.push(c),
                }
            }
            out
        })
}

/// The official keys from the most specific to the whole country ("") for a place given as AGS
/// (8 digits), ARS (12), municipal association (9), district (5), government district (3) or
/// state (2).
pub fn key_chain(key: &str) -> Option<Vec<(String, Level)>> {
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ags = match key.len() {
        12 => Some(format!("{}{}", &key[..5], &key[9..])),
        8 => Some(key.to_owned()),
        2 | 3 | 5 | 9 => None,
        _ => return None,
    };
    let mut chain = Vec::new();
    if let Some(ags) = &ags {
        chain.push((ags.clone(), Level::Municipality));
        if key.len() == 12 {
            chain.push((key[..9].to_owned(), Level::Municipality));
        }
    } else if key.len() == 9 {
        chain.push((key.to_owned(), Level::Municipality));
    }
    let base = ags.as_deref().unwrap_or(key);
    if base.len() >= 5 {
        chain.push((base[..5].to_owned(), Level::District));
    }
    if base.len() >= 3 {
        chain.push((base[..3].to_owned(), Level::District));
    }
    chain.push((base[..2].to_owned(), Level::State));
    chain.push((String::new(), Level::Federal));
    Some(chain)
}

/// Key → position of each item, for lookups by id or code.
fn positions<T>(items: &[T], key: impl Fn(&T) -> &String) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (key(item).clone(), i))
        .collect()
}

impl Catalogue {
    /// Builds the catalogue from what the database holds.
    pub fn build(snapshot: Snapshot) -> Catalogue {
        let Snapshot {
            types,
            areas,
            members,
            mut registers,
            flows,
        } = snapshot;
        // Connected first, then by name: hits come out of the posting lists in this order.
        registers.sort_by(|a, b| {
            b.connected
                .cmp(&a.connected)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut catalogue = Catalogue {
            type_index: positions(&types, |t| &t.code),
            areas: areas.into_iter().map(|a| (a.key.clone(), a)).collect(),
            member_index: positions(&members, |m| &m.id),
            register_index: positions(&registers, |r| &r.id),
            types,
            members,
            flows,
            ..Catalogue::default()
        };
        let Indexes {
            tokens,
            providers,
            facets,
            facet_values,
        } = Indexes::build(&catalogue, &registers);
        catalogue.tokens = tokens;
        catalogue.providers = providers;
        catalogue.facets = facets;
        catalogue.facet_values = facet_values;
        catalogue.registers = registers;
        catalogue
    }

    /// Every register type.
    pub fn types(&self) -> &[RegisterType] {
        &self.types
    }

    /// A register type by code.
    pub fn register_type(&self, code: &str) -> Option<&RegisterType> {
        self.type_index.get(code).map(|&i| &self.types[i])
    }

    /// Every member.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// A member by id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.member_index.get(id).map(|&i| &self.members[i])
    }

    /// Every register.
    pub fn registers(&self) -> &[Register] {
        &self.registers
    }

    /// A register by map-wide id.
    pub fn register(&self, id: &str) -> Option<&Register> {
        self.register_index.get(id).map(|&i| &self.registers[i])
    }

    /// An official area by key.
    pub fn area(&self, key: &str) -> Option<&Jurisdiction> {
        self.areas.get(key)
    }

    /// Every official area, unordered.
    pub fn areas(&self) -> impl Iterator<Item = &Jurisdiction> {
        self.areas.values()
    }

    /// The exchange counts.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    /// The registers of a member.
    pub fn registers_of<'a>(&'a self, member: &'a str) -> impl Iterator<Item = &'a Register> {
        self.registers.iter().filter(move |r| r.member == member)
    }

    /// The registers of a type.
    pub fn registers_of_type<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Register> {
        self.registers
            .iter()
            .filter(move |r| r.register_type.as_deref() == Some(code))
    }

    /// Full-text search (every word must prefix a word of the register's name, member, type,
    /// operator, category, legal basis, evidence types or standards), narrowed by `filters`;
    /// `limit` hits are returned, facets count all hits.
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> SearchResult<'_> {
        let words: Vec<String> = tokens(query).collect();
        let mut hits: Option<Vec<u32>> = None;
        for word in &words {
            let start = self.tokens.partition_point(|(t, _)| &**t < word.as_str());
            let matching = self.tokens[start..]
                .iter()
                .take_while(|(t, _)| t.starts_with(word.as_str()));
            let mut postings: Vec<u32> = Vec::new();
            let mut lists = 0;
            for (_, list) in matching {
                postings.extend_from_slice(list);
                lists += 1;
            }
            if lists > 1 {
                postings.sort_unstable();
                postings.dedup();
            }
            hits = Some(match hits {
                None => postings,
                Some(previous) => intersect(&previous, &postings),
            });
        }
        let candidates: Vec<u32> = match hits {
            Some(h) => h,
            None => (0..u32::try_from(self.registers.len()).unwrap_or(u32::MAX)).collect(),
        };
        // The filters as (facet, value id); a value nobody has matches nothing.
        let wanted: Vec<(usize, Option<&String>)> = [
            (LEVEL, filters.level.as_ref()),
            (STATE, filters.state.as_ref()),
            (EVIDENCE, filters.evidence_type.as_ref()),
            (OPERATOR, filters.operator.as_ref()),
            (STANDARD, filters.standard.as_ref()),
            (TYPE, filters.register_type.as_ref()),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .collect();
        let connected = filters.connected.map(|c| if c { "true" } else { "false" });
        let mut required: Vec<(u8, u32)> = Vec::new();
        for (facet, value) in wanted
            .iter()
            .map(|(f, v)| (*f, v.map(String::as_str)))
            .chain(connected.map(|c| (CONNECTED, Some(c))))
        {
            match value.and_then(|v| self.facet_values.ids[facet].get(v)) {
                Some(&id) => required.push((facet as u8, id)),
                None => {
                    return SearchResult {
                        total: 0,
                        hits: Vec::new(),
                        facets: BTreeMap::new(),
                    };
                }
            }
        }
        let mut counts: Vec<Vec<usize>> = self
            .facet_values
            .values
            .iter()
            .map(|v| vec![0; v.len()])
            .collect();
        let mut total = 0;
        let mut hits = Vec::with_capacity(limit.min(candidates.len()));
        for i in candidates {
            let RegisterFacets(ids) = &self.facets[i as usize];
            if !required.iter().all(|r| ids.contains(r)) {
                continue;
            }
            total += 1;
            if hits.len() < limit {
                hits.push(&self.registers[i as usize]);
            }
            for &(facet, id) in ids {
                counts[usize::from(facet)][id as usize] += 1;
            }
        }
        let facets = FACETS
            .iter()
            .enumerate()
            .map(|(f, name)| {
                let values = counts[f]
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(id, n)| (self.facet_values.values[f][id].clone(), *n))
                    .collect::<BTreeMap<_, _>>();
                (*name, values)
            })
            .filter(|(_, values)| !values.is_empty())
            .collect();
        SearchResult {
            total,
            hits,
            facets,
        }
    }

    /// The connected providers of an evidence type for a place, most specific first: those for
    /// the municipality, then the district, the state, the whole country. Where the answer needs
    /// a finer place than given, says so.
    pub fn discover(&self, evidence_type: &str, jurisdiction: Option<&str>) -> Discovery<'_> {
        let Some(by_key) = self.providers.get(evidence_type) else {
            return Discovery::Providers(Vec::new());
        };
        let chain = match jurisdiction.map(str::trim).filter(|k| !k.is_empty()) {
            None => vec![(String::new(), Level::Federal)],
            Some(key) => match key_chain(key) {
                Some(mut chain) => {
                    // A municipality given by its AGS also belongs to its municipal association
                    // (the first nine digits of its ARS), which may keep the register.
                    if key.len() == 8
                        && let Some(association) = self
                            .area(key)
                            .and_then(|a| a.ars.as_ref())
                            .filter(|ars| ars.len() == 12)
                    {
                        chain.insert(1, (association[..9].to_owned(), Level::Municipality));
                    }
                    chain
                }
                None => {
                    return Discovery::MissingInput {
                        parameter: "jurisdiction",
                        message: format!(
                            "{key:?} is not an official key; give the municipality key (AGS, 8 digits) or the regional key (ARS, 12 digits)"
                        ),
                    };
                }
            },
        };
        let given = chain.first().map(|(k, _)| k.clone()).unwrap_or_default();
        let mut found: Vec<Found<'_>> = Vec::new();
        let mut seen = HashSet::new();
        let mut at_given = false;
        for (key, level) in &chain {
            let mut here: Vec<Found<'_>> = by_key
                .get(key)
                .into_iter()
                .flatten()
                .filter(|&&i| seen.insert(i))
                .filter_map(|&i| {
                    let register = &self.registers[i as usize];
                    Some(Found {
                        rank: 0,
                        match_level: *level,
                        register,
                        member: self.member(&register.member)?,
                    })
                })
                .collect();
            // Several at one level: in a fixed order that no publisher controls.
            here.sort_by(|a, b| {
                (a.member.id.as_str(), a.register.local_id.as_str())
                    .cmp(&(b.member.id.as_str(), b.register.local_id.as_str()))
            });
            at_given |= *key == given && !here.is_empty();
            found.extend(here);
        }
        for (n, f) in found.iter_mut().enumerate() {
            f.rank = u32::try_from(n + 1).unwrap_or(u32::MAX);
        }
        // Nothing for the place itself, but providers below it: the place is too coarse to
        // choose (a coarser provider found further up would be a guess).
        if !at_given {
            let finer = by_key
                .keys()
                .any(|k| k.len() > given.len() && k.starts_with(given.as_str()));
            if finer && given.len() < 8 {
                return Discovery::MissingInput {
                    parameter: "jurisdiction",
                    message: if given.is_empty() {
                        format!(
                            "{evidence_type} is provided per region; give the jurisdiction (AGS or ARS) of the person"
                        )
                    } else {
                        format!(
                            "{evidence_type} is provided per municipality or district inside {given}; give the municipality key (AGS, 8 digits) or ARS"
                        )
                    },
                };
            }
        }
        Discovery::Providers(found)
    }
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;

    const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

    fn register(member: &str, id: &str, level: Level, keys: &[&str], connected: bool) -> Register {
        Register {
            id: format!("{member}/{id}"),
            member: member.into(),
            local_id: id.into(),
            register_type: Some("melderegister".into()),
            name: format!("Melderegister {id}"),
            level,
            jurisdictions: keys.iter().map(|k| (*k).to_owned()).collect(),
            evidence_types: vec![RESIDENCE.into()],
            legal_basis: "Bundesmeldegesetz (BMG)".into(),
            standards: vec!["XMeld".into()],
            record_count: None,
            connected,
            source: Source::Published,
        }
    }

    fn member(id: &str) -> Member {
        Member {
            id: id.into(),
            name: format!("Member {id}"),
            contact: None,
            peer_url: Some("https://x".into()),
            tls_fingerprint: Some("00".repeat(32)),
            published_at: Some(0),
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue::build(Snapshot {
            members: [
                "DE-HB:KOMMUNE:04011000",
                "DE-HB:LAND:meldewesen",
                "DE:BUND:bva",
                "DE-BY:KOMMUNE:09162000",
            ]
            .into_iter()
            .map(member)
            .collect(),
            registers: vec![
                register(
                    "DE-HB:KOMMUNE:04011000",
                    "bremen",
                    Level::Municipality,
                    &["04011000"],
                    true,
                ),
                register("DE-HB:LAND:meldewesen", "hb", Level::State, &["04"], true),
                register("DE:BUND:bva", "bund", Level::Federal, &[], true),
                register(
                    "DE-BY:KOMMUNE:09162000",
                    "muenchen",
                    Level::Municipality,
                    &["09162000"],
                    false,
                ),
            ],
            ..Snapshot::default()
        })
    }

    #[test]
    fn discovery_is_most_specific_first() {
        let c = catalogue();
        let Discovery::Providers(found) = c.discover(RESIDENCE, Some("04011000")) else {
            panic!("providers expected");
        };
        let order: Vec<(&str, Level)> = found
            .iter()
            .map(|f| (f.register.local_id.as_str(), f.match_level))
            .collect();
        assert_eq!(
            order,
            [
                ("bremen", Level::Municipality),
                ("hb", Level::State),
                ("bund", Level::Federal)
            ]
        );
        // ARS of Bremen (040110000000) finds the same.
        let Discovery::Providers(by_ars) = c.discover(RESIDENCE, Some("040110000000")) else {
            panic!("providers expected");
        };
        assert_eq!(by_ars[0].register.local_id, "bremen");
        // Bremerhaven: no municipal register; the state's comes first.
        let Discovery::Providers(found) = c.discover(RESIDENCE, Some("04012000")) else {
            panic!("providers expected");
        };
        assert_eq!(found[0].register.local_id, "hb");
        // Munich is not connected: only the federal register.
        let Discovery::Providers(found) = c.discover(RESIDENCE, Some("09162000")) else {
            panic!("providers expected");
        };
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].match_level, Level::Federal);
        assert_eq!(
            c.discover("urn:nothing", Some("04011000")),
            Discovery::Providers(Vec::new())
        );
        assert!(matches!(
            c.discover(RESIDENCE, Some("0401")),
            Discovery::MissingInput { .. }
        ));
    }

    #[test]
    fn a_coarse_place_asks_for_more() {
        let c = Catalogue::build(Snapshot {
            members: vec![member("DE-HB:KOMMUNE:04011000")],
            registers: vec![register(
                "DE-HB:KOMMUNE:04011000",
                "bremen",
                Level::Municipality,
                &["04011000"],
                true,
            )],
            ..Snapshot::default()
        });
        for place in [None, Some("04")] {
            match c.discover(RESIDENCE, place) {
                Discovery::MissingInput { parameter, message } => {
                    assert_eq!(parameter, "jurisdiction");
                    assert!(message.contains("AGS"), "{message}");
                }
                other => panic!("{place:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn search_matches_word_prefixes_and_counts_facets() {
        let c = catalogue();
        let all = c.search("melde", &Filters::default(), 10);
        assert_eq!(all.total, 4);
        assert_eq!(all.facets["connected"]["true"], 3);
        assert_eq!(all.facets["level"]["municipality"], 2);
        let bremen = c.search("Melderegister brem", &Filters::default(), 10);
        assert_eq!(bremen.total, 1);
        let municipal = c.search(
            "",
            &Filters {
                level: Some("municipality".into()),
                connected: Some(false),
                ..Filters::default()
            },
            10,
        );
        assert_eq!(municipal.total, 1);
        assert_eq!(municipal.hits[0].local_id, "muenchen");
        assert_eq!(c.search("xmeld", &Filters::default(), 2).hits.len(), 2);
        assert_eq!(
            c.search("nothing-like-this", &Filters::default(), 10).total,
            0
        );
        assert_eq!(
            c.search("bundesmeldegesetz", &Filters::default(), 10).total,
            4
        );
    }

    #[test]
    fn key_chains() {
        let chain: Vec<String> = key_chain("04011000")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(chain, ["04011000", "04011", "040", "04", ""]);
        assert!(key_chain("4011000").is_none());
        assert!(key_chain("abc").is_none());
        assert_eq!(key_chain("09").unwrap().len(), 2);
    }
}
