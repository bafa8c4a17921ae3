#!/usr/bin/env bash
# The benchmarks in one command: builds the `once` program and the load generator (release) and
# runs the generator with the arguments given (see `--help` and BENCHMARKS.md). With `--all`
# first, the criterion micro-benchmarks run before the load benchmark, so every figure of
# BENCHMARKS.md comes from one command.
#   bash benches/load.sh --all            # micro-benchmarks, then the full load run
#   bash benches/load.sh                  # full load run: 1,000,000 persons, SQLite and PostgreSQL
#   bash benches/load.sh --smoke          # quick run (CI)
#   bash benches/load.sh --soak 600 --rate 180
#   bash benches/load.sh --overload --rate 800 --seconds 15
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--all" ]; then
  shift
  cargo bench --locked -p once-benches
fi
cargo build --release --locked -p once-cli --bin once -p once-benches --bin load
exec target/release/load "$@"
