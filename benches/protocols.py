#!/usr/bin/env python3
"""Every shipped protocol at a bench configuration, this build against a base
commit, side by side.

Builds REV (default b83daac, the commit issue 15 measured) in a git worktree
with its own target directory, builds this checkout (or takes --new BIN),
then for each bench run, each thread count and each of --runs rounds runs
the base binary and the new one alternately (machine noise hits both alike):

    BIN run SPEC FLAGS --format json --threads T

Wall time is taken around the child, peak RSS from wait4(2). Both builds
must report the same result, distinct states and states generated, or the
script stops with exit code 1 (a speed-up must not change the search).
Prints a markdown table of medians: wall time, successors/s ("states
generated" per second), distinct/s, peak RSS per distinct state, the
1 -> 2 thread speed-up of each build and the ratio new/base of successors/s.
Standard library only.

Usage (from the repository root):

    python3 benches/protocols.py --base b83daac            # all runs, 3 rounds
    python3 benches/protocols.py --base b83daac --only pbft --only raft
    python3 benches/protocols.py --base HEAD~1 --new target/release/dcheck
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# (name, spec and flags). At least 1 M distinct states where a run of the
# base build stays within about a minute; the counts are in the output.
RUNS = [
    ("2pc", "specs/2pc.ron --const N=9"),  # 10,340,352 states
    ("raft", "specs/raft.ron"),  # 2,178,523, with ElectionLiveness
    ("pbft", "specs/pbft.ron"),  # 252,768 (C=3 has 2.17 M: ~3 min a run at b83daac)
    ("paxos", "specs/paxos.ron --const MaxBallot=3"),  # 5,484,241, with liveness
    ("chandy_lamport", "specs/chandy_lamport.ron --const T=3"),  # 1,402,228
    ("maekawa", "specs/maekawa.ron --const R=2"),  # 1,894,823
    ("byzantine_agreement", "specs/examples/byzantine_agreement.ron"),  # 1,581,056
]


def base_worktree(rev: str) -> Path:
    """Where `rev`'s worktree is (or goes)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(tempfile.gettempdir()) / f"dcheck-base-{sha}"


def build_base(rev: str) -> Path:
    """The release binary of `rev`, built in a worktree (reused if there)."""
    tree = base_worktree(rev)
    target = Path(f"{tree}-target")
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=REPO, check=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=tree, env=env, check=True)
    return target / "release" / "dcheck"


def build_new() -> Path:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "dcheck"


def unreduced(binary: Path) -> list[str]:
    """`--symmetry off` for a build that has it: the shipped specs declare a
    symmetry since 9e282c1, and the base build explores every state."""
    help_text = subprocess.run(
        [str(binary), "run", "--help"], capture_output=True, text=True
    ).stdout
    return ["--symmetry", "off"] if "--symmetry" in help_text else []


def run(binary: Path, args: list[str], threads: int, cwd: Path) -> tuple[float, int, dict]:
    """(wall seconds, peak RSS bytes, JSON report) of one run, in `cwd`: each
    build reads the specs of its own tree (the spec language grew fields the
    base cannot read; the counts check below catches a model that differs)."""
    cmd = [str(binary), "run", *args, *unreduced(binary), "--format", "json", "--threads", str(threads)]
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    try:
        report = json.loads(text)
    except json.JSONDecodeError:
        sys.exit(f"no JSON report from {shlex.join(cmd)} (exit {p.returncode})")
    return wall, usage.ru_maxrss * 1024, report


def key(report: dict) -> tuple:
    return (report["result"], report["distinct_states"], report["states_generated"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="b83daac", help="base commit (default b83daac)")
    ap.add_argument("--new", help="new binary (default: build this checkout)")
    ap.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    ap.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("--only", action="append", help="run name (repeatable)")
    o = ap.parse_args()
    base = build_base(o.base)
    base_tree = base_worktree(o.base)
    new = Path(o.new) if o.new else build_new()
    threads = [int(t) for t in o.threads.split(",")]
    print(f"base {o.base}: {base}\nnew: {new}\nrounds: {o.runs}\n")
    print(
        "| run | distinct | generated | threads | base s | new s "
        "| base succ/s | new succ/s | new distinct/s | base RSS B/state | new RSS B/state | new/base |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    speedups = []
    for name, spec in RUNS:
        if o.only and name not in o.only:
            continue
        args = shlex.split(spec)
        seen = None
        med: dict[tuple[str, int], tuple[float, float]] = {}
        for t in threads:
            walls: dict[str, list[float]] = {"base": [], "new": []}
            rss: dict[str, list[int]] = {"base": [], "new": []}
            for _ in range(o.runs):
                for which, binary, cwd in (("base", base, base_tree), ("new", new, REPO)):
                    wall, peak, report = run(binary, args, t, cwd)
                    walls[which].append(wall)
                    rss[which].append(peak)
                    if seen is None:
                        seen = key(report)
                    elif key(report) != seen:
                        print(f"{spec}: {which} reports {key(report)}, expected {seen}", file=sys.stderr)
                        return 1
            for which in ("base", "new"):
                med[(which, t)] = (statistics.median(walls[which]), statistics.median(rss[which]))
            (bw, br), (nw, nr) = med[("base", t)], med[("new", t)]
            _, distinct, generated = seen
            print(
                f"| {name} `{spec}` | {distinct:,} | {generated:,} | {t} | {bw:.2f} | {nw:.2f} "
                f"| {generated / bw / 1e6:.2f} M | {generated / nw / 1e6:.2f} M | {distinct / nw / 1e6:.2f} M "
                f"| {br / distinct:.0f} | {nr / distinct:.0f} | {bw / nw:.2f}x |",
                flush=True,
            )
        if 1 in threads and 2 in threads:
            speedups.append(
                (name, med[("base", 1)][0] / med[("base", 2)][0], med[("new", 1)][0] / med[("new", 2)][0])
            )
    if speedups:
        print("\n| run | base 1 -> 2 threads | new 1 -> 2 threads |\n|---|---:|---:|")
        for name, b, n in speedups:
            print(f"| {name} | {b:.2f}x | {n:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
