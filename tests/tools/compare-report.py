#!/usr/bin/env python3
"""Compare a `mailcodes report --format json` with a checked expected.json.

Usage: compare-report.py EXPECTED.json REPORT.json
REPORT.json is `mailcodes report LOG --format json --top 0 --by
direction,status,stage,code,enhanced,class`.  Every group of the expected
rows (summed over the keys) must have exactly its count in the report, and
no group may be extra; the totals (lines, events, skipped, unrecognised,
hard and the per-class counts) must be equal.  Prints each difference (at
most 20) and a summary; exits 1 on any difference.
"""
import collections
import json
import sys

KEYS = ["direction", "status", "stage", "code", "enhanced", "class"]
TOTALS = ["lines", "events", "skipped", "unrecognised", "hard", "success", "transient", "permanent", "unknown"]


def tally(rows):
    """Counts per group of KEYS."""
    c = collections.Counter()
    for r in rows:
        c[tuple(r.get(k) for k in KEYS)] += int(r["count"])
    return c


with open(sys.argv[1], encoding="utf-8") as f:
    exp = json.load(f)
with open(sys.argv[2], encoding="utf-8") as f:
    got = json.load(f)
want, have = tally(exp["rows"]), tally(got["rows"])
diffs = [f"{dict(zip(KEYS, k))}: expected {want.get(k, 0)}, reported {have.get(k, 0)}"
         for k in sorted(set(want) | set(have), key=repr) if want.get(k, 0) != have.get(k, 0)]
diffs += [f"totals.{t}: expected {exp['totals'].get(t)}, reported {got['totals'].get(t)}"
          for t in TOTALS if exp["totals"].get(t) != got["totals"].get(t)]
for d in diffs[:20]:
    print(d)
print(f"{sum(want.values())} expected events in {len(want)} groups, {len(TOTALS)} totals: {len(diffs)} differences")
sys.exit(1 if diffs else 0)
