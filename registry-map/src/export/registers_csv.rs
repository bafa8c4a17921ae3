//! The whole catalogue as CSV, one row per register, safe to open in a spreadsheet.
//!
//! **CSV injection.** Members publish the names, legal bases and evidence types that end up in
//! this file. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
//! formula by spreadsheet programs (`=HYPERLINK("http://x.invalid","klick")` becomes a live
//! link, worse formulas run commands); as the OWASP guidance on CSV injection says, such a cell
//! is written with a single quote `'` before it, which spreadsheets show as text and do not
//! evaluate. The quote is part of the value a CSV reader sees. Per column:
//!
//! - neutralised: every column whose text comes from a member or the seed: `id`, `name`,
//!   `member`, `member_name`, `register_type`, `type_name`, `jurisdictions`,
//!   `jurisdiction_names`, `evidence_types`, `legal_basis`, `standards`. Ids and keys never start
//!   with one of those characters (member ids start with a country code, register ids with a
//!   letter or digit, keys are digits), so for them this changes nothing and only guards;
//! - written as they are: the columns of a closed form the map writes itself: `level` (one of
//!   four words), `record_count` (digits only: a count is never negative, so no `-` is lost),
//!   `connected` (`true`/`false`) and `source` (`seed`/`published`).

use crate::catalogue::Catalogue;
use crate::model::{Register, Source};

/// The columns of [`csv`], in this order.
pub const CSV_COLUMNS: [&str; 15] = [
    "id",
    "name",
    "member",
    "member_name",
    "register_type",
    "type_name",
    "level",
    "jurisdictions",
    "jurisdiction_names",
    "evidence_types",
    "legal_basis",
    "standards",
    "record_count",
    "connected",
    "source",
];

/// Whether the column at this index of [`CSV_COLUMNS`] holds text from outside, which is
/// neutralised against formula injection (see the module documentation).
const NEUTRALISED: [bool; 15] = [
    true, true, true, true, true, true, false, true, true, true, true, true, false, false, false,
];

/// The whole catalogue as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted where
/// needed), one header line ([`CSV_COLUMNS`]) and one row per register, in catalogue order.
///
/// - `jurisdictions` and `evidence_types` are space-separated lists of codes (official keys,
///   evidence type URNs); `jurisdiction_names` and `standards` are lists of names separated by
///   `"; "` (area names contain commas and spaces); `jurisdiction_names` has one entry per key,
///   the key itself where the area is unknown.
/// - `type_name` is the German name of the register type; `level` is `federal`, `state`,
///   `district` or `municipality`; `record_count` is empty where unknown; `connected` is `true` or
///   `false`; `source` is `seed` or `published`.
/// - A text cell a spreadsheet would evaluate as a formula starts with `'` (see the module
///   documentation).
///
/// **Attribution.** The file holds data and nothing else: a comment line or a trailing row with
/// the attribution breaks CSV readers, and an `attribution` column would repeat the same text on
/// every one of 100,000 rows. The attribution of the municipality data ([`crate::seed::ATTRIBUTION`],
/// dl-de/by-2-0) therefore goes *with* the file, not into it: the page that offers the download
/// shows it (footer), the HTTP response that serves it links the licence
/// (`Link: <https://www.govdata.de/dl-de/by-2-0>; rel="license"`), the DCAT export carries it as
/// `dct:rights`, and the README of the register map states it.
pub fn csv(catalogue: &Catalogue) -> String {
    let registers = catalogue.registers();
    let mut out = String::with_capacity(256 * (registers.len() + 1));
    out.push_str(&CSV_COLUMNS.join(","));
    out.push_str("\r\n");
    let mut row = CsvRow::default();
    for register in registers {
        row.fill(catalogue, register);
        for (i, (value, neutralise)) in row
            .fields(register)
            .into_iter()
            .zip(NEUTRALISED)
            .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            push_cell(&mut out, value, neutralise);
        }
        out.push_str("\r\n");
    }
    out
}

/// Whether a spreadsheet would evaluate a cell that starts like `value` (OWASP: `=` `+` `-` `@`,
/// tab, carriage return).
fn is_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Appends one cell: with `'` before it where `neutralise` is set and it would be a formula,
/// quoted (quotes doubled) where it holds a comma, a quote or a line break (RFC 4180).
fn push_cell(out: &mut String, value: &str, neutralise: bool) {
    let guard = neutralise && is_formula(value);
    let quote = value.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if guard {
        out.push('\'');
    }
    for (i, part) in value.split('"').enumerate() {
        if i > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    if quote {
        out.push('"');
    }
}

/// The joined and formatted fields of one row, reused from row to row.
#[derive(Debug, Default)]
struct CsvRow {
    member_name: String,
    type_name: String,
    jurisdictions: String,
    jurisdiction_names: String,
    evidence_types: String,
    standards: String,
    record_count: String,
}

impl CsvRow {
    fn fill(&mut self, catalogue: &Catalogue, register: &Register) {
        let clear_and = |s: &mut String, text: &str| {
            s.clear();
            s.push_str(text);
        };
        clear_and(
            &mut self.member_name,
            catalogue
                .member(&register.member)
                .map_or("", |m| m.name.as_str()),
        );
        clear_and(
            &mut self.type_name,
            register
                .register_type
                .as_deref()
                .and_then(|t| catalogue.register_type(t))
                .map_or("", |t| t.name_de.as_str()),
        );
        join(&mut self.jurisdictions, &register.jurisdictions, " ");
        join(
            &mut self.jurisdiction_names,
            register
                .jurisdictions
                .iter()
                .map(|k| catalogue.area(k).map_or(k.as_str(), |a| a.name.as_str())),
            "; ",
        );
        join(&mut self.evidence_types, &register.evidence_types, " ");
        join(&mut self.standards, &register.standards, "; ");
        self.record_count.clear();
        if let Some(count) = register.record_count {
            self.record_count.push_str(&count.to_string());
        }
    }

    fn fields<'a>(&'a self, register: &'a Register) -> [&'a str; 15] {
        [
            &register.id,
            &register.name,
            &register.member,
            &self.member_name,
            register.register_type.as_deref().unwrap_or(""),
            &self.type_name,
            register.level.as_str(),
            &self.jurisdictions,
            &self.jurisdiction_names,
            &self.evidence_types,
            &register.legal_basis,
            &self.standards,
            &self.record_count,
            if register.connected { "true" } else { "false" },
            match register.source {
                Source::Seed => "seed",
                Source::Published => "published",
            },
        ]
    }
}

fn join<I, S>(out: &mut String, items: I, separator: &str)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    out.clear();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use once_xml::level::Level;

    use super::*;
    use crate::db::Snapshot;
    use crate::model::Member;

    const HOSTILE: &str = "=HYPERLINK(\"http://x.invalid\",\"klick\")";

    fn register(id: &str, name: &str, legal_basis: &str, evidence_type: &str) -> Register {
        Register {
            id: format!("DE-HB:KOMMUNE:04011000/{id}"),
            member: "DE-HB:KOMMUNE:04011000".into(),
            local_id: id.into(),
            register_type: None,
            name: name.into(),
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            evidence_types: vec![evidence_type.into()],
            legal_basis: legal_basis.into(),
            standards: vec!["-X".into(), "Y".into()],
            record_count: Some(0),
            connected: true,
            source: Source::Published,
        }
    }

    fn rows(registers: Vec<Register>, member_name: &str) -> Vec<Vec<String>> {
        let catalogue = Catalogue::build(Snapshot {
            members: vec![Member {
                id: "DE-HB:KOMMUNE:04011000".into(),
                name: member_name.into(),
                contact: None,
                peer_url: None,
                tls_fingerprint: None,
                published_at: None,
            }],
            registers,
            ..Snapshot::default()
        });
        let text = csv(&catalogue);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            reader.headers().expect("header").iter().collect::<Vec<_>>(),
            CSV_COLUMNS
        );
        reader
            .records()
            .map(|r| r.expect("row").iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn formulas_are_written_as_text() {
        let rows = rows(
            vec![
                register("a", HOSTILE, "+1", "@SUM(A1)"),
                register("b", "\tTab", "\r\n=1+1", "-2"),
            ],
            "=cmd|' /C calc'!A0",
        );
        let a = rows.iter().find(|r| r[0].ends_with("/a")).expect("row a");
        assert_eq!(a[1], format!("'{HOSTILE}"), "the hostile name, neutralised");
        assert_eq!(a[3], "'=cmd|' /C calc'!A0", "the member's name");
        assert_eq!(a[9], "'@SUM(A1)");
        assert_eq!(a[10], "'+1");
        assert_eq!(
            a[11], "'-X; Y",
            "a list whose first entry starts like a formula"
        );
        let b = rows.iter().find(|r| r[0].ends_with("/b")).expect("row b");
        assert_eq!(b[1], "'\tTab");
        assert_eq!(b[9], "'-2");
        assert_eq!(b[10], "'\r\n=1+1");
        // Closed-form columns are the map's own words and digits.
        assert_eq!(
            a[6..],
            [
                "municipality",
                "04011000",
                "04011000",
                "'@SUM(A1)",
                "'+1",
                "'-X; Y",
                "0",
                "true",
                "published"
            ][..]
        );
    }

    #[test]
    fn other_values_are_unchanged() {
        let name = "Melderegister – Bremen = Stadt, \"Mitte\" -1 @x";
        let rows = rows(
            vec![register("a", name, "BMG\n§ 33", "urn:e:x")],
            "Stadt Bremen",
        );
        assert_eq!(
            rows[0],
            [
                "DE-HB:KOMMUNE:04011000/a",
                name,
                "DE-HB:KOMMUNE:04011000",
                "Stadt Bremen",
                "",
                "",
                "municipality",
                "04011000",
                "04011000",
                "urn:e:x",
                "BMG\n§ 33",
                "'-X; Y",
                "0",
                "true",
                "published",
            ]
        );
    }

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        let mut out = String::new();
        for (value, neutralise) in [
            ("plain", true),
            ("a,b", true),
            ("say \"hi\"", false),
            ("=a,\"b\"", true),
            ("-1", false),
            ("", true),
        ] {
            push_cell(&mut out, value, neutralise);
            out.push('|');
        }
        assert_eq!(
            out,
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"'=a,\"\"b\"\"\"|-1||"
        );
    }
}
