#!/usr/bin/env python3
"""A/B of two dcheck binaries on the same runs, side by side.

For each run (a spec and flags; default: the message-passing specs and
benches/specs/wide_handler.ron) and each of --runs K rounds it runs binary A
then binary B (alternating, so machine noise hits both alike):

    BIN run SPEC FLAGS --format json --threads T

and records wall time around the child. Both binaries must report the same
result, distinct states and states generated, or the script stops with
exit code 1 (an optimisation must not change the search). Prints a markdown
table of medians and the ratio A / B. Standard library only.

Usage (from the repository root):

    python3 benches/ab.py --a OLD/dcheck --b target/release/dcheck --runs 5
    python3 benches/ab.py --a OLD --b NEW --run "specs/pbft.ron" --run "specs/raft.ron --const N=3"
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from pathlib import Path

import protocols  # the sibling script: one runner for both
from protocols import key

DEFAULT_RUNS = [
    "benches/specs/wide_handler.ron --const K=4",
    "specs/2pc_msgs.ron --const N=5",
    "specs/chandy_lamport.ron",
    "specs/maekawa.ron",
    "specs/pbft.ron",
]


def run(binary: str, args: list[str], threads: int) -> tuple[float, dict]:
    """(wall seconds, JSON report) of one run (protocols.py's runner)."""
    wall, _, report = protocols.run(Path(binary), args, threads)
    return wall, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="binary A (e.g. the previous build)")
    ap.add_argument("--b", required=True, help="binary B (e.g. this build)")
    ap.add_argument("--run", action="append", help="SPEC [FLAGS] (repeatable)")
    ap.add_argument("--runs", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--threads", type=int, default=2)
    o = ap.parse_args()
    print(f"| run | distinct | A wall s | B wall s | A / B |")
    print(f"|---|---:|---:|---:|---:|")
    for spec in o.run or DEFAULT_RUNS:
        args = shlex.split(spec)
        walls: dict[str, list[float]] = {"a": [], "b": []}
        seen = None
        for _ in range(o.runs):
            for which in ("a", "b"):
                wall, report = run(getattr(o, which), args, o.threads)
                walls[which].append(wall)
                if seen is None:
                    seen = key(report)
                elif key(report) != seen:
                    print(f"{spec}: {which} reports {key(report)}, expected {seen}", file=sys.stderr)
                    return 1
        a, b = statistics.median(walls["a"]), statistics.median(walls["b"])
        print(f"| `{spec}` | {seen[1]:,} | {a:.3f} | {b:.3f} | {a / b:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
