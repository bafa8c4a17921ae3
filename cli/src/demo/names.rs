//! The lists the synthetic citizens are drawn from are `once_population::names`, shared with
//! the benchmarks and tests. This module is empty until `demo/mod.rs` drops `mod names;`.
