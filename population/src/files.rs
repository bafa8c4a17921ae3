//! A population's registers as import files (`once register import`): CSV with the columns of
//! the residence and the income certificate.

use time::Date;

use crate::{Income, Person, Population, Resident};

/// The population register's columns (residence certificate).
const RESIDENT_COLUMNS: [&str; 14] = [
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

/// The income register's columns (income certificate).
const INCOME_COLUMNS: [&str; 8] = [
    "tax_id",
    "family_name",
    "given_name",
    "date_of_birth",
    "tax_year",
    "gross_income",
    "income_kind",
    "payer",
];

impl Population {
    /// The population register's import file: one line per [`Resident`].
    pub fn residents_csv(&self) -> Result<Vec<u8>, csv::Error> {
        residents_csv(&self.people, &self.residents)
    }

    /// The income register's import file for `tax_year`: one line per [`Income`].
    pub fn incomes_csv(&self, tax_year: i32) -> Result<Vec<u8>, csv::Error> {
        incomes_csv(&self.people, &self.incomes, tax_year)
    }
}

/// A population register's import file: one line per entry of `residents` (whose `person` are
/// indices into `people`).
pub fn residents_csv(people: &[Person], residents: &[Resident]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(RESIDENT_COLUMNS)?;
    for r in residents {
        let p = &people[r.person];
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
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// An income register's import file for `tax_year`: one line per entry of `incomes` (whose
/// `person` are indices into `people`).
pub fn incomes_csv(
    people: &[Person],
    incomes: &[Income],
    tax_year: i32,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(INCOME_COLUMNS)?;
    let year = tax_year.to_string();
    for income in incomes {
        let p = &people[income.person];
        out.write_record([
            p.tax_id.as_str(),
            &p.family_name,
            &p.given_name,
            &iso_date(p.date_of_birth),
            &year,
            &format!(
                "{}.{:02}",
                income.gross_income_cents / 100,
                income.gross_income_cents % 100
            ),
            if income.pension {
                "pension"
            } else {
                "employment"
            },
            &income.payer,
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// `YYYY-MM-DD`, as the import files have dates.
pub fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use crate::{BREMEN, Generator, Population, Weighted, residents};

    #[test]
    fn the_files_have_a_header_and_a_line_per_entry() {
        let population = residents(5, 50, &BREMEN);
        let text = String::from_utf8(population.residents_csv().expect("csv")).expect("utf-8");
        let mut lines = text.lines();
        assert!(
            lines.next().is_some_and(
                |h| h.starts_with("tax_id,family_name,given_name,date_of_birth,street")
            )
        );
        assert_eq!(lines.count(), 50);
        let first = &population.people[0];
        assert!(text.contains(&format!("{},", first.tax_id)));

        let mut generator = Generator::new(5, Weighted::default());
        let mut population = Population::default();
        let person = generator.person(40, "Bremen", "04011000", true);
        let income = Some(generator.income(40, "Bremen"));
        population.add(person, None, income);
        let text = String::from_utf8(population.incomes_csv(2024).expect("csv")).expect("utf-8");
        let line = text.lines().nth(1).expect("one income");
        assert!(
            line.contains(",2024,") && line.contains(",employment,"),
            "{line}"
        );
    }
}
