#!/usr/bin/env bash
# TwoPhase with symmetric RMs: dcheck (specs/2pc.ron)
# against Rumur (twophase.m, scalarset RM), side by side with farm-bench.
# Usage: benches/rumur/run.sh N [runs] [timeout-seconds]   (from the repository root,
# after `cargo build --release` and `apt-get install rumur`)
set -euo pipefail
N=${1:?usage: run.sh N [runs] [timeout]}
RUNS=${2:-5}
TIMEOUT=${3:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rumur-twophase.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
sed "s/^const N: 3;/const N: $N;/" "$HERE/twophase.m" > "$WORK/twophase.m"
# Rumur's defaults but no deadlock check (TwoPhase's end states stutter:
# every rule left is a self-loop, which Rumur's default calls a deadlock;
# the dcheck spec declares them terminal). Compiled once, outside the timing.
rumur --deadlock-detection off --symmetry-reduction heuristic \
    --output "$WORK/twophase.c" "$WORK/twophase.m"
cc -O3 -march=native -o "$WORK/twophase" "$WORK/twophase.c" -lpthread
echo "Rumur: $("$WORK/twophase" 2>&1 | grep -E 'states,' | tr -d '\t')"
echo "dcheck: $(./target/release/dcheck run specs/2pc.ron --const N=$N --threads 2 --quiet)"
farm-bench -n "$RUNS" --warmup 0 --timeout "$TIMEOUT" \
    --vs "$WORK/twophase" \
    -- ./target/release/dcheck run specs/2pc.ron --const "N=$N" --threads 2 --quiet
