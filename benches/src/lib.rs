//! What the load benchmark and the storage micro-benchmarks share: synthetic persons for a
//! population register (distinct valid identification numbers, common German names, dates of
//! birth), the same for the same count.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;

use once_xml::taxid::TaxId;

const FAMILY: [&str; 40] = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
];
const GIVEN: [&str; 30] = [
    "Jürgen", "Anna", "Lukas", "Marie", "Leon", "Sophie", "Finn", "Emma", "Jonas", "Mia", "Paul",
    "Hannah", "Felix", "Lea", "Elias", "Lena", "Noah", "Laura", "Ben", "Clara", "Luis", "Greta",
    "Max", "Ida", "Emil", "Frieda", "Anton", "Ella", "Karl", "Johanna",
];

/// A synthetic person of the register.
#[derive(Debug, Clone)]
pub struct Person {
    pub tax_id: String,
    pub family_name: &'static str,
    pub given_name: &'static str,
    pub date_of_birth: String,
}

/// `n` persons with distinct valid identification numbers, the same for the same `n`.
pub fn population(n: usize) -> Vec<Person> {
    let mut state = 0x6c6f_6164_2d74_6573_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut people = Vec::with_capacity(n);
    let epoch = time::Date::from_calendar_date(1940, time::Month::January, 1).expect("date");
    while people.len() < n {
        let mut body = [0u8; 10];
        let r = next();
        body[0] = 1 + (r % 9) as u8;
        let mut rest = r / 9;
        for digit in &mut body[1..] {
            *digit = (rest % 10) as u8;
            rest /= 10;
        }
        let Ok(id) = TaxId::from_body(body) else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        let i = people.len();
        let born = epoch + time::Duration::days((next() % 25_000) as i64);
        people.push(Person {
            tax_id: id.to_string(),
            family_name: FAMILY[i % FAMILY.len()],
            given_name: GIVEN[(i / FAMILY.len()) % GIVEN.len()],
            date_of_birth: born.to_string(),
        });
    }
    people
}

/// Writes the register's import file.
pub fn write_csv(people: &[Person], file: &Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    write_csv_to(people, &mut out)?;
    out.flush()
}

/// The import file's bytes (CSV with the population register's columns).
pub fn csv_bytes(people: &[Person]) -> Vec<u8> {
    let mut out = Vec::with_capacity(people.len() * 100);
    write_csv_to(people, &mut out).expect("writing to memory");
    out
}

fn write_csv_to(people: &[Person], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in"
    )?;
    for (i, p) in people.iter().enumerate() {
        writeln!(
            out,
            "{},{},{},{},Am Markt,{},28195,Bremen,04011000,2010-01-01",
            p.tax_id,
            p.family_name,
            p.given_name,
            p.date_of_birth,
            1 + i % 200
        )?;
    }
    Ok(())
}
