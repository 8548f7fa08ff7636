#!/usr/bin/env python3
# problems_values.py BIN LOG - checks the domains and clients of every problem in
# `triage --top 0 --format json` against counts made here from `scan`'s events:
# per problem (section, status, code, enhanced, reason, class), each value's
# events, most first, then the value (bytes); the top ten, then ["(others)", rest].
# Prints the number of problems and of lists checked; fails on the first mismatch.
import json, re, subprocess, sys
from collections import Counter, defaultdict
bin, log = sys.argv[1], sys.argv[2]
loc = ("local", "virtual", "pipe", "lmtp")
ev = [json.loads(l) for l in subprocess.run([bin, "scan", log], capture_output=True, text=True).stdout.splitlines()]
by = defaultdict(lambda: defaultdict(Counter))
for e in ev:
    if e["class"] not in ("transient", "permanent"):
        continue
    sec = "local" if (e["program"] or "").split("/")[-1] in loc else e["direction"]
    p = (sec, e["status"], e["code"] or "", e["enhanced"] or "", e["reason"] or "", e["class"])
    for k in ("domain", "client"):
        by[p][k][re.sub(r"\]:[0-9]+$", "]", e[k] or "")] += 1  # the store keeps a client without its port
def arr(c):
    v = sorted(c.items(), key=lambda x: (-x[1], x[0].encode()))
    out = [[x or None, n] for x, n in v[:10]]
    rest = sum(n for _, n in v[10:])
    return out + ([["(others)", rest]] if rest else [])
tri = json.loads(subprocess.run([bin, "triage", "--top", "0", "--format", "json", log], capture_output=True, text=True).stdout)
checked = 0
for q in tri["problems"]:
    p = (q["direction"], q["status"], q["code"] or "", q["enhanced"] or "", q["reason"] or "", q["class"])
    for k, f in (("domain", "domains"), ("client", "clients")):
        if f in q:
            assert q[f] == arr(by[p][k]), (p, f, q[f], arr(by[p][k]))
            checked += 1
print(len(tri["problems"]), checked)
