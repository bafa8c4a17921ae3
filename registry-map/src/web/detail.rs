//! The detail pages: a register, a register type, a member; and the lists of types and of
//! members that run a node.

use std::collections::BTreeMap;

use crate::catalogue::Catalogue;
use crate::model::{Member, Register};

use super::format::{self, encode, member_href, register_href, type_href};
use super::index::Derived;
use super::search::{area_text, value_label};

/// Most areas listed on a register's page.
const MAX_AREAS: usize = 100;
/// Most registers listed on a member's or type's page.
const MAX_REGISTERS: usize = 200;

/// A link with its text.
#[derive(Debug, Clone)]
pub struct Link {
    /// Text.
    pub text: String,
    /// Target.
    pub href: String,
}

impl Link {
    fn new(text: impl Into<String>, href: impl Into<String>) -> Link {
        Link {
            text: text.into(),
            href: href.into(),
        }
    }
}

/// An evidence type as shown.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Readable name.
    pub label: String,
    /// Classification (URN).
    pub urn: String,
    /// Search for registers that give it.
    pub href: String,
}

fn evidence(urn: &str) -> Evidence {
    Evidence {
        label: format::evidence_label(urn),
        urn: urn.to_owned(),
        href: format!("/?evidence_type={}", encode(urn)),
    }
}

/// Exchanges with one other member for one evidence type, summed over days.
#[derive(Debug, Clone)]
pub struct FlowRow {
    /// The other member.
    pub other: Link,
    /// Evidence type.
    pub evidence: Evidence,
    /// Exchanges, formatted.
    pub count: String,
    /// The first and last day with exchanges.
    pub days: String,
}

/// Flows where `member` is the provider (it gave evidence) or else the requester, optionally only
/// of some evidence types; busiest first.
fn flows(
    catalogue: &Catalogue,
    member: &str,
    as_provider: bool,
    only: Option<&[String]>,
) -> Vec<FlowRow> {
    let mut sums: BTreeMap<(&str, &str), (u64, &str, &str)> = BTreeMap::new();
    for flow in catalogue.flows() {
        let (me, other) = if as_provider {
            (&flow.provider, &flow.requester)
        } else {
            (&flow.requester, &flow.provider)
        };
        if me != member || only.is_some_and(|e| !e.contains(&flow.evidence_type)) {
            continue;
        }
        let entry = sums
            .entry((other.as_str(), flow.evidence_type.as_str()))
            .or_insert((0, flow.day.as_str(), flow.day.as_str()));
        entry.0 += flow.count;
        entry.1 = entry.1.min(flow.day.as_str());
        entry.2 = entry.2.max(flow.day.as_str());
    }
    let mut rows: Vec<(u64, FlowRow)> = sums
        .into_iter()
        .map(|((other, urn), (count, first, last))| {
            let name = catalogue.member(other).map_or(other, |m| m.name.as_str());
            let row = FlowRow {
                other: Link::new(name, member_href(other)),
                evidence: evidence(urn),
                count: format::count_u64(count),
                days: if first == last {
                    first.to_owned()
                } else {
                    format!("{first} bis {last}")
                },
            };
            (count, row)
        })
        .collect();
    rows.sort_by_key(|(count, _)| std::cmp::Reverse(*count));
    rows.into_iter().map(|(_, r)| r).collect()
}

/// A register in a list.
#[derive(Debug, Clone)]
pub struct RegisterItem {
    /// Name and page.
    pub link: Link,
    /// Where it applies.
    pub area: String,
    /// Level in German.
    pub level: &'static str,
    /// Connected.
    pub connected: bool,
}

fn item(catalogue: &Catalogue, register: &Register) -> RegisterItem {
    RegisterItem {
        link: Link::new(register.name.clone(), register_href(&register.id)),
        area: area_text(catalogue, register),
        level: format::level_label(register.level),
        connected: register.connected,
    }
}

/// An area a register serves.
#[derive(Debug, Clone)]
pub struct AreaItem {
    /// Official key.
    pub key: String,
    /// Name (or the key if unknown).
    pub name: String,
    /// Kind of area in German.
    pub level: &'static str,
}

/// A register's page.
#[derive(Debug, Clone)]
pub struct RegisterView {
    /// Name.
    pub name: String,
    /// Map-wide id.
    pub id: String,
    /// Id at its member.
    pub local_id: String,
    /// Type.
    pub kind: Option<Link>,
    /// Type description.
    pub description: Option<String>,
    /// Keeping member.
    pub member: Link,
    /// The member's node endpoint, if it runs one.
    pub peer_url: Option<String>,
    /// Level.
    pub level: &'static str,
    /// Areas served (at most [`MAX_AREAS`]).
    pub areas: Vec<AreaItem>,
    /// Areas not listed.
    pub areas_more: usize,
    /// Evidence types.
    pub evidence: Vec<Evidence>,
    /// Legal basis.
    pub legal_basis: String,
    /// Standards.
    pub standards: Vec<String>,
    /// Records, formatted.
    pub records: Option<String>,
    /// Connected.
    pub connected: bool,
    /// Where the entry comes from.
    pub source: &'static str,
    /// Evidence of its types its member gave, by requester.
    pub flows: Vec<FlowRow>,
}

/// The page of a register, if it exists.
pub fn register(catalogue: &Catalogue, id: &str) -> Option<RegisterView> {
    let register = catalogue.register(id)?;
    let member = catalogue.member(&register.member);
    let kind = register
        .register_type
        .as_deref()
        .and_then(|code| catalogue.register_type(code));
    let areas = register
        .jurisdictions
        .iter()
        .take(MAX_AREAS)
        .map(|key| match catalogue.area(key) {
            Some(area) => AreaItem {
                key: key.clone(),
                name: area.name.clone(),
                level: format::area_level_label(area.level),
            },
            None => AreaItem {
                key: key.clone(),
                name: key.clone(),
                level: "",
            },
        })
        .collect();
    Some(RegisterView {
        name: register.name.clone(),
        id: register.id.clone(),
        local_id: register.local_id.clone(),
        kind: match (kind, &register.register_type) {
            (Some(t), _) => Some(Link::new(t.name_de.clone(), type_href(&t.code))),
            (None, Some(code)) => Some(Link::new(code.clone(), type_href(code))),
            (None, None) => None,
        },
        description: kind.map(|t| t.description.clone()),
        member: Link::new(
            member.map_or_else(|| register.member.clone(), |m| m.name.clone()),
            member_href(&register.member),
        ),
        peer_url: member.and_then(|m| m.peer_url.clone()),
        level: format::level_label(register.level),
        areas,
        areas_more: register.jurisdictions.len().saturating_sub(MAX_AREAS),
        evidence: register
            .evidence_types
            .iter()
            .map(|e| evidence(e))
            .collect(),
        legal_basis: register.legal_basis.clone(),
        standards: register.standards.clone(),
        records: register.record_count.map(format::count_u64),
        connected: register.connected,
        source: format::source_label(register.source),
        flows: flows(
            catalogue,
            &register.member,
            true,
            Some(&register.evidence_types),
        ),
    })
}

/// Registers of a type in one state.
#[derive(Debug, Clone)]
pub struct StateRow {
    /// State name and the search for the type's registers there.
    pub link: Link,
    /// Registers, formatted.
    pub registers: String,
    /// Connected, formatted.
    pub connected: String,
}

/// A register type's page.
#[derive(Debug, Clone)]
pub struct TypeView {
    /// Code.
    pub code: String,
    /// German name.
    pub name_de: String,
    /// English name.
    pub name_en: String,
    /// What it holds.
    pub description: String,
    /// Kind of authority.
    pub operator_kind: String,
    /// Level.
    pub level: &'static str,
    /// How instances exist.
    pub instancing: &'static str,
    /// Legal basis.
    pub legal_basis: String,
    /// Evidence types.
    pub evidence: Vec<Evidence>,
    /// Standards.
    pub standards: Vec<String>,
    /// Category.
    pub category: String,
    /// Registers of the type, formatted.
    pub registers: String,
    /// Of these connected, formatted.
    pub connected: String,
    /// Per state.
    pub states: Vec<StateRow>,
    /// Connected instances (at most [`MAX_REGISTERS`]).
    pub connected_list: Vec<RegisterItem>,
    /// The first instances that are not connected (a few, as examples).
    pub examples: Vec<RegisterItem>,
    /// Search for all its registers.
    pub search: String,
}

/// The page of a register type, if it exists.
pub fn register_type(catalogue: &Catalogue, derived: &Derived, code: &str) -> Option<TypeView> {
    let t = catalogue.register_type(code)?;
    let index = derived.by_type.get(code).cloned().unwrap_or_default();
    let registers = || {
        index
            .registers
            .iter()
            .map(|&i| &catalogue.registers()[i as usize])
    };
    let states = index
        .by_state
        .iter()
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, tally)| StateRow {
            link: Link::new(
                value_label(catalogue, "state", key),
                format!("/?type={}&state={}", encode(code), encode(key)),
            ),
            registers: format::count(tally.registers),
            connected: format::count(tally.connected),
        })
        .collect();
    Some(TypeView {
        code: t.code.clone(),
        name_de: t.name_de.clone(),
        name_en: t.name_en.clone(),
        description: t.description.clone(),
        operator_kind: t.operator_kind.clone(),
        level: format::level_label(t.level),
        instancing: format::instancing_label(t.instancing),
        legal_basis: t.legal_basis.clone(),
        evidence: t.evidence_types.iter().map(|e| evidence(e)).collect(),
        standards: t.standards.clone(),
        category: t.category.clone(),
        registers: format::count(index.registers.len()),
        connected: format::count(index.connected),
        states,
        connected_list: registers()
            .filter(|r| r.connected)
            .take(MAX_REGISTERS)
            .map(|r| item(catalogue, r))
            .collect(),
        examples: registers()
            .filter(|r| !r.connected)
            .take(10)
            .map(|r| item(catalogue, r))
            .collect(),
        search: format!("/?type={}", encode(code)),
    })
}

/// A type in the list of types.
#[derive(Debug, Clone)]
pub struct TypeItem {
    /// Name and page.
    pub link: Link,
    /// Level.
    pub level: &'static str,
    /// Legal basis.
    pub legal_basis: String,
    /// Registers, formatted.
    pub registers: String,
    /// Connected, formatted.
    pub connected: String,
}

/// The types by category.
pub fn types(catalogue: &Catalogue, derived: &Derived) -> Vec<(String, Vec<TypeItem>)> {
    let mut by_category: BTreeMap<String, Vec<TypeItem>> = BTreeMap::new();
    for t in catalogue.types() {
        let index = derived.by_type.get(&t.code);
        by_category
            .entry(t.category.clone())
            .or_default()
            .push(TypeItem {
                link: Link::new(t.name_de.clone(), type_href(&t.code)),
                level: format::level_label(t.level),
                legal_basis: t.legal_basis.clone(),
                registers: format::count(index.map_or(0, |i| i.registers.len())),
                connected: format::count(index.map_or(0, |i| i.connected)),
            });
    }
    for list in by_category.values_mut() {
        list.sort_by(|a, b| a.link.text.cmp(&b.link.text));
    }
    by_category.into_iter().collect()
}

/// A member's page.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// Name.
    pub name: String,
    /// Member id.
    pub id: String,
    /// Contact.
    pub contact: Option<String>,
    /// Node endpoint.
    pub peer_url: Option<String>,
    /// TLS certificate fingerprint.
    pub fingerprint: Option<String>,
    /// Last published, formatted, with its age.
    pub published: Option<(String, String)>,
    /// Published longer ago than the map's limit.
    pub stale: bool,
    /// The limit, formatted.
    pub stale_after: String,
    /// Registers, formatted.
    pub registers_count: String,
    /// Connected, formatted.
    pub connected_count: String,
    /// Its registers (at most [`MAX_REGISTERS`]).
    pub registers: Vec<RegisterItem>,
    /// Registers not listed.
    pub registers_more: usize,
    /// Evidence it gave, by requester.
    pub flows_out: Vec<FlowRow>,
    /// Evidence it received, by provider.
    pub flows_in: Vec<FlowRow>,
}

/// The page of a member, if it exists (or has at least flows).
pub fn member(
    catalogue: &Catalogue,
    derived: &Derived,
    id: &str,
    stale_after_seconds: i64,
    now: i64,
) -> Option<MemberView> {
    let member = catalogue.member(id);
    let flows_out = flows(catalogue, id, true, None);
    let flows_in = flows(catalogue, id, false, None);
    if member.is_none() && flows_out.is_empty() && flows_in.is_empty() {
        return None;
    }
    let positions = derived.by_member.get(id).map_or(&[][..], Vec::as_slice);
    let registers = || {
        positions
            .iter()
            .map(|&i| &catalogue.registers()[i as usize])
    };
    let mut listed: Vec<&Register> = registers().collect();
    // Connected first, then by name.
    listed.sort_by(|a, b| {
        b.connected
            .cmp(&a.connected)
            .then_with(|| a.name.cmp(&b.name))
    });
    let published_at = member.and_then(|m| m.published_at);
    Some(MemberView {
        name: member.map_or_else(|| id.to_owned(), |m| m.name.clone()),
        id: id.to_owned(),
        contact: member.and_then(|m| m.contact.clone()),
        peer_url: member.and_then(|m| m.peer_url.clone()),
        fingerprint: member.and_then(|m| m.tls_fingerprint.clone()),
        published: published_at.map(|t| (format::timestamp(t), format::age(now - t))),
        stale: published_at.is_some_and(|t| now - t > stale_after_seconds),
        stale_after: format::age(stale_after_seconds),
        registers_count: format::count(positions.len()),
        connected_count: format::count(registers().filter(|r| r.connected).count()),
        registers_more: listed.len().saturating_sub(MAX_REGISTERS),
        registers: listed
            .into_iter()
            .take(MAX_REGISTERS)
            .map(|r| item(catalogue, r))
            .collect(),
        flows_out,
        flows_in,
    })
}

/// A member in the list of members with a node.
#[derive(Debug, Clone)]
pub struct MemberItem {
    /// Name and page.
    pub link: Link,
    /// Member id.
    pub id: String,
    /// Node endpoint.
    pub peer_url: String,
    /// Last published, formatted.
    pub published: String,
    /// Published longer ago than the map's limit.
    pub stale: bool,
    /// Connected registers, formatted.
    pub connected: String,
}

/// The members that run a node, by name, and how many members there are in all.
pub fn members(
    catalogue: &Catalogue,
    derived: &Derived,
    stale_after_seconds: i64,
    now: i64,
) -> (Vec<MemberItem>, usize) {
    let with_node = |m: &&Member| m.peer_url.is_some();
    let mut list: Vec<MemberItem> = catalogue
        .members()
        .iter()
        .filter(with_node)
        .map(|m| MemberItem {
            link: Link::new(m.name.clone(), member_href(&m.id)),
            id: m.id.clone(),
            peer_url: m.peer_url.clone().unwrap_or_default(),
            published: m.published_at.map(format::timestamp).unwrap_or_default(),
            stale: m.published_at.is_none_or(|t| now - t > stale_after_seconds),
            connected: format::count(
                derived
                    .by_member
                    .get(&m.id)
                    .into_iter()
                    .flatten()
                    .filter(|&&i| catalogue.registers()[i as usize].connected)
                    .count(),
            ),
        })
        .collect();
    list.sort_by(|a, b| a.link.text.cmp(&b.link.text));
    (list, catalogue.members().len())
}
