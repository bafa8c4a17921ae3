//! Synthetic citizens for the demo registers: residents of Bremen for the population register
//! and insured persons from all over Germany (Bremen's among them) for the pension insurance
//! register. The people come from [`once_population`] (valid identification numbers, common
//! names, places from the official municipality list of the register map's seed), drawn with a
//! constant seed, so every run makes the same people.

use std::collections::{HashMap, HashSet};

use once_node::exchange::matching::{iso_date, match_key};
use once_population::{Generator, Income, Person, Place, REFERENCE, Resident, Weighted};
use once_registry_map::model::{AreaLevel, Jurisdiction};
use serde::{Deserialize, Serialize};

/// Residents of Bremen in the population register.
pub(super) const RESIDENTS: usize = 12_000;
/// Accounts in the pension insurance register.
pub(super) const ACCOUNTS: usize = 12_000;
/// Bremen's municipality key (AGS).
pub(super) const BREMEN: &str = once_population::BREMEN.ags;

/// The year of the income certificates.
pub(super) const TAX_YEAR: i32 = 2024;
/// The seed of the random generator.
const SEED: u64 = 0x6f6e_6365_2d64_656d;

/// The synthetic population.
#[derive(Debug, Clone)]
pub(super) struct Population {
    pub people: Vec<Person>,
    /// Entries of Bremen's population register.
    pub residents: Vec<Resident>,
    /// Entries of the pension insurance register: the incomes of [`TAX_YEAR`].
    pub accounts: Vec<Income>,
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
    let municipalities: Vec<Place<'_>> = areas
        .iter()
        .filter(|a| a.level == AreaLevel::Municipality && a.population.is_some_and(|p| p > 0))
        .map(|a| Place {
            key: &a.key,
            name: &a.name,
            population: a.population.unwrap_or(0),
        })
        .collect();
    let bremen = municipalities
        .iter()
        .find(|a| a.key == BREMEN)
        .map(|a| once_population::place_name(a.name))
        .ok_or("the municipality list has no Bremen (04011000)")?;
    let town = once_population::Town {
        name: &bremen,
        ..once_population::BREMEN
    };
    // Insured persons elsewhere live anywhere but in Bremen (whose register would know them).
    let elsewhere = Weighted::new(municipalities.iter().copied().filter(|a| a.key != BREMEN));
    let mut generator = Generator::new(SEED, Weighted::new(municipalities.iter().copied()));
    let mut population = once_population::Population::default();

    for _ in 0..RESIDENTS {
        let age = generator.age();
        let (person, resident) = generator.resident(age, &town);
        // A little over half of Bremen's adults have an account with the pension insurance.
        let account = ((18..=85).contains(&age) && generator.rng().chance(55))
            .then(|| generator.income(age, town.name));
        population.add(person, Some(resident), account);
    }
    while population.incomes.len() < ACCOUNTS {
        let age = 18 + generator.rng().below(68) as i32;
        let home = elsewhere
            .pick(generator.rng())
            .ok_or("the municipality list has no municipality but Bremen")?;
        let home_name = once_population::place_name(home.name);
        let person = generator.person(age, &home_name, home.key, false);
        let account = generator.income(age, &home_name);
        population.add(person, None, Some(account));
    }
    let municipalities = population.municipalities();
    let once_population::Population {
        people,
        residents,
        incomes,
    } = population;
    Ok(Population {
        people,
        residents,
        accounts: incomes,
        municipalities,
    })
}

impl Population {
    /// The population register's import file (CSV with the residence certificate's columns).
    pub(super) fn residents_csv(&self) -> Result<Vec<u8>, String> {
        once_population::residents_csv(&self.people, &self.residents).map_err(|e| e.to_string())
    }

    /// The pension register's import file (CSV with the income certificate's columns).
    pub(super) fn accounts_csv(&self) -> Result<Vec<u8>, String> {
        once_population::incomes_csv(&self.people, &self.accounts, TAX_YEAR)
            .map_err(|e| e.to_string())
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
