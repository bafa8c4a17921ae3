//! What the load benchmark and the storage micro-benchmarks share: a population register of
//! synthetic residents of Bremen (distinct valid identification numbers, common German names,
//! dates of birth, addresses) from [`once_population`], the same for the same count.
#![forbid(unsafe_code)]

use std::path::Path;

pub use once_population::{Person, Population};

/// The seed of the benchmarks' population.
const SEED: u64 = 0x6c6f_6164_2d74_6573;

/// `n` residents of Bremen, the same for the same `n`.
pub fn population(n: usize) -> Population {
    once_population::residents(SEED, n, &once_population::BREMEN)
}

/// Writes the population register's import file.
pub fn write_csv(population: &Population, file: &Path) -> anyhow::Result<()> {
    std::fs::write(file, population.residents_csv()?)?;
    Ok(())
}
