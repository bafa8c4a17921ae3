#!/usr/bin/env bash
# The end-to-end load benchmark in one command: builds the `once` program and the load generator
# (release) and runs the generator with the arguments given (see `--help` and BENCHMARKS.md).
#   bash benches/load.sh                  # full run: 1,000,000 persons, SQLite and PostgreSQL
#   bash benches/load.sh --smoke          # quick run (CI)
#   bash benches/load.sh --soak 600 --rate 200
#   bash benches/load.sh --overload --rate 1000 --seconds 20
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p once-node --bin once -p once-benches --bin load
exec target/release/load "$@"
