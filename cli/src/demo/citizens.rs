//! Synthetic citizens for the demo registers: residents of Bremen for the population register
//! and insured persons from all over Germany (Bremen's among them) for the pension insurance
//! register. Identification numbers have valid check digits; names come from lists of common
//! names in Germany, places from the official municipality list of the register map's seed.
//!
//! Everything is drawn from a random generator seeded by a constant, so every run makes the same
//! people.

use std::collections::{HashMap, HashSet};

use once_registry_map::model::{AreaLevel, Jurisdiction};
use once_xml::taxid::TaxId;
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

use super::names::{ABROAD, BREMEN_POSTCODES, FAMILY, FEMALE, MALE, STREETS};
use once_node::exchange::matching::{iso_date, match_key};

/// Residents of Bremen in the population register.
pub(super) const RESIDENTS: usize = 12_000;
/// Accounts in the pension insurance register.
pub(super) const ACCOUNTS: usize = 12_000;
/// Bremen's municipality key (AGS).
pub(super) const BREMEN: &str = "04011000";

/// The day the population is drawn for: ages and dates are relative to it, so the data does not
/// change with the clock.
const REFERENCE: Date = date!(2025 - 07 - 01);
/// The year of the income certificates.
pub(super) const TAX_YEAR: i32 = 2024;
/// The seed of the random generator.
const SEED: u64 = 0x6f6e_6365_2d64_656d;

/// A person, as both registers know them.
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub tax_id: String,
    pub family_name: String,
    pub given_name: String,
    pub birth_name: Option<String>,
    pub date_of_birth: Date,
    pub place_of_birth: String,
    pub nationality: &'static str,
    /// Where the person lives: municipality name and key.
    pub municipality: String,
    pub ags: String,
}

/// A person's entry in Bremen's population register.
#[derive(Debug, Clone)]
pub(super) struct Resident {
    pub person: usize,
    pub street: &'static str,
    pub house_number: String,
    pub postcode: &'static str,
    pub moved_in: Date,
    pub main_residence: bool,
}

/// A person's entry in the pension insurance register: the income of [`TAX_YEAR`].
#[derive(Debug, Clone)]
pub(super) struct Account {
    pub person: usize,
    pub gross_income_cents: u64,
    pub pension: bool,
    pub payer: String,
}

/// The synthetic population.
#[derive(Debug, Clone)]
pub(super) struct Population {
    pub people: Vec<Person>,
    pub residents: Vec<Resident>,
    pub accounts: Vec<Account>,
    /// How many municipalities the insured persons live in.
    pub municipalities: usize,
}

/// A person scripts can ask about (in `demo.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SampleSubject {
    pub tax_id: String,
    pub family_name: String,
    pub given_name: String,
    pub date_of_birth: String,
    /// Where the person lives.
    pub municipality: String,
    /// Its municipality key (AGS): the `jurisdiction` of an evidence request.
    pub ags: String,
    /// The members whose registers hold the person.
    pub registers: Vec<String>,
}

/// Makes the population from the municipality list.
pub(super) fn generate(areas: &[Jurisdiction]) -> Result<Population, String> {
    let mut rng = Rng(SEED);
    let municipalities: Vec<&Jurisdiction> = areas
        .iter()
        .filter(|a| a.level == AreaLevel::Municipality && a.population.is_some_and(|p| p > 0))
        .collect();
    let bremen = municipalities
        .iter()
        .find(|a| a.key == BREMEN)
        .map(|a| place_name(&a.name))
        .ok_or("the municipality list has no Bremen (04011000)")?;
    // Insured persons elsewhere live anywhere but in Bremen (whose register would know them).
    let elsewhere = Weighted::new(municipalities.iter().copied().filter(|a| a.key != BREMEN));
    let birthplaces = Weighted::new(municipalities.iter().copied());
    let mut tax_ids = HashSet::new();
    let mut people = Vec::with_capacity(RESIDENTS + ACCOUNTS / 2);
    let mut residents = Vec::with_capacity(RESIDENTS);
    let mut accounts = Vec::with_capacity(ACCOUNTS);

    for _ in 0..RESIDENTS {
        let age = rng.age();
        let born_here = rng.chance(35);
        let person = rng.person(
            age,
            &mut tax_ids,
            (&bremen, BREMEN),
            if born_here {
                Some(bremen.as_str())
            } else {
                None
            },
            &birthplaces,
        );
        let date_of_birth = person.date_of_birth;
        let index = people.len();
        people.push(person);
        let moved_in = if born_here {
            date_of_birth
        } else {
            let days = (REFERENCE - date_of_birth).whole_days().max(1);
            date_of_birth + time::Duration::days(rng.below(days as u64) as i64)
        };
        residents.push(Resident {
            person: index,
            street: rng.pick(STREETS),
            house_number: rng.house_number(),
            postcode: rng.pick(BREMEN_POSTCODES),
            moved_in,
            main_residence: !rng.chance(3),
        });
        // A little over half of Bremen's adults have an account with the pension insurance.
        if (18..=85).contains(&age) && rng.chance(55) {
            let account = rng.account(index, age, &bremen);
            accounts.push(account);
        }
    }
    let mut homes = HashSet::new();
    while accounts.len() < ACCOUNTS {
        let age = 18 + rng.below(68) as i32;
        let home = elsewhere.pick(&mut rng);
        let home_name = place_name(&home.name);
        homes.insert(home.key.as_str());
        let person = rng.person(
            age,
            &mut tax_ids,
            (&home_name, &home.key),
            None,
            &birthplaces,
        );
        let index = people.len();
        people.push(person);
        let account = rng.account(index, age, &home_name);
        accounts.push(account);
    }
    Ok(Population {
        people,
        residents,
        accounts,
        // Bremen's own insured persons live in one more.
        municipalities: homes.len() + 1,
    })
}

impl Population {
    /// The population register's import file (CSV with the residence certificate's columns).
    pub(super) fn residents_csv(&self) -> Result<Vec<u8>, String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let header = [
            "tax_id",
            "family_name",
            "given_name",
            "date_of_birth",
            "street",
            "house_number",
            "postcode",
            "municipality",
            "ags",
            "moved_in",
            "residence",
            "birth_name",
            "place_of_birth",
            "nationality",
        ];
        out.write_record(header).map_err(|e| e.to_string())?;
        for r in &self.residents {
            let p = &self.people[r.person];
            out.write_record([
                p.tax_id.as_str(),
                &p.family_name,
                &p.given_name,
                &iso_date(p.date_of_birth),
                r.street,
                &r.house_number,
                r.postcode,
                &p.municipality,
                &p.ags,
                &iso_date(r.moved_in),
                if r.main_residence {
                    "main"
                } else {
                    "secondary"
                },
                p.birth_name.as_deref().unwrap_or_default(),
                &p.place_of_birth,
                p.nationality,
            ])
            .map_err(|e| e.to_string())?;
        }
        out.into_inner().map_err(|e| e.to_string())
    }

    /// The pension register's import file (CSV with the income certificate's columns).
    pub(super) fn accounts_csv(&self) -> Result<Vec<u8>, String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record([
            "tax_id",
            "family_name",
            "given_name",
            "date_of_birth",
            "tax_year",
            "gross_income",
            "income_kind",
            "payer",
        ])
        .map_err(|e| e.to_string())?;
        let year = TAX_YEAR.to_string();
        for a in &self.accounts {
            let p = &self.people[a.person];
            out.write_record([
                p.tax_id.as_str(),
                &p.family_name,
                &p.given_name,
                &iso_date(p.date_of_birth),
                &year,
                &format!(
                    "{}.{:02}",
                    a.gross_income_cents / 100,
                    a.gross_income_cents % 100
                ),
                if a.pension { "pension" } else { "employment" },
                &a.payer,
            ])
            .map_err(|e| e.to_string())?;
        }
        out.into_inner().map_err(|e| e.to_string())
    }

    /// A few people scripts can ask about: three residents of Bremen of parental age whom both
    /// registers know, then two insured persons from elsewhere. Each is the only one with their
    /// name and date of birth in every register, so they can be found without the
    /// identification number too.
    pub(super) fn samples(
        &self,
        population_member: &str,
        pension_member: &str,
    ) -> Vec<SampleSubject> {
        let mut keys: HashMap<String, usize> = HashMap::new();
        for p in &self.people {
            *keys
                .entry(match_key(&p.family_name, &p.given_name, p.date_of_birth))
                .or_default() += 1;
        }
        let unique = |p: &Person| {
            keys.get(&match_key(&p.family_name, &p.given_name, p.date_of_birth)) == Some(&1)
        };
        let parental =
            |p: &Person| (25..=42).contains(&(REFERENCE.year() - p.date_of_birth.year()));
        let main_residents: HashSet<usize> = self
            .residents
            .iter()
            .filter(|r| r.main_residence)
            .map(|r| r.person)
            .collect();
        let subject = |p: &Person, registers: Vec<String>| SampleSubject {
            tax_id: p.tax_id.clone(),
            family_name: p.family_name.clone(),
            given_name: p.given_name.clone(),
            date_of_birth: iso_date(p.date_of_birth),
            municipality: p.municipality.clone(),
            ags: p.ags.clone(),
            registers,
        };
        let employed = self
            .accounts
            .iter()
            .filter(|a| !a.pension)
            .map(|a| a.person);
        let both = vec![population_member.to_owned(), pension_member.to_owned()];
        let mut samples = Vec::new();
        for i in employed.clone() {
            let p = &self.people[i];
            if p.ags == BREMEN && main_residents.contains(&i) && parental(p) && unique(p) {
                samples.push(subject(p, both.clone()));
                if samples.len() == 3 {
                    break;
                }
            }
        }
        let mut places = HashSet::new();
        for i in employed {
            let p = &self.people[i];
            if p.ags != BREMEN && parental(p) && unique(p) && places.insert(p.ags.as_str()) {
                samples.push(subject(p, vec![pension_member.to_owned()]));
                if places.len() == 2 {
                    break;
                }
            }
        }
        samples
    }
}

/// "Bremen, Stadt" → "Bremen"; "Halle (Saale), Stadt" → "Halle (Saale)".
fn place_name(official: &str) -> String {
    official
        .split_once(',')
        .map_or(official, |(name, _)| name)
        .trim()
        .to_owned()
}

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with `percent` % probability.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An age in years, roughly as a city's population is spread.
    fn age(&mut self) -> i32 {
        let age = match self.below(100) {
            0..17 => self.below(18),
            17..83 => 18 + self.below(49),
            _ => 67 + self.below(29),
        };
        age as i32
    }

    fn tax_id(&mut self, used: &mut HashSet<String>) -> String {
        loop {
            let mut body = [0u8; 10];
            body[0] = 1 + self.below(9) as u8;
            for digit in &mut body[1..] {
                *digit = self.below(10) as u8;
            }
            // About one body in 26 has the digit pattern identification numbers have.
            if let Ok(id) = TaxId::from_body(body) {
                let id = id.to_string();
                if used.insert(id.clone()) {
                    return id;
                }
            }
        }
    }

    fn person(
        &mut self,
        age: i32,
        tax_ids: &mut HashSet<String>,
        (home, ags): (&str, &str),
        born_at_home: Option<&str>,
        birthplaces: &Weighted<'_>,
    ) -> Person {
        let female = self.chance(51);
        let given = if female { FEMALE } else { MALE };
        let mut given_name = self.pick(given).to_owned();
        if self.chance(12) {
            let second = self.pick(given);
            if second != given_name {
                given_name = format!("{given_name} {second}");
            }
        }
        let mut family_name = self.pick(FAMILY).to_owned();
        if self.chance(4) {
            let second = self.pick(FAMILY);
            if second != family_name {
                family_name = format!("{family_name}-{second}");
            }
        }
        let birth_name = (age >= 25 && self.chance(20)).then(|| self.pick(FAMILY).to_owned());
        let days = i64::from(age) * 365 + i64::from(age / 4) + self.below(365) as i64;
        let date_of_birth = REFERENCE - time::Duration::days(days);
        let (nationality, place_of_birth) = if self.chance(86) {
            let place = match born_at_home {
                Some(home) => home.to_owned(),
                None => place_name(&birthplaces.pick(self).name),
            };
            ("DE", place)
        } else {
            let (code, place) = self.pick(ABROAD);
            (code, place.to_owned())
        };
        Person {
            tax_id: self.tax_id(tax_ids),
            family_name,
            given_name,
            birth_name,
            date_of_birth,
            place_of_birth,
            nationality,
            municipality: home.to_owned(),
            ags: ags.to_owned(),
        }
    }

    fn house_number(&mut self) -> String {
        let highest = if self.chance(70) { 60 } else { 180 };
        let number = 1 + self.below(highest);
        match self.below(10) {
            0 => format!("{number}a"),
            1 => format!("{number}b"),
            _ => number.to_string(),
        }
    }

    fn account(&mut self, person: usize, age: i32, home: &str) -> Account {
        if age >= 67 {
            return Account {
                person,
                gross_income_cents: 800_000 + self.below(2_400_000),
                pension: true,
                payer: if home == "Bremen" {
                    "Deutsche Rentenversicherung Oldenburg-Bremen".into()
                } else {
                    "Deutsche Rentenversicherung Bund".into()
                },
            };
        }
        // Skewed towards the lower incomes: the product of two uniform numbers.
        let spread = self.below(1000) * self.below(1000);
        let cents = 1_650_000 + spread * 8_500_000 / 1_000_000 + self.below(100);
        let family = self.pick(FAMILY);
        let payer = match self.below(9) {
            0 => format!("{family} Logistik GmbH, {home}"),
            1 => format!("Stadtwerke {home}"),
            2 => format!("Klinikum {home}"),
            3 => format!("{family} Elektrotechnik GmbH & Co. KG, {home}"),
            4 => format!("Bäckerei {family}, {home}"),
            5 => format!("{family} & {} Steuerberatung, {home}", self.pick(FAMILY)),
            6 => format!("Sparkasse {home}"),
            7 => format!("{family} IT-Systeme GmbH, {home}"),
            _ => format!("Stadt {home}"),
        };
        Account {
            person,
            gross_income_cents: cents,
            pension: false,
            payer,
        }
    }
}

/// Municipalities drawn by population.
struct Weighted<'a> {
    areas: Vec<&'a Jurisdiction>,
    /// Running totals of the population.
    totals: Vec<u64>,
}

impl<'a> Weighted<'a> {
    fn new(areas: impl Iterator<Item = &'a Jurisdiction>) -> Weighted<'a> {
        let mut total = 0;
        let mut weighted = Weighted {
            areas: Vec::new(),
            totals: Vec::new(),
        };
        for area in areas {
            total += area.population.unwrap_or(0);
            weighted.areas.push(area);
            weighted.totals.push(total);
        }
        weighted
    }

    fn pick(&self, rng: &mut Rng) -> &'a Jurisdiction {
        let total = self.totals.last().copied().unwrap_or(0).max(1);
        let at = rng.below(total);
        let i = self.totals.partition_point(|&t| t <= at);
        self.areas[i.min(self.areas.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_population_is_valid_reproducible_and_large_enough() {
        let areas = once_registry_map::seed::jurisdictions().expect("seed");
        let population = generate(&areas).expect("population");
        assert_eq!(population.residents.len(), RESIDENTS);
        assert_eq!(population.accounts.len(), ACCOUNTS);
        assert!(
            population.municipalities > 500,
            "{}",
            population.municipalities
        );
        let again = generate(&areas).expect("population");
        assert_eq!(population.people[4711].tax_id, again.people[4711].tax_id);
        // Both files import without a single problem (check digits, dates, columns).
        let residence = "urn:once:evidence-type:residence-certificate".to_owned();
        let income = "urn:once:evidence-type:income-certificate".to_owned();
        let csv = population.residents_csv().expect("csv");
        let records = once_node::operations::import::parse(
            &csv,
            once_node::operations::import::Format::Csv,
            "melderegister",
            &[residence],
        )
        .expect("residents import");
        assert_eq!(records.len(), RESIDENTS);
        let csv = population.accounts_csv().expect("csv");
        once_node::operations::import::parse(
            &csv,
            once_node::operations::import::Format::Csv,
            "rentenversicherungskonto",
            &[income],
        )
        .expect("accounts import");
        let samples = population.samples("P", "R");
        assert_eq!(samples.len(), 5, "{samples:?}");
        assert!(
            samples[..3]
                .iter()
                .all(|s| s.ags == BREMEN && s.registers.len() == 2)
        );
        assert!(
            samples[3..]
                .iter()
                .all(|s| s.ags != BREMEN && s.registers == ["R"])
        );
    }
}
