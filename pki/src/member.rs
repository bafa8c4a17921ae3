//! Member identities: `<instance>:<class>:<code>`, carried in certificates as the URI SAN
//! `urn:once:member:<id>`.
//!
//! This is the one parser of member ids in the code base; everything else takes a [`MemberId`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The URI prefix under which a member id is carried in a certificate's subject alternative names.
pub const MEMBER_URI_PREFIX: &str = "urn:once:member:";

/// The identity of one federation member (an authority), e.g. `DE:BUND:bva` or
/// `DE-HB:KOMMUNE:04011000`.
///
/// - `instance`: the federation instance, an ISO 3166-1 alpha-2 country code in capitals,
///   optionally followed by `-` and a subdivision of 1 to 3 capitals or digits (`DE`, `DE-HB`);
/// - `class`: the member class, 2 to 16 capital letters (`BUND`, `LAND`, `KOMMUNE`, `GOV`);
/// - `code`: the member code, 1 to 64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId {
    value: String,
    class_start: usize,
    code_start: usize,
}

impl MemberId {
    /// The instance part, e.g. `DE-HB`.
    pub fn instance(&self) -> &str {
        &self.value[..self.class_start - 1]
    }

    /// The class part, e.g. `KOMMUNE`.
    pub fn class(&self) -> &str {
        &self.value[self.class_start..self.code_start - 1]
    }

    /// The code part, e.g. `04011000`.
    pub fn code(&self) -> &str {
        &self.value[self.code_start..]
    }

    /// The whole id as text.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The URI SAN that carries this id in a certificate.
    pub fn to_uri(&self) -> String {
        format!("{MEMBER_URI_PREFIX}{}", self.value)
    }

    /// Reads a member id from a URI SAN; `None` if the URI is not a member URI at all,
    /// an error if it is one but the id in it is malformed.
    pub fn from_uri(uri: &str) -> Option<Result<Self, MemberIdError>> {
        uri.strip_prefix(MEMBER_URI_PREFIX).map(str::parse)
    }
}

/// Why a text is not a member id. Each variant names the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemberIdError {
    /// Not three parts separated by `:`.
    #[error(
        "member id {0:?} must have three parts <instance>:<class>:<code>, e.g. DE:BUND:bva or DE-HB:KOMMUNE:04011000"
    )]
    Parts(String),
    /// The instance part breaks its rule.
    #[error(
        "member id {0:?}: the instance must be a two-letter country code in capitals, optionally followed by - and 1 to 3 capitals or digits (e.g. DE or DE-HB)"
    )]
    Instance(String),
    /// The class part breaks its rule.
    #[error(
        "member id {0:?}: the class must be 2 to 16 capital letters A-Z (e.g. BUND, LAND, KOMMUNE)"
    )]
    Class(String),
    /// The code part breaks its rule.
    #[error(
        "member id {0:?}: the code must be 1 to 64 characters of A-Z a-z 0-9 . _ - and start with a letter or digit"
    )]
    Code(String),
}

impl FromStr for MemberId {
    type Err = MemberIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(':');
        let (Some(instance), Some(class), Some(code), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MemberIdError::Parts(s.to_owned()));
        };
        if !valid_instance(instance) {
            return Err(MemberIdError::Instance(s.to_owned()));
        }
        if !(2..=16).contains(&class.len()) || !class.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(MemberIdError::Class(s.to_owned()));
        }
        let code_ok = (1..=64).contains(&code.len())
            && code.as_bytes()[0].is_ascii_alphanumeric()
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !code_ok {
            return Err(MemberIdError::Code(s.to_owned()));
        }
        Ok(MemberId {
            value: s.to_owned(),
            class_start: instance.len() + 1,
            code_start: instance.len() + class.len() + 2,
        })
    }
}

fn valid_instance(instance: &str) -> bool {
    let (country, sub) = match instance.split_once('-') {
        Some((country, sub)) => (country, Some(sub)),
        None => (instance, None),
    };
    let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    let sub_ok = sub.is_none_or(|sub| {
        (1..=3).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    });
    country_ok && sub_ok
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberId({})", self.value)
    }
}

impl Serialize for MemberId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for MemberId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_examples_and_splits_their_parts() {
        let id: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("valid id");
        assert_eq!(id.instance(), "DE-HB");
        assert_eq!(id.class(), "KOMMUNE");
        assert_eq!(id.code(), "04011000");
        assert_eq!(id.to_string(), "DE-HB:KOMMUNE:04011000");
        let id: MemberId = "DE:BUND:bva".parse().expect("valid id");
        assert_eq!(
            (id.instance(), id.class(), id.code()),
            ("DE", "BUND", "bva")
        );
        assert_eq!(id.to_uri(), "urn:once:member:DE:BUND:bva");
    }

    #[test]
    fn names_the_rule_that_was_broken() {
        let cases = [
            ("", MemberIdError::Parts(String::new())),
            ("DE:BUND", MemberIdError::Parts("DE:BUND".into())),
            (
                "DE:BUND:bva:x",
                MemberIdError::Parts("DE:BUND:bva:x".into()),
            ),
            ("de:BUND:bva", MemberIdError::Instance("de:BUND:bva".into())),
            (
                "DEU:BUND:bva",
                MemberIdError::Instance("DEU:BUND:bva".into()),
            ),
            (
                "DE-:BUND:bva",
                MemberIdError::Instance("DE-:BUND:bva".into()),
            ),
            (
                "DE-HBXX:BUND:bva",
                MemberIdError::Instance("DE-HBXX:BUND:bva".into()),
            ),
            ("DE:bund:bva", MemberIdError::Class("DE:bund:bva".into())),
            ("DE:B:bva", MemberIdError::Class("DE:B:bva".into())),
            ("DE:BUND:", MemberIdError::Code("DE:BUND:".into())),
            ("DE:BUND:-x", MemberIdError::Code("DE:BUND:-x".into())),
            ("DE:BUND:a b", MemberIdError::Code("DE:BUND:a b".into())),
            ("DE:BUND:ä", MemberIdError::Code("DE:BUND:ä".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<MemberId>(), Err(expected), "{text:?}");
        }
        let long = format!("DE:BUND:{}", "a".repeat(65));
        assert!(matches!(
            long.parse::<MemberId>(),
            Err(MemberIdError::Code(_))
        ));
        let message = "DE:bund:x".parse::<MemberId>().unwrap_err().to_string();
        assert!(
            message.contains("class must be 2 to 16 capital letters"),
            "{message}"
        );
    }

    #[test]
    fn reads_member_uris_only() {
        assert_eq!(MemberId::from_uri("https://example.org"), None);
        let id = MemberId::from_uri("urn:once:member:DE:BUND:bva")
            .expect("a member uri")
            .expect("a valid id");
        assert_eq!(id.as_str(), "DE:BUND:bva");
        assert!(matches!(
            MemberId::from_uri("urn:once:member:nope"),
            Some(Err(MemberIdError::Parts(_)))
        ));
    }

    #[test]
    fn serde_round_trip_rejects_bad_ids() {
        let id: MemberId = serde_json::from_str("\"DE:LAND:elterngeld\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&id).expect("serialise"),
            "\"DE:LAND:elterngeld\""
        );
        assert!(serde_json::from_str::<MemberId>("\"DE:LAND\"").is_err());
    }
}
