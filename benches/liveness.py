#!/usr/bin/env python3
"""Cost of liveness checking against the safety run of the same spec.

Spec: benches/specs/2pc_termination.ron (TLA+ TwoPhase, specs/2pc.ron, plus
`Termination: forall r in RM: eventually (r decided)` under weak fairness
of every action instance). For each N (default 7 8) and each of --runs K
rounds it runs, alternating so that machine noise hits both alike:

    safety:   dcheck run SPEC --const N=n --property TCConsistent
    liveness: dcheck run SPEC --const N=n            (TCConsistent, deadlock, Termination)

each with the strategies/threads of CONFIGS. Wall time is taken around the
child; peak RSS from GNU /usr/bin/time's %M (KiB) when installed (else
0). From the JSON report: distinct states, the engine's
accounted bytes (`bytes_per_state`), `graph_bytes`, `liveness_seconds`.
Both runs must report the same distinct-state count and exit 0, or the
script stops with exit code 1. Prints a markdown table of medians and
liveness / safety ratios. Standard library only; builds nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "benches" / "specs" / "2pc_termination.ron"
CONFIGS = [("bfs", 1), ("bfs", 2), ("dfs", 2)]


def binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    b = target / "release" / "dcheck"
    if not b.exists():
        sys.exit(f"missing {b}: run `cargo build --release` first")
    return b


def run_once(cmd: list[str]) -> tuple[float, int, dict]:
    """Wall seconds, peak RSS KiB (0 without GNU time), parsed JSON report."""
    gnu_time = Path("/usr/bin/time").exists()
    with tempfile.NamedTemporaryFile("r") as tf:
        full = (["/usr/bin/time", "-f", "%M", "-o", tf.name] if gnu_time else []) + cmd
        t0 = time.monotonic()
        proc = subprocess.run(full, capture_output=True, text=True)
        wall = time.monotonic() - t0
        rss = int(tf.read().strip().splitlines()[-1]) if gnu_time else 0
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"no JSON from {' '.join(cmd)}:\n{proc.stderr}")
    if proc.returncode != 0 or report.get("result") != "ok":
        sys.exit(f"{' '.join(cmd)}: exit {proc.returncode}, {report.get('result')}\n{proc.stderr}")
    return wall, rss, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[7, 8])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    dcheck = str(binary())
    rows = []
    for n in args.n:
        for strategy, threads in CONFIGS:
            base = [dcheck, "run", str(SPEC), "--const", f"N={n}", "--format", "json",
                    "--strategy", strategy, "--threads", str(threads)]
            kinds = {"safety": base + ["--property", "TCConsistent"], "liveness": base}
            res: dict[str, list[tuple[float, int, dict]]] = {k: [] for k in kinds}
            for _ in range(args.runs):
                for kind, cmd in kinds.items():
                    res[kind].append(run_once(cmd))
            distinct = {r[2]["distinct_states"] for rs in res.values() for r in rs}
            if len(distinct) != 1:
                print(f"MISMATCH N={n} {strategy} {threads}: {distinct}", file=sys.stderr)
                return 1
            d = distinct.pop()
            med = {
                k: (
                    statistics.median(r[0] for r in rs),
                    statistics.median(r[1] for r in rs),
                    statistics.median(r[2]["bytes_per_state"] for r in rs),
                    statistics.median(r[2].get("liveness_seconds", 0.0) for r in rs),
                    statistics.median(r[2].get("graph_bytes", 0) for r in rs) / d,
                    rs[0][2].get("graph_edges", 0),
                )
                for k, rs in res.items()
            }
            rows.append((n, strategy, threads, d, med))
            s, l = med["safety"], med["liveness"]
            print(f"N={n} {strategy} {threads}t: safety {s[0]:.3f}s {s[1]} KiB, "
                  f"liveness {l[0]:.3f}s {l[1]} KiB (graph {l[4]:.1f} B/state, "
                  f"{l[5]} edges, liveness part {l[3]:.3f}s)", file=sys.stderr)
    print("| N | config | distinct | safety wall s | liveness wall s | time ratio "
          "| safety RSS MiB | liveness RSS MiB | RSS ratio | graph B/state | edges |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, strategy, threads, d, med in rows:
        s, l = med["safety"], med["liveness"]
        print(f"| {n} | {strategy.upper()} {threads}t | {d:,} | {s[0]:.3f} | {l[0]:.3f} | "
              f"{l[0] / s[0]:.2f}x | {s[1] / 1024:.1f} | {l[1] / 1024:.1f} | "
              f"{l[1] / s[1]:.2f}x | {l[4]:.1f} | {l[5]:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
