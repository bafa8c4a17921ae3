//! Synthetic people for registers, the same everywhere they are needed: the demo's citizens, the
//! benchmarks' population registers and the load benchmark's persons.
//!
//! Everything is drawn from a small random generator with a seed, so the same seed makes the
//! same people on every machine. Identification numbers are distinct and valid (digit pattern
//! and check digit, [`once_xml::taxid`]); names come from lists of common names in Germany
//! ([`names`]); dates are relative to [`REFERENCE`], so the data does not change with the clock;
//! addresses are in a [`Town`], places of birth and homes elsewhere are drawn from a list of
//! municipalities weighted by population ([`Weighted`]); incomes are skewed towards the lower
//! ones, as incomes are.
//!
//! [`residents`] makes a town's population register in one call; [`Generator`] gives the pieces
//! for a population of one's own (the demo's: Bremen's residents and insured persons from all
//! over Germany).
#![forbid(unsafe_code)]

mod files;
pub mod names;
mod rng;

use std::collections::HashSet;

use once_xml::taxid::TaxId;
use time::macros::date;
use time::{Date, Duration};

pub use files::{incomes_csv, iso_date, residents_csv};
pub use rng::Rng;

/// The day a population is drawn for: ages and dates are relative to it.
pub const REFERENCE: Date = date!(2025 - 07 - 01);

/// A person, as every register that knows them knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The identification number: 11 digits, valid, distinct within a [`Generator`].
    pub tax_id: String,
    /// Family name; one in 25 is a double name (`Müller-Schmidt`).
    pub family_name: String,
    /// Given names; one in 8 has two (`Anna Marie`).
    pub given_name: String,
    /// The family name at birth, where it differs.
    pub birth_name: Option<String>,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Place of birth: a municipality, or a city abroad.
    pub place_of_birth: String,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: &'static str,
    /// Where the person lives: the municipality's name …
    pub municipality: String,
    /// … and its key (AGS).
    pub ags: String,
}

/// A person's entry in a population register: the address in a [`Town`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// The person, an index into [`Population::people`].
    pub person: usize,
    pub street: &'static str,
    pub house_number: String,
    pub postcode: &'static str,
    pub moved_in: Date,
    /// Main or secondary residence.
    pub main_residence: bool,
}

/// A person's income of one year, as an income or pension register holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Income {
    /// The person, an index into [`Population::people`].
    pub person: usize,
    /// The gross income in cents.
    pub gross_income_cents: u64,
    /// A pension rather than income from employment.
    pub pension: bool,
    /// Who paid it.
    pub payer: String,
}

/// People and what registers know about them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Population {
    pub people: Vec<Person>,
    /// Entries of a population register.
    pub residents: Vec<Resident>,
    /// Entries of an income register.
    pub incomes: Vec<Income>,
}

/// The town of a population register: where its residents live.
#[derive(Debug, Clone, Copy)]
pub struct Town<'a> {
    /// The municipality's name.
    pub name: &'a str,
    /// Its key (AGS).
    pub ags: &'a str,
    pub streets: &'static [&'static str],
    pub postcodes: &'static [&'static str],
}

/// The city of Bremen.
pub const BREMEN: Town<'static> = Town {
    name: "Bremen",
    ags: "04011000",
    streets: names::STREETS,
    postcodes: names::BREMEN_POSTCODES,
};

/// A municipality of the official list, drawn as a home or a place of birth.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The key (AGS).
    pub key: &'a str,
    /// The official name (`Bremen, Stadt`).
    pub name: &'a str,
    /// Inhabitants: the weight of the draw.
    pub population: u64,
}

/// Municipalities drawn by population.
#[derive(Debug, Clone, Default)]
pub struct Weighted<'a> {
    places: Vec<Place<'a>>,
    /// Running totals of the population.
    totals: Vec<u64>,
}

impl<'a> Weighted<'a> {
    pub fn new(places: impl IntoIterator<Item = Place<'a>>) -> Weighted<'a> {
        let mut total = 0;
        let mut weighted = Weighted::default();
        for place in places {
            total += place.population;
            weighted.places.push(place);
            weighted.totals.push(total);
        }
        weighted
    }

    /// A place, the more likely the more people live there; none from an empty list.
    pub fn pick(&self, rng: &mut Rng) -> Option<Place<'a>> {
        let last = self.places.len().checked_sub(1)?;
        let total = self.totals.last().copied().unwrap_or(0).max(1);
        let at = rng.below(total);
        let i = self.totals.partition_point(|&t| t <= at);
        Some(self.places[i.min(last)])
    }
}

/// Draws people one by one: the pieces [`residents`] and the demo's population are made of.
#[derive(Debug)]
pub struct Generator<'a> {
    rng: Rng,
    tax_ids: HashSet<TaxId>,
    birthplaces: Weighted<'a>,
}

impl<'a> Generator<'a> {
    /// A generator seeded with `seed`; places of birth in Germany are drawn from `birthplaces`
    /// (or are the home town, if it is empty).
    pub fn new(seed: u64, birthplaces: Weighted<'a>) -> Generator<'a> {
        Generator {
            rng: Rng::new(seed),
            tax_ids: HashSet::new(),
            birthplaces,
        }
    }

    /// The random generator, for draws of one's own.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// An age in years, roughly as a city's population is spread.
    pub fn age(&mut self) -> i32 {
        let rng = &mut self.rng;
        let age = match rng.below(100) {
            0..17 => rng.below(18),
            17..83 => 18 + rng.below(49),
            _ => 67 + rng.below(29),
        };
        age as i32
    }

    /// A resident of `town` aged `age`: the person and their entry in the town's population
    /// register (without the person's index, which [`Population::add`] gives).
    pub fn resident(&mut self, age: i32, town: &Town<'_>) -> (Person, Resident) {
        let born_here = self.rng.chance(35);
        let person = self.person(age, town.name, town.ags, born_here);
        let date_of_birth = person.date_of_birth;
        let moved_in = if born_here {
            date_of_birth
        } else {
            let days = (REFERENCE - date_of_birth).whole_days().max(1);
            date_of_birth + Duration::days(self.rng.below(days as u64) as i64)
        };
        let resident = Resident {
            person: usize::MAX,
            street: self.rng.pick(town.streets),
            house_number: self.house_number(),
            postcode: self.rng.pick(town.postcodes),
            moved_in,
            main_residence: !self.rng.chance(3),
        };
        (person, resident)
    }

    /// A person aged `age` living in `municipality` (key `ags`), born there if `born_at_home`.
    pub fn person(
        &mut self,
        age: i32,
        municipality: &str,
        ags: &str,
        born_at_home: bool,
    ) -> Person {
        let rng = &mut self.rng;
        let female = rng.chance(51);
        let given = if female { names::FEMALE } else { names::MALE };
        let mut given_name = rng.pick(given).to_owned();
        if rng.chance(12) {
            let second = rng.pick(given);
            if second != given_name {
                given_name = format!("{given_name} {second}");
            }
        }
        let mut family_name = rng.pick(names::FAMILY).to_owned();
        if rng.chance(4) {
            let second = rng.pick(names::FAMILY);
            if second != family_name {
                family_name = format!("{family_name}-{second}");
            }
        }
        let birth_name = (age >= 25 && rng.chance(20)).then(|| rng.pick(names::FAMILY).to_owned());
        let days = i64::from(age) * 365 + i64::from(age / 4) + rng.below(365) as i64;
        let date_of_birth = REFERENCE - Duration::days(days);
        let (nationality, place_of_birth) = if rng.chance(86) {
            let elsewhere = if born_at_home {
                None
            } else {
                self.birthplaces.pick(rng)
            };
            let place = elsewhere.map_or_else(|| municipality.to_owned(), |p| place_name(p.name));
            ("DE", place)
        } else {
            let (code, place) = rng.pick(names::ABROAD);
            (code, place.to_owned())
        };
        Person {
            tax_id: self.tax_id().to_string(),
            family_name,
            given_name,
            birth_name,
            date_of_birth,
            place_of_birth,
            nationality,
            municipality: municipality.to_owned(),
            ags: ags.to_owned(),
        }
    }

    /// An identification number no one of this generator has.
    pub fn tax_id(&mut self) -> TaxId {
        loop {
            let mut body = [0u8; 10];
            body[0] = 1 + self.rng.below(9) as u8;
            for digit in &mut body[1..] {
                *digit = self.rng.below(10) as u8;
            }
            // About one body in 26 has the digit pattern identification numbers have.
            if let Ok(id) = TaxId::from_body(body)
                && self.tax_ids.insert(id)
            {
                return id;
            }
        }
    }

    /// The income of a person aged `age` living in `home` (a pension from 67 on), without the
    /// person's index, which [`Population::add`] gives.
    pub fn income(&mut self, age: i32, home: &str) -> Income {
        let rng = &mut self.rng;
        if age >= 67 {
            return Income {
                person: usize::MAX,
                gross_income_cents: 800_000 + rng.below(2_400_000),
                pension: true,
                payer: if home == "Bremen" {
                    "Deutsche Rentenversicherung Oldenburg-Bremen".into()
                } else {
                    "Deutsche Rentenversicherung Bund".into()
                },
            };
        }
        // Skewed towards the lower incomes: the product of two uniform numbers.
        let spread = rng.below(1000) * rng.below(1000);
        let cents = 1_650_000 + spread * 8_500_000 / 1_000_000 + rng.below(100);
        let family = rng.pick(names::FAMILY);
        let payer = match rng.below(9) {
            0 => format!("{family} Logistik GmbH, {home}"),
            1 => format!("Stadtwerke {home}"),
            2 => format!("Klinikum {home}"),
            3 => format!("{family} Elektrotechnik GmbH & Co. KG, {home}"),
            4 => format!("Bäckerei {family}, {home}"),
            5 => format!(
                "{family} & {} Steuerberatung, {home}",
                rng.pick(names::FAMILY)
            ),
            6 => format!("Sparkasse {home}"),
            7 => format!("{family} IT-Systeme GmbH, {home}"),
            _ => format!("Stadt {home}"),
        };
        Income {
            person: usize::MAX,
            gross_income_cents: cents,
            pension: false,
            payer,
        }
    }

    fn house_number(&mut self) -> String {
        let rng = &mut self.rng;
        let highest = if rng.chance(70) { 60 } else { 180 };
        let number = 1 + rng.below(highest);
        match rng.below(10) {
            0 => format!("{number}a"),
            1 => format!("{number}b"),
            _ => number.to_string(),
        }
    }
}

impl Population {
    /// Adds a person with their register entries; returns the person's index.
    pub fn add(
        &mut self,
        person: Person,
        resident: Option<Resident>,
        income: Option<Income>,
    ) -> usize {
        let index = self.people.len();
        self.people.push(person);
        if let Some(resident) = resident {
            self.residents.push(Resident {
                person: index,
                ..resident
            });
        }
        if let Some(income) = income {
            self.incomes.push(Income {
                person: index,
                ..income
            });
        }
        index
    }

    /// In how many municipalities the people live.
    pub fn municipalities(&self) -> usize {
        let places: HashSet<&str> = self.people.iter().map(|p| p.ags.as_str()).collect();
        places.len()
    }
}

/// `n` residents of `town`, the same for the same seed: a population register for benchmarks
/// and load tests. Places of birth in Germany are the town.
pub fn residents(seed: u64, n: usize, town: &Town<'_>) -> Population {
    let mut generator = Generator::new(seed, Weighted::default());
    let mut population = Population::default();
    for _ in 0..n {
        let age = generator.age();
        let (person, resident) = generator.resident(age, town);
        population.add(person, Some(resident), None);
    }
    population
}

/// "Bremen, Stadt" → "Bremen"; "Halle (Saale), Stadt" → "Halle (Saale)".
pub fn place_name(official: &str) -> String {
    official
        .split_once(',')
        .map_or(official, |(name, _)| name)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residents_are_valid_distinct_and_the_same_for_the_same_seed() {
        let population = residents(7, 2000, &BREMEN);
        assert_eq!(population.people.len(), 2000);
        assert_eq!(population.residents.len(), 2000);
        let ids: HashSet<&str> = population
            .people
            .iter()
            .map(|p| p.tax_id.as_str())
            .collect();
        assert_eq!(ids.len(), 2000, "identification numbers are distinct");
        for (i, (p, r)) in population
            .people
            .iter()
            .zip(&population.residents)
            .enumerate()
        {
            assert_eq!(r.person, i);
            p.tax_id
                .parse::<TaxId>()
                .expect("a valid identification number");
            assert!(
                p.date_of_birth <= REFERENCE && p.date_of_birth.year() > REFERENCE.year() - 100
            );
            assert!(r.moved_in >= p.date_of_birth && r.moved_in <= REFERENCE);
            assert!(BREMEN.postcodes.contains(&r.postcode));
            assert_eq!(
                (p.municipality.as_str(), p.ags.as_str()),
                ("Bremen", "04011000")
            );
            assert!(!p.family_name.is_empty() && !p.given_name.is_empty());
        }
        assert_eq!(residents(7, 2000, &BREMEN), population);
        assert_ne!(residents(8, 10, &BREMEN).people, population.people[..10]);
        assert_eq!(population.municipalities(), 1);
    }

    #[test]
    fn incomes_are_plausible() {
        let mut generator = Generator::new(1, Weighted::default());
        let pension = generator.income(70, "Bremen");
        assert!(pension.pension);
        assert_eq!(
            pension.payer,
            "Deutsche Rentenversicherung Oldenburg-Bremen"
        );
        for _ in 0..1000 {
            let income = generator.income(40, "Köln");
            assert!(!income.pension);
            assert!((1_650_000..=10_150_100).contains(&income.gross_income_cents));
            assert!(income.payer.contains("Köln"), "{}", income.payer);
        }
    }

    #[test]
    fn places_are_drawn_by_population() {
        let places = [
            Place {
                key: "1",
                name: "Klein, Gemeinde",
                population: 1,
            },
            Place {
                key: "2",
                name: "Groß, Stadt",
                population: 99,
            },
        ];
        let weighted = Weighted::new(places);
        let mut rng = Rng::new(3);
        let big = (0..1000)
            .filter(|_| weighted.pick(&mut rng).map(|p| p.key) == Some("2"))
            .count();
        assert!(big > 950, "{big}");
        assert!(Weighted::default().pick(&mut rng).is_none());
        assert_eq!(place_name("Halle (Saale), Stadt"), "Halle (Saale)");
    }
}
