#!/usr/bin/env python3
"""Medians over several `measure` outputs: aggregate.py run-1.md run-2.md ...

The ratio columns also give min-max across the runs."""
import sys, statistics as st
files = sys.argv[1:]
ev, co = {}, {}
for f in files:
    sec = None
    for line in open(f):
        if line.startswith('### Evaluation'): sec = ev
        elif line.startswith('### Compile'): sec = co
        elif line.startswith('| ') and sec is not None and not line.startswith('| workload'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            sec.setdefault(cells[0], []).append(cells[1:])
def col(rows, i):
    return [float(r[i]) for r in rows if r[i] != 'never']
print(f"{len(files)} runs")
print("| workload | programs | closures ns | bytecode ns | Cranelift ns | bytecode / closures | Cranelift / closures |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, rows in ev.items():
    m = lambda i: st.median(col(rows, i))
    rng = lambda i: f"{m(i):.2f} ({min(col(rows,i)):.2f}-{max(col(rows,i)):.2f})"
    print(f"| {name} | {rows[0][0]} | {m(3):.1f} | {m(4):.1f} | {m(5):.1f} | {rng(6)} | {rng(7)} |")
print()
print("| workload | programs | closures µs | bytecode µs | Cranelift µs (module per program) | Cranelift µs (one module) | Cranelift µs per program | Cranelift / closures | break-even evaluations per program |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, rows in co.items():
    m = lambda i: st.median(col(rows, i)) if col(rows, i) else None
    be = m(7)
    print(f"| {name} | {rows[0][0]} | {m(1):.1f} | {m(2):.1f} | {m(3):.0f} | {m(4):.0f} | {m(5):.0f} | {m(6):.0f} | {'never' if be is None else f'{be:,.0f}'} |")
