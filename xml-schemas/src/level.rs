//! The administrative level a register serves, as descriptors and the register map name it.

use serde::{Deserialize, Serialize};

/// The administrative level a register serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Level {
    /// The whole country.
    Federal,
    /// One state (Land).
    State,
    /// A district (Kreis) or a district-free city.
    District,
    /// One municipality (Gemeinde).
    Municipality,
}

impl Level {
    /// Every level, most specific last.
    pub const ALL: [Level; 4] = [
        Level::Federal,
        Level::State,
        Level::District,
        Level::Municipality,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Federal => "federal",
            Level::State => "state",
            Level::District => "district",
            Level::Municipality => "municipality",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Level, String> {
        match s {
            "federal" => Ok(Level::Federal),
            "state" => Ok(Level::State),
            "district" => Ok(Level::District),
            "municipality" => Ok(Level::Municipality),
            other => Err(format!(
                "unknown level {other:?}; use federal, state, district or municipality"
            )),
        }
    }
}
