//! What the page needs beyond [`Catalogue::search`]: the registers of each member and type, and
//! counts per state and district. Computed once per catalogue (on the first request after a
//! change, see [`super::views`]) so that no page walks all registers again.

use std::collections::{BTreeMap, HashMap};

use crate::catalogue::Catalogue;
use crate::model::AreaLevel;

/// Registers and how many of them are connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Registers.
    pub registers: usize,
    /// Of these, connected.
    pub connected: usize,
}

impl Tally {
    fn add(&mut self, connected: bool) {
        self.registers += 1;
        self.connected += usize::from(connected);
    }
}

/// An official area with the registers that serve it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AreaTally {
    /// Official key (2 digits for a state, 5 for a district).
    pub key: String,
    /// Official name.
    pub name: String,
    /// A district-free city (kreisfreie Stadt) rather than a Kreis; false for states.
    pub city: bool,
    /// Registers serving it.
    #[serde(flatten)]
    pub tally: Tally,
}

/// The registers of one type.
#[derive(Debug, Clone, Default)]
pub struct TypeIndex {
    /// Positions in [`Catalogue::registers`], in catalogue order.
    pub registers: Vec<u32>,
    /// How many are connected.
    pub connected: usize,
    /// Per state key (registers of no state are under "").
    pub by_state: BTreeMap<String, Tally>,
}

/// Per-catalogue indexes for the page.
#[derive(Debug, Default)]
pub struct Derived {
    /// Member id → positions of its registers.
    pub by_member: HashMap<String, Vec<u32>>,
    /// Type code → its registers.
    pub by_type: HashMap<String, TypeIndex>,
    /// The 16 states by key, with the registers whose (first) area lies in them.
    pub states: Vec<AreaTally>,
    /// State key → its districts (by name), with the registers serving an area in them.
    pub districts: HashMap<String, Vec<AreaTally>>,
    /// State key → registers kept for the whole state (state level).
    pub state_level: HashMap<String, Tally>,
    /// Registers for the whole country (no area).
    pub federal: Tally,
    /// All registers.
    pub all: Tally,
}

impl Derived {
    /// Builds the indexes: one pass over the registers and areas.
    pub fn build(catalogue: &Catalogue) -> Derived {
        let mut derived = Derived::default();
        let mut states: BTreeMap<String, Tally> = BTreeMap::new();
        let mut districts: HashMap<String, Tally> = HashMap::new();
        for (i, register) in catalogue.registers().iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let connected = register.connected;
            derived.all.add(connected);
            derived
                .by_member
                .entry(register.member.clone())
                .or_default()
                .push(i);
            // The state as the search facet counts it: from the first area.
            let state = register
                .jurisdictions
                .first()
                .filter(|k| k.len() >= 2)
                .map(|k| &k[..2]);
            if let Some(code) = &register.register_type {
                let entry = derived.by_type.entry(code.clone()).or_default();
                entry.registers.push(i);
                entry.connected += usize::from(connected);
                entry
                    .by_state
                    .entry(state.unwrap_or_default().to_owned())
                    .or_default()
                    .add(connected);
            }
            match state {
                None => derived.federal.add(connected),
                Some(state) => states.entry(state.to_owned()).or_default().add(connected),
            }
            let mut seen: Vec<&str> = Vec::new();
            for key in &register.jurisdictions {
                if key.len() == 2 {
                    derived
                        .state_level
                        .entry(key.clone())
                        .or_default()
                        .add(connected);
                } else if key.len() >= 5 && !seen.contains(&&key[..5]) {
                    seen.push(&key[..5]);
                    districts
                        .entry(key[..5].to_owned())
                        .or_default()
                        .add(connected);
                }
            }
        }
        // A district is a district-free city when it is one municipality (AGS = district + 000).
        let cities: std::collections::HashSet<&str> = catalogue
            .areas()
            .filter(|a| a.level == AreaLevel::Municipality && a.key.ends_with("000"))
            .map(|a| &a.key[..5])
            .collect();
        for area in catalogue.areas() {
            match area.level {
                AreaLevel::State => derived.states.push(AreaTally {
                    key: area.key.clone(),
                    name: area.name.clone(),
                    city: false,
                    tally: states.get(&area.key).copied().unwrap_or_default(),
                }),
                AreaLevel::District => derived
                    .districts
                    .entry(area.state.clone())
                    .or_default()
                    .push(AreaTally {
                        key: area.key.clone(),
                        name: area.name.clone(),
                        city: area.key.len() == 5 && cities.contains(area.key.as_str()),
                        tally: districts.get(&area.key).copied().unwrap_or_default(),
                    }),
                _ => {}
            }
        }
        derived.states.sort_by(|a, b| a.key.cmp(&b.key));
        for list in derived.districts.values_mut() {
            // By name; a city before the Kreis of the same name (Ansbach, Landkreis Ansbach).
            list.sort_by(|a, b| {
                a.name
                    .cmp(&b.name)
                    .then_with(|| b.city.cmp(&a.city))
                    .then_with(|| a.key.cmp(&b.key))
            });
        }
        derived
    }

    /// A state's registers, by key.
    pub fn state(&self, key: &str) -> Option<&AreaTally> {
        self.states.iter().find(|s| s.key == key)
    }
}
