#!/usr/bin/env python3
"""Side-by-side TwoPhase benchmark: dcheck against Stateright.

For each N (default 7 8 9) and each of --runs K rounds, runs these pairs,
alternating dcheck and Stateright (A B A B ...) so that machine noise hits
both sides alike:

    dcheck BFS 1 thread   /  Stateright BFS 1 thread
    dcheck BFS 2 threads  /  Stateright BFS 2 threads
    dcheck DFS 2 threads  /  Stateright DFS 2 threads

Each child's wall time is taken here (monotonic clock around spawn and
reap).  Peak RSS comes from GNU /usr/bin/time's %M when that is installed,
else from os.wait4's rusage (ru_maxrss, KiB).  Note that Linux carries the
parent's peak RSS across fork+exec into ru_maxrss, so a child reaped
directly by this Python process never reports less than Python's own
footprint (~14 MiB): the wait4 fallback prints that floor and is only
meaningful for runs well above it.  /usr/bin/time forks the child from a
~2 MiB process, so its figure is the child's own (floor ~3 MiB).
The distinct-state counts of every configuration must agree for each N;
otherwise MISMATCH is printed and the exit code is 3.  A markdown table of
medians and ratios to the matching Stateright configuration is printed at
the end.  Standard library only; builds nothing (prints the build commands
when a binary is missing).

Exit codes: 0 all good, 1 a run failed / timed out / reported a violation,
2 usage or missing binary, 3 distinct-state MISMATCH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEER_DIR = REPO / "benches" / "stateright-peer"

# (strategy, threads) for each pair, in the order they are run.
CONFIGS = [("bfs", 1), ("bfs", 2), ("dfs", 2)]
TOOLS = ["dcheck", "stateright"]


@dataclass
class Run:
    """One child process run and what it reported."""

    tool: str
    n: int
    strategy: str
    threads: int
    wall: float = 0.0
    maxrss_kib: int = 0
    exit_code: int | None = None
    timed_out: bool = False
    report: dict = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def label(self) -> str:
        name = "dcheck" if self.tool == "dcheck" else "Stateright"
        return f"{name} {self.strategy.upper()} {self.threads}t"


def candidates(env_rel: str, repo_path: Path) -> list[Path]:
    out = [repo_path]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        out.append(Path(target) / env_rel)
    return out


def resolve_binary(given: str | None, cands: list[Path]) -> Path | None:
    if given:
        p = Path(given)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    for p in cands:
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


def command(tool: str, binary: Path, spec: Path, n: int, strategy: str, threads: int) -> list[str]:
    if tool == "dcheck":
        return [
            str(binary), "run", str(spec), "--const", f"N={n}",
            "--threads", str(threads), "--strategy", strategy, "--format", "json",
            # The peers explore every state: so does dcheck here.
            "--symmetry", "off",
        ]
    return [str(binary), str(n), "--threads", str(threads), "--strategy", strategy]


GNU_TIME = "/usr/bin/time"


def gnu_time_usable() -> bool:
    """True when /usr/bin/time is GNU time (supports -f %M -o FILE)."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    with tempfile.NamedTemporaryFile("r") as f:
        try:
            subprocess.run([GNU_TIME, "-f", "%M", "-o", f.name, "true"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
            return f.read().strip().isdigit()
        except (OSError, subprocess.SubprocessError):
            return False


def wait4_floor() -> int:
    """ru_maxrss (KiB) that wait4 reports here for a trivial child."""
    proc = subprocess.Popen(["true"])
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return rusage.ru_maxrss


def run_one(run: Run, cmd: list[str], timeout: float, use_time: bool) -> Run:
    """Spawns cmd, reaps it with os.wait4 and fills wall, RSS and report."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss_file:
        if use_time:
            cmd = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO,
                                start_new_session=True)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the checker too, not just time
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        run.wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        run.exit_code = proc.returncode
        run.maxrss_kib = rusage.ru_maxrss
        if use_time:
            lines = rss_file.read().split()
            if lines and lines[-1].isdigit():
                run.maxrss_kib = int(lines[-1])
        run.timed_out = fired.is_set()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")

    if run.timed_out:
        run.error = f"TIMEOUT after {timeout:g} s"
        return run
    run.report = parse_report(stdout)
    if not run.report:
        tail = (stderr.strip().splitlines() or ["<no stderr>"])[-1]
        run.error = f"exit {run.exit_code}, no JSON on stdout ({tail})"
    elif run.exit_code != 0 or run.report.get("result", "ok") != "ok":
        run.error = f"exit {run.exit_code}, result {run.report.get('result')!r}"
    elif not isinstance(run.report.get("distinct_states"), int):
        run.error = "JSON lacks an integer distinct_states"
    return run


def parse_report(stdout: str) -> dict:
    """The JSON object on stdout: the whole of it (possibly pretty-printed),
    else the last line that is a JSON object."""
    try:
        obj = json.loads(stdout)
        if isinstance(obj, dict):
            return obj
    except json.JSONDecodeError:
        pass
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                return obj
    return {}


def fmt_int(x: float | int | None) -> str:
    return "-" if x is None else f"{int(round(x)):,}"


def fmt_f(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def median_or_none(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def summarize(runs: list[Run]) -> dict:
    good = [r for r in runs if r.ok]
    distinct = sorted({r.report["distinct_states"] for r in good})
    generated = sorted({r.report.get("states_generated") for r in good} - {None})
    wall = median_or_none([r.wall for r in good])
    rss = median_or_none([r.maxrss_kib for r in good])
    d = distinct[0] if len(distinct) == 1 else None
    return {
        "distinct": d,
        "generated": generated[0] if len(generated) == 1 else None,
        "wall": wall,
        "rate": median_or_none([r.report["distinct_states"] / r.wall for r in good if r.wall > 0]),
        "rss_mib": None if rss is None else rss / 1024,
        "bytes_per_state": None if rss is None or not d else rss * 1024 / d,
        "good": len(good),
        "total": len(runs),
        "errors": sorted({r.error for r in runs if r.error}),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=None, help="values of N (default 7 8 9)")
    ap.add_argument("--runs", type=int, default=None, help="rounds per configuration (default 3)")
    ap.add_argument("--dcheck", help="path to the dcheck binary")
    ap.add_argument("--peer", help="path to the stateright-2pc binary")
    ap.add_argument("--spec", default=str(REPO / "specs" / "2pc.ron"), help="dcheck spec")
    ap.add_argument("--timeout", type=float, default=600.0, help="per-run timeout, s (600)")
    ap.add_argument("--quick", action="store_true", help="smoke test: N=5 6, one run")
    ap.add_argument(
        "--only", choices=TOOLS,
        help="run one side only (no cross-check; for trying a binary alone)",
    )
    ap.add_argument("--raw", help="also write every run as JSON to this file")
    args = ap.parse_args(argv)

    ns = args.n or ([5, 6] if args.quick else [7, 8, 9])
    runs_per = args.runs or (1 if args.quick else 3)
    if runs_per < 1 or any(n < 1 for n in ns):
        ap.error("--runs and --n must be positive")
    tools = [args.only] if args.only else TOOLS

    binaries: dict[str, Path] = {}
    missing = []
    if "dcheck" in tools:
        b = resolve_binary(args.dcheck, candidates("release/dcheck", REPO / "target" / "release" / "dcheck"))
        if b is None:
            missing.append(("dcheck", args.dcheck, f"cd {REPO} && cargo build --release"))
        else:
            binaries["dcheck"] = b
    if "stateright" in tools:
        b = resolve_binary(
            args.peer,
            candidates("release/stateright-2pc", PEER_DIR / "target" / "release" / "stateright-2pc"),
        )
        if b is None:
            missing.append(("stateright-2pc", args.peer, f"cd {PEER_DIR} && cargo build --release"))
        else:
            binaries["stateright"] = b
    if missing:
        for name, given, build in missing:
            where = f" at {given}" if given else " (looked in target/release and $CARGO_TARGET_DIR/release)"
            print(f"error: {name} binary not found{where}. Build it with:\n    {build}", file=sys.stderr)
        print("(binaries land in $CARGO_TARGET_DIR/release when that is set; pass --dcheck/--peer)",
              file=sys.stderr)
        return 2
    spec = Path(args.spec)
    if "dcheck" in tools and not spec.is_file():
        print(f"error: spec {spec} not found (--spec)", file=sys.stderr)
        return 2

    use_time = gnu_time_usable()
    rss_note = ("GNU /usr/bin/time %M (child's own peak)" if use_time else
                f"os.wait4 ru_maxrss (floor {wait4_floor() / 1024:.1f} MiB: Python's own RSS)")
    print(f"# TwoPhase benchmark: {cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}; N={ns}; runs={runs_per}; timeout={args.timeout:g}s")
    print(f"# peak RSS from {rss_note}")
    for tool, b in binaries.items():
        print(f"# {tool}: {b}")
    sys.stdout.flush()

    results: dict[tuple[str, int, str, int], list[Run]] = {}
    all_runs: list[Run] = []
    for n in ns:
        for k in range(runs_per):
            for strategy, threads in CONFIGS:
                for tool in tools:  # A B A B
                    run = Run(tool, n, strategy, threads)
                    cmd = command(tool, binaries[tool], spec, n, strategy, threads)
                    run_one(run, cmd, args.timeout, use_time)
                    results.setdefault((tool, n, strategy, threads), []).append(run)
                    all_runs.append(run)
                    status = run.error or (
                        f"{run.report['distinct_states']:,} distinct, {run.wall:.3f} s, "
                        f"{run.maxrss_kib / 1024:.1f} MiB"
                    )
                    print(f"  N={n} run {k + 1}/{runs_per} {run.label():<22} {status}", file=sys.stderr)

    if args.raw:
        Path(args.raw).write_text(json.dumps([r.__dict__ for r in all_runs], indent=1))

    # Cross-check distinct counts per N across every configuration and tool.
    mismatch = False
    for n in ns:
        seen = {}
        for r in all_runs:
            if r.n == n and r.ok:
                seen.setdefault(r.report["distinct_states"], set()).add(r.label())
        if len(seen) > 1:
            mismatch = True
            print(f"\n!!!!!!!! MISMATCH for N={n}: distinct states disagree !!!!!!!!")
            for count, labels in sorted(seen.items()):
                print(f"!!!!!!!!   {count:,}: {', '.join(sorted(labels))}")
        gen = {}
        for r in all_runs:
            if r.n == n and r.ok and isinstance(r.report.get("states_generated"), int):
                gen.setdefault(r.report["states_generated"], set()).add(r.label())
        if len(gen) > 1:
            print(f"\nWARNING N={n}: states_generated differ: "
                  + "; ".join(f"{c:,}: {', '.join(sorted(ls))}" for c, ls in sorted(gen.items())))

    print()
    print("| N | config | distinct states | generated | ok runs | median wall s | "
          "median distinct/s | median peak RSS MiB | bytes/distinct | "
          "throughput vs SR | memory vs SR |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    for n in ns:
        for tool in tools:
            for strategy, threads in CONFIGS:
                runs = results[(tool, n, strategy, threads)]
                s = summarize(runs)
                failed |= s["good"] < s["total"]
                ratio_t = ratio_m = "-"
                if tool == "dcheck" and "stateright" in tools:
                    p = summarize(results[("stateright", n, strategy, threads)])
                    if s["rate"] and p["rate"]:
                        ratio_t = f"{s['rate'] / p['rate']:.2f}x"
                    if s["bytes_per_state"] and p["bytes_per_state"]:
                        ratio_m = f"{s['bytes_per_state'] / p['bytes_per_state']:.2f}x"
                print(f"| {n} | {runs[0].label()} | {fmt_int(s['distinct'])} | {fmt_int(s['generated'])} "
                      f"| {s['good']}/{s['total']} | {fmt_f(s['wall'])} | {fmt_int(s['rate'])} "
                      f"| {fmt_f(s['rss_mib'], 1)} | {fmt_f(s['bytes_per_state'], 1)} "
                      f"| {ratio_t} | {ratio_m} |")
    problems = [(r.label(), r.n, r.error) for r in all_runs if r.error]
    if problems:
        print("\nFailed runs:")
        for label, n, err in problems:
            print(f"- N={n} {label}: {err}")
    print("\nthroughput vs SR = dcheck median distinct/s / Stateright's, same strategy and threads "
          "(>1: dcheck faster); memory vs SR = bytes/distinct ratio (<1: dcheck leaner).")
    if mismatch:
        print("\nMISMATCH: distinct-state counts disagree (see above).", file=sys.stderr)
        return 3
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
