#!/usr/bin/env python3
"""Compare `mailcodes scan` output with an expected-events.jsonl, event by event.

Usage: compare-events.py EXPECTED.jsonl ACTUAL.jsonl
Both files list events in log order.  Prints every field that differs (at
most 20 lines) and a summary; exits 1 on any difference.
"""
import json
import sys

FIELDS = ["time", "host", "mta", "direction", "status", "stage", "code", "enhanced",
          "class", "conflict", "hard", "inferred", "recipient", "domain", "client",
          "queue_id", "relay"]

exp = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
bad = 0
shown = 0
for i, (e, g) in enumerate(zip(exp, got)):
    for f in FIELDS:
        if f not in e:
            continue
        if e.get(f) != g.get(f):
            bad += 1
            if shown < 20:
                print(f"event {i + 1} (log line {e.get('line')}): {f}: expected {e.get(f)!r}, got {g.get(f)!r}")
                shown += 1
if len(exp) != len(got):
    print(f"event count: expected {len(exp)}, got {len(got)}")
    bad += 1
print(f"{len(got)} events compared on {len(FIELDS)} fields: {bad} differences")
sys.exit(1 if bad else 0)
