//! The indexes of the catalogue, built in one pass over its registers: the search postings, the
//! providers for discovery and the facet values of each register.

use std::collections::HashMap;

use super::{
    CONNECTED, Catalogue, EVIDENCE, FacetValues, LEVEL, OPERATOR, RegisterFacets, STANDARD, STATE,
    TYPE, tokens,
};
use crate::model::{Member, Register, RegisterType};

/// What [`Indexes::build`] makes; see the fields of the same names in [`Catalogue`].
pub(super) struct Indexes {
    pub(super) tokens: Vec<(Box<str>, Vec<u32>)>,
    pub(super) providers: HashMap<String, HashMap<String, Vec<u32>>>,
    pub(super) facets: Vec<RegisterFacets>,
    pub(super) facet_values: FacetValues,
}

impl Indexes {
    /// The indexes of `registers` (in their final order), whose types and members `catalogue`
    /// holds already.
    pub(super) fn build(catalogue: &Catalogue, registers: &[Register]) -> Indexes {
        let mut postings = Postings::new(catalogue.types());
        let mut providers: HashMap<String, HashMap<String, Vec<u32>>> = HashMap::new();
        let mut facets = Vec::with_capacity(registers.len());
        let mut facet_values = FacetValues::default();
        for (i, register) in registers.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let kind = register
                .register_type
                .as_ref()
                .and_then(|t| catalogue.register_type(t));
            let member = catalogue.member(&register.member);
            postings.add(i, register, kind, member);
            if register.connected {
                add_provider(&mut providers, i, register);
            }
            facets.push(facet_values.of_register(register, kind, member));
        }
        Indexes {
            tokens: postings.into_tokens(),
            providers,
            facets,
            facet_values,
        }
    }
}

/// The search postings being built: every word with the registers it occurs in.
struct Postings<'a> {
    /// The words of each register type (names, operator, category), by code.
    type_words: HashMap<&'a str, Vec<String>>,
    /// The words of each member (id and name), by id, made when first needed.
    member_words: HashMap<&'a str, Vec<String>>,
    postings: HashMap<String, Vec<u32>>,
}

impl<'a> Postings<'a> {
    fn new(types: &'a [RegisterType]) -> Postings<'a> {
        let type_words = types
            .iter()
            .map(|k| {
                (
                    k.code.as_str(),
                    words(&[&k.name_de, &k.name_en, &k.operator_kind, &k.category]),
                )
            })
            .collect();
        Postings {
            type_words,
            member_words: HashMap::new(),
            postings: HashMap::new(),
        }
    }

    /// Adds register `i` to the postings of each word of its own, of its member and of its type.
    fn add(
        &mut self,
        i: u32,
        register: &'a Register,
        kind: Option<&RegisterType>,
        member: Option<&Member>,
    ) {
        let member_list = self
            .member_words
            .entry(register.member.as_str())
            .or_insert_with(|| words(&[&register.member, member.map_or("", |m| m.name.as_str())]));
        let mut own: Vec<String> = tokens(&register.name)
            .chain(tokens(&register.legal_basis))
            .chain(register.evidence_types.iter().flat_map(|e| tokens(e)))
            .chain(register.standards.iter().flat_map(|s| tokens(s)))
            .collect();
        own.sort_unstable();
        own.dedup();
        let type_list = kind
            .and_then(|k| self.type_words.get(k.code.as_str()))
            .map_or(&[][..], Vec::as_slice);
        let mut all: Vec<&String> = own
            .iter()
            .chain(member_list.iter())
            .chain(type_list)
            .collect();
        all.sort_unstable();
        all.dedup();
        for token in all {
            match self.postings.get_mut(token.as_str()) {
                Some(list) => list.push(i),
                None => {
                    self.postings.insert(token.clone(), vec![i]);
                }
            }
        }
    }

    /// Every word with its postings, sorted by word.
    fn into_tokens(self) -> Vec<(Box<str>, Vec<u32>)> {
        let mut tokens: Vec<(Box<str>, Vec<u32>)> = self
            .postings
            .into_iter()
            .map(|(t, p)| (t.into_boxed_str(), p))
            .collect();
        tokens.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        tokens
    }
}

/// The distinct words of `texts`, sorted.
fn words(texts: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = texts.iter().flat_map(|t| tokens(t)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Records connected register `i` as a provider of each of its evidence types, for each of its
/// official keys ("" for the whole country when it has none).
fn add_provider(
    providers: &mut HashMap<String, HashMap<String, Vec<u32>>>,
    i: u32,
    register: &Register,
) {
    for evidence_type in &register.evidence_types {
        let by_key = providers.entry(evidence_type.clone()).or_default();
        if register.jurisdictions.is_empty() {
            by_key.entry(String::new()).or_default().push(i);
        }
        for key in &register.jurisdictions {
            by_key.entry(key.clone()).or_default().push(i);
            // A register published for an ARS serves that municipality's AGS too.
            if key.len() == 12 {
                let ags = format!("{}{}", &key[..5], &key[9..]);
                by_key.entry(ags).or_default().push(i);
            }
        }
    }
}

impl FacetValues {
    /// The facet values of a register, numbering the values not seen before.
    fn of_register(
        &mut self,
        register: &Register,
        kind: Option<&RegisterType>,
        member: Option<&Member>,
    ) -> RegisterFacets {
        let mut ids = vec![(LEVEL as u8, self.id(LEVEL, register.level.as_str()))];
        if let Some(state) = register.jurisdictions.first().filter(|k| k.len() >= 2) {
            ids.push((STATE as u8, self.id(STATE, &state[..2])));
        }
        for evidence_type in &register.evidence_types {
            ids.push((EVIDENCE as u8, self.id(EVIDENCE, evidence_type)));
        }
        let operator = match (kind, member) {
            (Some(k), _) => k.operator_kind.as_str(),
            (None, Some(m)) => m.name.as_str(),
            (None, None) => register.member.as_str(),
        };
        ids.push((OPERATOR as u8, self.id(OPERATOR, operator)));
        for standard in &register.standards {
            ids.push((STANDARD as u8, self.id(STANDARD, standard)));
        }
        let connected = if register.connected { "true" } else { "false" };
        ids.push((CONNECTED as u8, self.id(CONNECTED, connected)));
        if let Some(t) = &register.register_type {
            ids.push((TYPE as u8, self.id(TYPE, t)));
        }
        RegisterFacets(ids)
    }
}
