#!/usr/bin/env python3
"""Share of dcheck's CPU time by kind of code, from `perf record` data.

Usage: profile-share.py NAME...   (reads NAME.data in the current directory)

The profile behind docs/design/evaluator.md:
    perf record -F 2000 -g -o pbft.data dcheck run specs/pbft.ron --threads 1 --format json
    perf record -F 2000 -g -o paxos.data dcheck run specs/paxos.ron --const F=1 \
        --property Consistency --property Nontriviality --property LearnerAgreement \
        --property OneValuePerBallot --threads 1 --format json
    profile-share.py pbft paxos
"""
import subprocess, sys, re, collections
for n in sys.argv[1:]:
    out = subprocess.run(["perf","report","-i",f"{n}.data","--no-children","--sort","sym","--stdio","-g","none","--percent-limit","0"],capture_output=True,text=True).stdout
    cat = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+\[(.)\]\s+(.*)", line)
        if not m: continue
        p, k, s = float(m.group(1)), m.group(2), m.group(3)
        if k == 'k': c = 'kernel (page faults, memory)'
        elif ('{{closure}}' in s and ('dcheck_model::expr' in s or 'dcheck_model::stmt' in s or 'dcheck_model::runtime' in s)) or 'FnMut<A> for &F' in s or 'Fn<A> for &F' in s or 'Domain::each' in s or 'junction' in s:
            c = 'compiled closures (guards, effects, invariants)'
        elif 'BagShape' in s or 'SeqShape' in s or 'encoding::' in s or 'get_digit' in s: c = 'collection helpers called by closures (bag/seq rank, unrank)'
        elif 'drive::' in s: c = 'message-driven candidate lookup (drive.rs)'
        elif 'Model::one' in s or 'model::' in s: c = 'Model::one / model glue'
        elif 'memmove' in s or 'memcpy' in s or 'memcmp' in s or 'malloc' in s or 'free' in s or 'memset' in s: c = 'libc memory (memmove, malloc)'
        else: c = 'engine and other'
        cat[c] += p
    print("==", n)
    for c, p in cat.most_common(): print(f"  {p:6.1f}%  {c}")
