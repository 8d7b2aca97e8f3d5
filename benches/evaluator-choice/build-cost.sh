#!/bin/sh
# What the Cranelift back end adds to a build: clean builds of this
# package's library with and without the `jit` feature (closures and
# bytecode only, no dependency at all), in the release profile and in
# dcheck's dev profile (dependencies at opt-level 3: what `cargo test` and
# CI build), one job, niced. Prints seconds and the number of crates.
set -eu
cd "$(dirname "$0")"
T=${BUILD_COST_TARGET:-/tmp/evaluator-choice-build-cost}
for features in "--no-default-features" ""; do
  for profile in release dev; do
    rm -rf "$T"
    flag=""
    [ "$profile" = release ] && flag="--release"
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$T" nice -n 19 cargo build --lib $flag $features -j 1 -q
    end=$(date +%s.%N)
    crates=$(cargo tree -e normal,build --prefix none $features | sed 's/ (\*)//' | sort -u | wc -l)
    echo "features=${features:-default(jit)} profile=$profile seconds=$(echo "$end - $start" | bc) crates=$crates load=$(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
rm -rf "$T"
