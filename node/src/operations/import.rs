//! Reading register records from CSV or JSON, checked line by line before anything is stored.
//!
//! The layout: every record has `family_name`, `given_name`, `date_of_birth` (YYYY-MM-DD) and,
//! for most registers, `tax_id` (the 11-digit identification number, check digit verified);
//! `record_id` names a record without one. The other columns depend on the evidence the register
//! produces (see [`FIELDS`]). Unknown columns are an error, so a typo cannot silently drop data.

use std::collections::BTreeMap;

use once_xml::taxid::TaxId;
use serde_json::{Map, Value};

use crate::db::registers::Record;
pub use crate::exchange::matching::parse_date;
use crate::exchange::matching::{iso_date, match_key};

/// At most this many problems are reported; the rest are counted.
const MAX_REPORTED: usize = 50;

/// What a field must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text, 1 to 200 characters.
    Text,
    /// A date `YYYY-MM-DD`.
    Date,
    /// An 8-digit official municipality key.
    Ags,
    /// A German postcode, 5 digits.
    Postcode,
    /// A year, 4 digits.
    Year,
    /// An amount in euros, e.g. `41234.50`, not negative.
    Amount,
    /// One of a few words.
    OneOf(&'static [&'static str]),
}

/// A column of a register: name, kind, whether it must be given.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Column name.
    pub name: &'static str,
    /// What it must look like.
    pub kind: FieldKind,
    /// Whether every record must have it.
    pub required: bool,
}

const fn field(name: &'static str, kind: FieldKind, required: bool) -> Field {
    Field {
        name,
        kind,
        required,
    }
}

/// The columns each evidence type needs, by evidence type classification.
pub const FIELDS: &[(&str, &[Field])] = &[
    (
        "urn:once:evidence-type:residence-certificate",
        &[
            field("street", FieldKind::Text, true),
            field("house_number", FieldKind::Text, true),
            field("postcode", FieldKind::Postcode, true),
            field("municipality", FieldKind::Text, true),
            field("ags", FieldKind::Ags, true),
            field("moved_in", FieldKind::Date, true),
            field("residence", FieldKind::OneOf(&["main", "secondary"]), false),
            field("birth_name", FieldKind::Text, false),
            field("place_of_birth", FieldKind::Text, false),
            field("nationality", FieldKind::Text, false),
        ],
    ),
    (
        "urn:once:evidence-type:income-certificate",
        &[
            field("tax_year", FieldKind::Year, true),
            field("gross_income", FieldKind::Amount, true),
            field(
                "income_kind",
                FieldKind::OneOf(&[
                    "employment",
                    "pension",
                    "self-employment",
                    "benefits",
                    "other",
                ]),
                true,
            ),
            field("payer", FieldKind::Text, false),
        ],
    ),
    (
        "urn:once:evidence-type:birth-certificate",
        &[
            field(
                "sex",
                FieldKind::OneOf(&["female", "male", "diverse", "unspecified"]),
                true,
            ),
            field("place_of_birth", FieldKind::Text, true),
            field("ags_of_birth", FieldKind::Ags, true),
            field("register_entry", FieldKind::Text, true),
            field("birth_name", FieldKind::Text, false),
            field("parent1_family_name", FieldKind::Text, false),
            field("parent1_given_name", FieldKind::Text, false),
            field("parent2_family_name", FieldKind::Text, false),
            field("parent2_given_name", FieldKind::Text, false),
        ],
    ),
];

const BASE_FIELDS: [&str; 5] = [
    "record_id",
    "tax_id",
    "family_name",
    "given_name",
    "date_of_birth",
];

/// The evidence type classifications this node knows how to produce.
pub fn known_evidence_types() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|(t, _)| *t)
}

/// The extra columns a register with these evidence types has (each named once).
pub fn columns_for(evidence_types: &[String]) -> Result<Vec<Field>, String> {
    let mut columns: Vec<Field> = Vec::new();
    for evidence_type in evidence_types {
        let (_, fields) = FIELDS
            .iter()
            .find(|(t, _)| t == evidence_type)
            .ok_or_else(|| {
                format!(
                    "unknown evidence type {evidence_type:?}; known: {}",
                    known_evidence_types().collect::<Vec<_>>().join(", ")
                )
            })?;
        for f in *fields {
            match columns.iter_mut().find(|c| c.name == f.name) {
                Some(existing) => existing.required |= f.required,
                None => columns.push(*f),
            }
        }
    }
    Ok(columns)
}

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line (CSV, counting the header as line 1) or the record number (JSON, from 1).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why an import file was refused: every problem found (up to [`MAX_REPORTED`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.errors, *.more))]
pub struct ImportError {
    /// The problems.
    pub errors: Vec<LineError>,
    /// How many more problems there were.
    pub more: usize,
}

fn render(errors: &[LineError], more: usize) -> String {
    let mut out = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    if more > 0 {
        out.push_str(&format!("\n… and {more} more problems"));
    }
    out
}

struct Collector {
    errors: Vec<LineError>,
    more: usize,
}

impl Collector {
    fn push(&mut self, line: usize, message: String) {
        if self.errors.len() < MAX_REPORTED {
            self.errors.push(LineError { line, message });
        } else {
            self.more += 1;
        }
    }
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, a header line naming the columns, UTF-8.
    Csv,
    /// A JSON array of objects whose values are strings (numbers are accepted for numeric fields).
    Json,
}

impl Format {
    /// From the file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Reads and checks every record; either all are good or nothing is returned.
pub fn parse(
    bytes: &[u8],
    format: Format,
    register_id: &str,
    evidence_types: &[String],
) -> Result<Vec<Record>, ImportError> {
    let columns = columns_for(evidence_types).map_err(|message| ImportError {
        errors: vec![LineError { line: 0, message }],
        more: 0,
    })?;
    let mut problems = Collector {
        errors: Vec::new(),
        more: 0,
    };
    let rows = match format {
        Format::Csv => csv_rows(bytes, &mut problems),
        Format::Json => json_rows(bytes, &mut problems),
    };
    let mut records = Vec::with_capacity(rows.len());
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    let mut tax_ids: BTreeMap<String, usize> = BTreeMap::new();
    for (line, row) in rows {
        if let Some(record) = check_row(line, row, register_id, &columns, &mut problems) {
            if let Some(first) = keys.insert(record.record_key.clone(), line)
                && record.tax_id.as_ref() != Some(&record.record_key)
            {
                problems.push(
                    line,
                    format!(
                        "record_id {} was used on line {first} already",
                        record.record_key
                    ),
                );
            }
            if let Some(tax_id) = &record.tax_id
                && let Some(first) = tax_ids.insert(tax_id.clone(), line)
            {
                problems.push(
                    line,
                    format!("tax_id …{} was used on line {first} already", &tax_id[7..]),
                );
            }
            records.push(record);
        }
    }
    if problems.errors.is_empty() {
        Ok(records)
    } else {
        Err(ImportError {
            errors: problems.errors,
            more: problems.more,
        })
    }
}

type Row = BTreeMap<String, String>;

fn csv_rows(bytes: &[u8], problems: &mut Collector) -> Vec<(usize, Row)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(1, format!("cannot read the header line: {e}"));
            return Vec::new();
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for h in &headers {
        if !seen.insert(h) {
            problems.push(1, format!("column {h:?} is named twice"));
        }
    }
    let mut rows = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                let row = headers
                    .iter()
                    .zip(record.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(h, v)| (h.to_owned(), v.to_owned()))
                    .collect();
                rows.push((line, row));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(line, format!("unreadable CSV: {}", csv_error(&e)));
            }
        }
    }
    rows
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        _ => e.to_string(),
    }
}

fn json_rows(bytes: &[u8], problems: &mut Collector) -> Vec<(usize, Row)> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            problems.push(e.line(), format!("not valid JSON: {e}"));
            return Vec::new();
        }
    };
    let Value::Array(items) = value else {
        problems.push(1, "the file must hold a JSON array of records".into());
        return Vec::new();
    };
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let line = i + 1;
        let Value::Object(map) = item else {
            problems.push(line, "a record must be a JSON object".into());
            continue;
        };
        let mut row = Row::new();
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                other => {
                    problems.push(
                        line,
                        format!("{k}: must be a string, not {}", json_kind(&other)),
                    );
                    continue;
                }
            };
            if !text.is_empty() {
                row.insert(k, text);
            }
        }
        rows.push((line, row));
    }
    rows
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        _ => "this",
    }
}

fn check_row(
    line: usize,
    row: Row,
    register_id: &str,
    columns: &[Field],
    problems: &mut Collector,
) -> Option<Record> {
    let before = problems.errors.len() + problems.more;
    let mut reader = RowReader {
        line,
        row,
        problems,
    };
    reader.unknown_columns(columns);
    let family_name = reader.text("family_name");
    let given_name = reader.text("given_name");
    let date_of_birth = reader.required("date_of_birth", parse_date);
    let (tax_id, record_key) = reader.keys();
    let data = reader.data(columns);
    if problems.errors.len() + problems.more > before {
        return None;
    }
    let (family_name, given_name, date_of_birth, record_key) =
        (family_name?, given_name?, date_of_birth?, record_key?);
    Some(Record {
        register_id: register_id.to_owned(),
        record_key,
        tax_id,
        match_key: match_key(&family_name, &given_name, date_of_birth),
        family_name,
        given_name,
        date_of_birth: iso_date(date_of_birth),
        data: Value::Object(data).to_string(),
    })
}

/// One row being read: every problem is collected with its line, so that one import reports
/// them all.
struct RowReader<'a> {
    line: usize,
    row: Row,
    problems: &'a mut Collector,
}

impl RowReader<'_> {
    /// Columns neither of every register nor of this register's evidence types.
    fn unknown_columns(&mut self, columns: &[Field]) {
        let unknown: Vec<String> = self
            .row
            .keys()
            .filter(|name| {
                !BASE_FIELDS.contains(&name.as_str()) && !columns.iter().any(|c| c.name == *name)
            })
            .cloned()
            .collect();
        for name in unknown {
            let known = BASE_FIELDS
                .iter()
                .copied()
                .chain(columns.iter().map(|c| c.name))
                .collect::<Vec<_>>()
                .join(", ");
            self.problems.push(
                self.line,
                format!("unknown column {name:?}; this register has {known}"),
            );
        }
    }

    /// A column every record has, read with `parse`.
    fn required<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let Some(value) = self.row.remove(name) else {
            self.problems.push(self.line, format!("{name} is missing"));
            return None;
        };
        parse(&value)
            .map_err(|e| self.problems.push(self.line, format!("{name}: {e}")))
            .ok()
    }

    /// A text column every record has.
    fn text(&mut self, name: &str) -> Option<String> {
        let Some(value) = self.row.remove(name) else {
            self.problems.push(self.line, format!("{name} is missing"));
            return None;
        };
        check(name, &value, FieldKind::Text)
            .map(|()| value)
            .map_err(|e| self.problems.push(self.line, e))
            .ok()
    }

    /// The identification number (if given) and the record key: `record_id`, or else the
    /// identification number.
    fn keys(&mut self) -> (Option<String>, Option<String>) {
        let tax_id_given = self.row.contains_key("tax_id");
        let tax_id = self.row.remove("tax_id").and_then(|v| {
            v.parse::<TaxId>()
                .map(|id| id.to_string())
                .map_err(|e| self.problems.push(self.line, format!("tax_id: {e}")))
                .ok()
        });
        let record_key = match (self.row.remove("record_id"), &tax_id) {
            (Some(id), _) => Some(id),
            (None, Some(tax_id)) => Some(tax_id.clone()),
            (None, None) => {
                if !tax_id_given {
                    self.problems
                        .push(self.line, "a record needs a tax_id or a record_id".into());
                }
                None
            }
        };
        (tax_id, record_key)
    }

    /// The columns of the register's evidence types, each checked by its kind.
    fn data(&mut self, columns: &[Field]) -> Map<String, Value> {
        let mut data = Map::new();
        for column in columns {
            match self.row.remove(column.name) {
                Some(v) => match check(column.name, &v, column.kind) {
                    Ok(()) => {
                        data.insert(column.name.to_owned(), Value::String(v));
                    }
                    Err(e) => self.problems.push(self.line, e),
                },
                None if column.required => self
                    .problems
                    .push(self.line, format!("{} is missing", column.name)),
                None => {}
            }
        }
        data
    }
}

/// Checks the value of column `name`; the error names the column.
fn check(name: &str, value: &str, kind: FieldKind) -> Result<(), String> {
    if kind == FieldKind::Text {
        // The text goes into evidence documents: one line of XML characters.
        return match once_xml::text::check_line(name, value) {
            Err(e) => Err(e.to_string()),
            Ok(()) if value.chars().count() > 200 => {
                Err(format!("{name}: longer than 200 characters"))
            }
            Ok(()) => Ok(()),
        };
    }
    check_value(value, kind).map_err(|e| format!("{name}: {e}"))
}

fn check_value(value: &str, kind: FieldKind) -> Result<(), String> {
    let digits = |n: usize| value.len() == n && value.bytes().all(|b| b.is_ascii_digit());
    match kind {
        FieldKind::Text => Ok(()),
        FieldKind::Date => parse_date(value).map(|_| ()),
        FieldKind::Ags if digits(8) => Ok(()),
        FieldKind::Ags => Err(format!(
            "{value:?} is not an 8-digit municipality key (AGS)"
        )),
        FieldKind::Postcode if digits(5) => Ok(()),
        FieldKind::Postcode => Err(format!("{value:?} is not a 5-digit postcode")),
        FieldKind::Year if digits(4) => Ok(()),
        FieldKind::Year => Err(format!("{value:?} is not a year")),
        FieldKind::Amount => {
            let (whole, cents) = value.split_once('.').unwrap_or((value, "00"));
            let ok = !whole.is_empty()
                && whole.len() <= 12
                && whole.bytes().all(|b| b.is_ascii_digit())
                && (1..=2).contains(&cents.len())
                && cents.bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{value:?} is not an amount in euros like 41234.50 (no sign, no thousands separator)"
                ))
            }
        }
        FieldKind::OneOf(words) if words.contains(&value) => Ok(()),
        FieldKind::OneOf(words) => Err(format!("{value:?} is not one of {}", words.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

    fn residence() -> Vec<String> {
        vec![RESIDENCE.to_owned()]
    }

    const HEADER: &str = "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in\n";

    #[test]
    fn reads_a_good_csv() {
        let csv = format!(
            "{HEADER}65929970489,Müller,Anna,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n\
             ,Schmidt,Jörg,1990-12-31,Obernstraße,5a,28195,Bremen,04011000,2015-06-01\n"
        );
        let err = parse(csv.as_bytes(), Format::Csv, "melde", &residence()).unwrap_err();
        assert_eq!(err.errors.len(), 1, "{err}");
        assert_eq!(err.errors[0].line, 3);
        assert!(err.errors[0].message.contains("tax_id or a record_id"));

        let csv = csv.replace(",Schmidt", "R-2,Schmidt");
        let csv = csv.replacen("tax_id,", "record_id,tax_id,", 1).replacen(
            "\n65929970489",
            "\nR-1,65929970489",
            1,
        );
        let csv = csv.replace("R-2,Schmidt", "R-2,,Schmidt");
        let records = parse(csv.as_bytes(), Format::Csv, "melde", &residence()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].record_key, "R-1");
        assert_eq!(records[0].match_key, "mueller|anna|1985-03-07");
        assert!(records[1].tax_id.is_none());
        assert!(records[0].data.contains("\"ags\":\"04011000\""));
    }

    #[test]
    fn reports_every_bad_line_and_imports_nothing() {
        let csv = format!(
            "{HEADER}65929970488,Müller,Anna,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n\
             65929970489,,Anna,1985-02-30,Am Markt,1,2819,Bremen,4011000,2010-01-01\n\
             65929970489,Meier,Jan,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n\
             65929970489,Meier,Jan,1985-03-07,Am Markt,1,28195,Bremen,04011000\n\
             65929970489,Meier,Jan,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n"
        );
        let err = parse(csv.as_bytes(), Format::Csv, "melde", &residence()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2: tax_id"), "{text}");
        assert!(text.contains("line 3: family_name is missing"), "{text}");
        assert!(text.contains("line 3: date_of_birth"), "{text}");
        assert!(text.contains("line 3: postcode"), "{text}");
        assert!(text.contains("line 3: ags"), "{text}");
        assert!(
            text.contains("line 6: tax_id …0489 was used on line 4"),
            "{text}"
        );
        assert!(!text.contains("line 2: a record needs"), "{text}");
        assert!(
            text.contains("line 5: unreadable CSV: 9 fields where the header has 10"),
            "{text}"
        );
        assert!(
            !text.contains("65929970489"),
            "full identification numbers stay out of reports"
        );
    }

    #[test]
    fn refuses_unknown_columns_and_evidence_types() {
        let csv = HEADER.replace("moved_in", "moved_inn")
            + "65929970489,Müller,Anna,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n";
        let text = parse(csv.as_bytes(), Format::Csv, "melde", &residence())
            .unwrap_err()
            .to_string();
        assert!(text.contains("unknown column \"moved_inn\""), "{text}");
        assert!(text.contains("moved_in is missing"), "{text}");
        let text = parse(b"", Format::Csv, "x", &["urn:nope".to_owned()])
            .unwrap_err()
            .to_string();
        assert!(text.contains("unknown evidence type"), "{text}");
    }

    #[test]
    fn reads_json_and_names_bad_records() {
        let json = r#"[
          {"tax_id": "65929970489", "family_name": "Müller", "given_name": "Anna",
           "date_of_birth": "1985-03-07", "tax_year": 2025, "gross_income": "41234.50",
           "income_kind": "employment"},
          {"tax_id": "65929970489", "family_name": ["x"], "given_name": "Anna",
           "date_of_birth": "1985-03-07", "tax_year": "2025", "gross_income": "-1",
           "income_kind": "lottery"},
          3
        ]"#;
        let types = vec!["urn:once:evidence-type:income-certificate".to_owned()];
        let text = parse(json.as_bytes(), Format::Json, "income", &types)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("line 2: family_name: must be a string, not an array"),
            "{text}"
        );
        assert!(text.contains("line 2: gross_income"), "{text}");
        assert!(
            text.contains("line 2: income_kind: \"lottery\" is not one of"),
            "{text}"
        );
        assert!(
            text.contains("line 3: a record must be a JSON object"),
            "{text}"
        );
        let good = json.split("},").next().unwrap().to_owned() + "}]";
        let records = parse(good.as_bytes(), Format::Json, "income", &types).unwrap();
        assert!(records[0].data.contains("\"tax_year\":\"2025\""));
        assert!(parse(b"{", Format::Json, "income", &types).is_err());
    }
}
