#!/bin/sh
# Runs one fuzz target on one core: `fuzz/run.sh TARGET [SECONDS]` (default 600).
#
# New inputs go to target/corpus-work/TARGET (ignored by git); the committed seeds in
# corpus/TARGET are only read. libFuzzer's log is target/logs/TARGET/fuzz-0.log; crashes,
# timeouts and OOMs land in artifacts/TARGET/. The dictionaries in dict/ give the mutator the
# syntax and names the parsers look for. SANITIZER=none builds without AddressSanitizer.
# The machine has stable Rust only: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
set -eu
target=$1
seconds=${2:-600}
fuzz=$(cd "$(dirname "$0")" && pwd)
features=""
if [ "$target" = import ]; then
    features="--features import"
fi
case "$target" in
    request | response | descriptor | c14n) dict="-dict=$fuzz/dict/xml.dict" ;;
    multipart | import | as4) dict="-dict=$fuzz/dict/$target.dict" ;;
    *) dict="" ;;
esac
mkdir -p "$fuzz/target/corpus-work/$target" "$fuzz/target/logs/$target"
cd "$fuzz/target/logs/$target"
rm -f fuzz-0.log
status=0
RUSTC_BOOTSTRAP=1 CARGO_BUILD_JOBS=1 nice -n 10 \
    cargo fuzz run --fuzz-dir "$fuzz" --sanitizer "${SANITIZER:-address}" $features "$target" \
    "$fuzz/target/corpus-work/$target" "$fuzz/corpus/$target" -- \
    -jobs=1 -workers=1 -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds" \
    -print_final_stats=1 $dict || status=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done|stat::number_of_executed_units|^==[0-9]+==|SUMMARY' fuzz-0.log || true
exit $status
