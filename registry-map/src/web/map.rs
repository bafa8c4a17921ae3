//! The map of Germany: the 16 states filled by how many registers are connected there, and per
//! state its districts with their registers and connected registers.
//!
//! The outlines are the vendored `@svg-maps/germany` (CC BY 4.0, `static/vendor/svg-maps-germany/`).

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;

use super::format::{self, state_href};
use super::index::{AreaTally, Derived, Tally};

/// The outlines file, embedded.
const OUTLINES_JSON: &str = include_str!("../../static/vendor/svg-maps-germany/germany.json");

/// The fill of a state with no connected register.
pub const EMPTY_FILL: &str = "#e6e9ee";
/// Fills from few to many connected registers (ColorBrewer "Blues", 5 classes).
pub const FILLS: [&str; 5] = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

/// State key (01–16) → id in the outlines file.
const SVG_IDS: [(&str, &str); 16] = [
    ("01", "sh"),
    ("02", "hh"),
    ("03", "ni"),
    ("04", "hb"),
    ("05", "nw"),
    ("06", "he"),
    ("07", "rp"),
    ("08", "bw"),
    ("09", "by"),
    ("10", "sl"),
    ("11", "be"),
    ("12", "bb"),
    ("13", "mv"),
    ("14", "sn"),
    ("15", "st"),
    ("16", "th"),
];

#[derive(Debug, Deserialize)]
struct Outlines {
    #[serde(rename = "viewBox")]
    view_box: String,
    locations: Vec<Outline>,
}

#[derive(Debug, Deserialize)]
struct Outline {
    id: String,
    path: String,
}

/// The parsed outlines. The file is part of the build and checked by a test, so a broken file
/// gives an empty map rather than a failed page.
static OUTLINES: LazyLock<Outlines> = LazyLock::new(|| {
    serde_json::from_str(OUTLINES_JSON).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the embedded state outlines are broken");
        Outlines {
            view_box: "0 0 586 793".into(),
            locations: Vec::new(),
        }
    })
});

/// One state as drawn.
#[derive(Debug, Clone)]
pub struct Shape {
    /// State key.
    pub key: String,
    /// Id in the outlines (e.g. `hb`).
    pub svg_id: &'static str,
    /// Official name.
    pub name: String,
    /// The outline.
    pub path: &'static str,
    /// Fill colour.
    pub fill: &'static str,
    /// Registers and connected registers.
    pub tally: Tally,
    /// Registers, formatted.
    pub registers_text: String,
    /// Connected registers, formatted.
    pub connected_text: String,
    /// Link to its districts.
    pub href: String,
    /// Whether it is the chosen state.
    pub selected: bool,
}

/// A class of the legend.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    /// Fill colour.
    pub fill: &'static str,
    /// What it means, e.g. "1–3".
    pub label: String,
}

/// What `/api/map` answers.
#[derive(Debug, Clone, Serialize)]
pub struct MapData {
    /// Every state, by key, with its registers.
    pub states: Vec<StateEntry>,
    /// Registers for the whole country (not in any state).
    pub federal: Tally,
    /// The chosen state with its districts.
    pub state: Option<StateDetail>,
}

/// A state in `/api/map`.
#[derive(Debug, Clone, Serialize)]
pub struct StateEntry {
    /// State key.
    pub key: String,
    /// Id of its shape.
    pub svg_id: &'static str,
    /// Official name.
    pub name: String,
    /// Registers.
    #[serde(flatten)]
    pub tally: Tally,
    /// Its fill.
    pub fill: &'static str,
}

/// A state with its districts.
#[derive(Debug, Clone, Serialize)]
pub struct StateDetail {
    /// State key.
    pub key: String,
    /// Official name.
    pub name: String,
    /// All registers in the state.
    #[serde(flatten)]
    pub tally: Tally,
    /// Registers kept for the whole state.
    pub state_level: Tally,
    /// Districts (Kreise and kreisfreie Städte) by name.
    pub districts: Vec<AreaTally>,
}

/// The outlines' view box.
pub fn view_box() -> &'static str {
    &OUTLINES.view_box
}

/// The fill for `connected` when the most connected state has `max`.
pub fn fill(connected: usize, max: usize) -> &'static str {
    if connected == 0 || max == 0 {
        return EMPTY_FILL;
    }
    // Classes of equal width over 1..=max.
    let class = ((connected - 1) * FILLS.len()) / max;
    FILLS[class.min(FILLS.len() - 1)]
}

/// The legend for a maximum of `max` connected registers in a state.
pub fn legend(max: usize) -> Vec<LegendEntry> {
    let mut entries = vec![LegendEntry {
        fill: EMPTY_FILL,
        label: "keine".into(),
    }];
    let classes = FILLS.len();
    for (class, fill) in FILLS.iter().enumerate() {
        // `fill` puts c in class j when j·max ≤ 5·(c−1) < (j+1)·max.
        let from = (class * max).div_ceil(classes) + 1;
        let to = ((class + 1) * max).div_ceil(classes).min(max);
        if from > to {
            continue;
        }
        entries.push(LegendEntry {
            fill,
            label: if from == to {
                format::count(from)
            } else {
                format!("{}–{}", format::count(from), format::count(to))
            },
        });
    }
    entries
}

/// The 16 shapes, filled; `selected` is the chosen state key.
pub fn shapes(derived: &Derived, selected: Option<&str>) -> Vec<Shape> {
    let max = derived
        .states
        .iter()
        .map(|s| s.tally.connected)
        .max()
        .unwrap_or(0);
    OUTLINES
        .locations
        .iter()
        .filter_map(|outline| {
            let (key, svg_id) = SVG_IDS.iter().find(|(_, id)| *id == outline.id)?;
            let state = derived.state(key);
            let tally = state.map(|s| s.tally).unwrap_or_default();
            Some(Shape {
                key: (*key).to_owned(),
                svg_id,
                name: state.map_or_else(|| (*key).to_owned(), |s| s.name.clone()),
                path: outline.path.as_str(),
                fill: fill(tally.connected, max),
                registers_text: format::count(tally.registers),
                connected_text: format::count(tally.connected),
                tally,
                href: state_href(key),
                selected: selected == Some(*key),
            })
        })
        .collect()
}

/// The data of the map, with the districts of `state` if it is a state key.
pub fn data(catalogue: &Catalogue, derived: &Derived, state: Option<&str>) -> MapData {
    let max = derived
        .states
        .iter()
        .map(|s| s.tally.connected)
        .max()
        .unwrap_or(0);
    let states = derived
        .states
        .iter()
        .map(|s| StateEntry {
            key: s.key.clone(),
            svg_id: svg_id(&s.key).unwrap_or_default(),
            name: s.name.clone(),
            tally: s.tally,
            fill: fill(s.tally.connected, max),
        })
        .collect();
    MapData {
        states,
        federal: derived.federal,
        state: state.and_then(|key| detail(catalogue, derived, key)),
    }
}

/// A state with its districts, if `key` is a state.
pub fn detail(catalogue: &Catalogue, derived: &Derived, key: &str) -> Option<StateDetail> {
    let state = derived.state(key)?;
    let name = catalogue
        .area(key)
        .map_or_else(|| state.name.clone(), |a| a.name.clone());
    Some(StateDetail {
        key: key.to_owned(),
        name,
        tally: state.tally,
        state_level: derived.state_level.get(key).copied().unwrap_or_default(),
        districts: derived.districts.get(key).cloned().unwrap_or_default(),
    })
}

/// The shape id of a state key.
pub fn svg_id(key: &str) -> Option<&'static str> {
    SVG_IDS.iter().find(|(k, _)| *k == key).map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outlines_hold_every_state() {
        let outlines: Outlines = serde_json::from_str(OUTLINES_JSON).expect("outlines");
        assert_eq!(outlines.view_box, "0 0 586 793");
        assert_eq!(outlines.locations.len(), 16);
        for (_, id) in SVG_IDS {
            let outline = outlines.locations.iter().find(|l| l.id == id).expect(id);
            assert!(
                outline.path.starts_with('m') || outline.path.starts_with('M'),
                "{id}"
            );
        }
    }

    #[test]
    fn fills_rise_with_the_count() {
        assert_eq!(fill(0, 10), EMPTY_FILL);
        assert_eq!(fill(1, 10), FILLS[0]);
        assert_eq!(fill(10, 10), FILLS[4]);
        assert_eq!(fill(1, 1), FILLS[0]);
        assert_eq!(fill(6, 10), FILLS[2]);
        let legend = legend(10);
        assert_eq!(legend.len(), 6);
        assert_eq!(legend[1].label, "1–2");
        assert_eq!(legend[5].label, "9–10");
        let legend = super::legend(1);
        assert_eq!(legend.len(), 2);
        assert_eq!(legend[1].label, "1");
        // Every count from 1 to max is in exactly the class the legend gives it.
        for max in 1..40 {
            let legend = super::legend(max);
            for c in 1..=max {
                let entry = legend
                    .iter()
                    .find(|e| e.fill == fill(c, max))
                    .expect("class");
                let (lo, hi) = entry
                    .label
                    .split_once('–')
                    .unwrap_or((&entry.label, &entry.label));
                let (lo, hi): (usize, usize) = (lo.parse().unwrap(), hi.parse().unwrap());
                assert!(
                    (lo..=hi).contains(&c),
                    "max {max}, count {c}: {}",
                    entry.label
                );
            }
        }
    }
}
