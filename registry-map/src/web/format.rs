//! How the page names and links things: German labels, numbers, dates and the links to detail
//! pages (register ids hold `/` and `:`, so every id in a link is percent-encoded).

use once_xml::level::Level;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::model::{AreaLevel, Instancing, Source};

/// Everything but `A-Z a-z 0-9 - . _ ~` is encoded (RFC 3986 unreserved characters stay).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one query value or path segment.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// The link to a register's page.
pub fn register_href(id: &str) -> String {
    format!("/registers?id={}", encode(id))
}

/// The link to a member's page.
pub fn member_href(id: &str) -> String {
    format!("/members/{}", encode(id))
}

/// The link to a register type's page.
pub fn type_href(code: &str) -> String {
    format!("/types/{}", encode(code))
}

/// The link to the map with a state's districts.
pub fn state_href(key: &str) -> String {
    format!("/map?state={}", encode(key))
}

/// The level in German.
pub fn level_label(level: Level) -> &'static str {
    match level {
        Level::Federal => "Bund",
        Level::State => "Land",
        Level::District => "Kreis",
        Level::Municipality => "Gemeinde",
        _ => "anderes",
    }
}

/// The level named by its stored name (`federal`, …) in German.
pub fn level_name_label(name: &str) -> String {
    name.parse::<Level>()
        .map_or_else(|_| name.to_owned(), |l| level_label(l).to_owned())
}

/// How instances of a type exist, in German.
pub fn instancing_label(instancing: Instancing) -> &'static str {
    match instancing {
        Instancing::Federal => "ein Register für ganz Deutschland",
        Instancing::PerState => "ein Register je Land",
        Instancing::PerDistrict => "ein Register je Kreis bzw. kreisfreier Stadt",
        Instancing::PerMunicipality => "ein Register je Gemeinde",
    }
}

/// The level of an official area, in German.
pub fn area_level_label(level: AreaLevel) -> &'static str {
    match level {
        AreaLevel::State => "Land",
        AreaLevel::GovernmentDistrict => "Regierungsbezirk",
        AreaLevel::District => "Kreis",
        AreaLevel::MunicipalAssociation => "Gemeindeverband",
        AreaLevel::Municipality => "Gemeinde",
    }
}

/// Where an entry comes from, in German.
pub fn source_label(source: Source) -> &'static str {
    match source {
        Source::Seed => "Grundbestand (Katalog)",
        Source::Published => "vom Knoten veröffentlicht",
    }
}

/// A readable name of an evidence type classification; the classification itself is shown
/// beside it where there is room.
pub fn evidence_label(urn: &str) -> String {
    let last = urn.rsplit(':').next().unwrap_or(urn);
    match last {
        "residence-certificate" => "Meldebescheinigung".to_owned(),
        "income-certificate" => "Einkommensnachweis".to_owned(),
        "birth-certificate" => "Geburtsurkunde".to_owned(),
        "marriage-certificate" => "Eheurkunde".to_owned(),
        "death-certificate" => "Sterbeurkunde".to_owned(),
        "vehicle-registration" => "Fahrzeugzulassung".to_owned(),
        "company-registration" => "Registerauszug Unternehmen".to_owned(),
        other => other.replace('-', " "),
    }
}

/// A count with German digit grouping: 10799 → "10.799".
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A count of `u64` (flows, records) with German digit grouping.
pub fn count_u64(n: u64) -> String {
    count(usize::try_from(n).unwrap_or(usize::MAX))
}

/// A Unix time as `2026-11-23 13:40 UTC`.
pub fn timestamp(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

/// A duration in seconds, coarsely: "5 Minuten", "3 Stunden", "2 Tagen".
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s} Sekunden"),
        60..7200 => format!("{} Minuten", s / 60),
        7200..172_800 => format!("{} Stunden", s / 3600),
        _ => format!("{} Tagen", s / 86_400),
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_ids_survive_a_link() {
        let id = "DE-HB:KOMMUNE:04011000/melderegister-04011000 &x=<y>#z+ä";
        let href = register_href(id);
        assert_eq!(
            href,
            "/registers?id=DE-HB%3AKOMMUNE%3A04011000%2Fmelderegister-04011000%20%26x%3D%3Cy%3E%23z%2B%C3%A4"
        );
        let encoded = href.trim_start_matches("/registers?id=");
        let decoded = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap_or_default();
        assert_eq!(decoded, id);
    }

    #[test]
    fn counts_are_grouped_the_german_way() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1.000");
        assert_eq!(count(10_799), "10.799");
        assert_eq!(count(1_234_567), "1.234.567");
    }

    #[test]
    fn labels() {
        assert_eq!(
            evidence_label("urn:once:evidence-type:residence-certificate"),
            "Meldebescheinigung"
        );
        assert_eq!(evidence_label("urn:x:some-thing"), "some thing");
        assert_eq!(level_name_label("municipality"), "Gemeinde");
        assert_eq!(level_name_label("galaxy"), "galaxy");
        assert_eq!(timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(age(7200), "2 Stunden");
    }
}
