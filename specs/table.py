#!/usr/bin/env python3
"""Regenerates the table of specs in specs/README.md from real runs.

Runs `dcheck run SPEC [FLAGS] --format json --threads 2` for every `.ron`
file under specs/ (the protocol specs, examples/ and bugs/) and for the
extra runs listed in EXTRA (a spec with different flags), and writes one
row per run between the `<!-- table:begin -->` and `<!-- table:end -->`
markers of specs/README.md: the spec and flags, the constants, distinct
states, states generated, the orbits of a spec that declares a symmetry,
the verdict (with the violated property and the trace length, or the
lasso's prefix and cycle), and the search time the checker reports.
Nothing in the table is typed by hand.

Distinct and generated states are those of the unreduced spec (a run that
the symmetry reduced is run again with `--symmetry off`, stopped past
UNREDUCED_MAX states); orbits are the distinct states of the reduced run
(of the invariants alone, `--invariants-only`, when the spec has temporal
properties, which are checked on every state), with the reduction factor
when both runs are complete. The verdict and the time are the default
run's.

Usage (from the repository root, after `cargo build --release`):

    python3 specs/table.py            # rewrite specs/README.md
    python3 specs/table.py --print    # print the table only

Exit code 1 if a run fails to produce a report (spec error, crash).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "specs" / "README.md"
BEGIN, END = "<!-- table:begin -->", "<!-- table:end -->"

# Runs of a spec with flags other than its defaults that the docs refer to.
EXTRA: list[tuple[str, list[str]]] = [
    ("specs/2pc_msgs.ron", ["--faults", "crash=1"]),
    ("specs/chandy_lamport.ron", ["--network", "unordered"]),
    ("specs/raft.ron", ["--fairness", "none"]),
    ("specs/2pc.ron", ["--const", "N=9"]),
    ("specs/2pc.ron", ["--const", "N=12"]),
    ("specs/paxos.ron", ["--invariants-only", "--const", "A=5"]),
]

# The unreduced rerun of a reduced row stops here (TwoPhase N=12 has about
# 2 x 10^9 states).
UNREDUCED_MAX = 20_000_000


def binary() -> str:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    b = target / "release" / "dcheck"
    if not b.exists():
        sys.exit(f"missing {b}: run `cargo build --release` first")
    return str(b)


def runs() -> list[tuple[str, list[str]]]:
    specs = sorted(
        p.relative_to(REPO).as_posix()
        for p in (REPO / "specs").rglob("*.ron")
    )
    # Protocol specs first, then examples, then bug variants.
    order = lambda s: (s.count("/"), "bugs/" in s, s)  # noqa: E731
    out = [(s, []) for s in sorted(specs, key=order)]
    out += [(s, f) for s, f in EXTRA if (REPO / s).exists()]
    return out


def verdict(j: dict) -> str:
    if j["result"] == "ok":
        return "ok"
    if j["result"] == "incomplete":
        return f"incomplete ({j.get('incomplete_reason')})"
    v = j["violation"]
    steps = len(v["trace"]) - 1
    what = v["kind"] if v["kind"] == v["property"] else f"{v['kind']} `{v['property']}`"
    if v["kind"] == "liveness":
        ls = v["loop_start"]
        cycle = steps - ls
        tail = "stutters" if cycle == 0 else f"{cycle}-step cycle"
        return f"violated: {what}, lasso: {ls}-step prefix, {tail}"
    return f"violated: {what}, {steps} steps"


def report(dcheck: str, spec: str, flags: list[str]) -> dict:
    cmd = [dcheck, "run", spec, *flags, "--format", "json", "--threads", "2"]
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        print(f"{' '.join(cmd)}: no report (exit {p.returncode})\n{p.stderr}", file=sys.stderr)
        raise SystemExit(1)


def count(j: dict) -> str:
    n = f"{j['distinct_states']:,}"
    return n if j["result"] != "incomplete" else f"> {n} (stopped)"


def row(dcheck: str, spec: str, flags: list[str]) -> str:
    j = report(dcheck, spec, flags)
    full, reduced = j, None
    if j["symmetry"]:
        reduced = j
        full = report(dcheck, spec, [*flags, "--symmetry", "off", "--max-states", str(UNREDUCED_MAX)])
    elif j.get("symmetry_not_applied"):
        reduced = report(dcheck, spec, [*flags, "--invariants-only"])
    orbits = ""
    if reduced is not None:
        orbits = f"{reduced['distinct_states']:,}"
        if full["result"] == "ok" and reduced["result"] == "ok":
            orbits += f" ({full['distinct_states'] / reduced['distinct_states']:.1f}x)"
    consts = ", ".join(f"{k}={v}" for k, v in j["constants"].items()) or "-"
    name = f"`{spec}`" + (f" `{' '.join(flags)}`" if flags else "")
    generated = f"{full['states_generated']:,}"
    if full["result"] == "incomplete":
        generated = f"> {generated}"
    return (
        f"| {name} | {consts} | {count(full)} | {generated} | {orbits} "
        f"| {verdict(j)} | {j['elapsed_seconds']:.2f} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--print", action="store_true", help="print the table only")
    args = ap.parse_args()
    dcheck = binary()
    lines = [
        "| spec | constants | distinct states | states generated | orbits | verdict | time s |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    lines += [row(dcheck, s, f) for s, f in runs()]
    table = "\n".join(lines)
    if args.print:
        print(table)
        return 0
    text = README.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"{README} lacks the {BEGIN} / {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
    print(f"wrote {len(lines) - 2} rows to {README.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
