#!/bin/sh
# Seeds the fuzz corpora with every spec and test fixture of the
# repository (run from the repository root): the mutations then start from
# real specs instead of random bytes. See docs/fuzzing.md.
# tests/fixtures/robust/slow_compile.ron is left out: it is meant to take
# seconds (4 * 10^9 evaluations of a constant), which libFuzzer's timeout
# would report as a hang.
set -e
for target in load_check explore; do
    mkdir -p "fuzz/corpus/$target"
    find specs tests/fixtures -name '*.ron' ! -name slow_compile.ron | while read -r f; do
        cp "$f" "fuzz/corpus/$target/$(echo "$f" | tr '/' '_')"
    done
done
