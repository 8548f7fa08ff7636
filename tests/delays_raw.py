#!/usr/bin/env python3
"""delays_raw.py MAILCODES SRCROOT - delays and their parts against the raw logs.

Every expected figure is read here from the log lines themselves (Postfix
delay= and delays=a/b/c/d, Exim QT= and DT=), never from mailcodes' output:
  - scan: each event's delay fields are the numbers of its line;
  - report --by domain --format json: each domain's parts (conn_setup,
    transmission, ..., Exim's delivery) have the count, sum and max of the
    raw values, and a median and p95 within the documented 4.9% of the
    nearest-rank value;
  - the text table's where-the-time-went cell is each part's share of the
    summed a+b+c+d, in percent, as computed from the raw lines;
  - the daily report's delays section: the number of deliveries and the
    maximum of our delivered mail, and its slowest domains are the ones with
    the largest p95 by the raw values.
Exit status 0 when all hold, 1 with one line per fault otherwise.
"""
import gzip
import json
import math
import os
import re
import subprocess
import sys

MC, ROOT = sys.argv[1], sys.argv[2]
MAILLOG = os.path.join(ROOT, "tests/data/postfix/mta-run/maillog")
EXIMLOG = os.path.join(ROOT, "tests/data/exim-runs/all.log.gz")
PARTS = ["before_qmgr", "in_qmgr", "conn_setup", "transmission"]
faults = []


def run(*args):
    return subprocess.run([MC, *args], check=True, capture_output=True, text=True).stdout


def lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def exim_seconds(v):
    """Exim's 1m2s / 0.716s."""
    total = 0.0
    for num, unit in re.findall(r"([0-9.]+)([wdhms])", v):
        total += float(num) * {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return total


def nearest_rank(v, q):
    v = sorted(v)
    return v[max(1, math.ceil(q * len(v))) - 1]


def close(what, ours, exact):
    allowed = 0.01 if exact <= 0.01 else exact * 0.049
    if abs(ours - exact) > allowed + 0.0005:
        faults.append("%s: %.4f, exact %.4f" % (what, ours, exact))


def check_stats(what, st, values):
    """A {count, median, p95, max[, sum]} object against the raw values."""
    if st is None:
        faults.append("%s: none, %d raw values" % (what, len(values)))
        return
    if st["count"] != len(values):
        faults.append("%s: count %d, raw %d" % (what, st["count"], len(values)))
        return
    close(what + " median", st["median"], nearest_rank(values, 0.5))
    close(what + " p95", st["p95"], nearest_rank(values, 0.95))
    if abs(st["max"] - max(values)) > 0.0005:
        faults.append("%s: max %.3f, raw %.3f" % (what, st["max"], max(values)))
    if "sum" in st and abs(st["sum"] - sum(values)) > 0.0005 * len(values):
        faults.append("%s: sum %.3f, raw %.3f" % (what, st["sum"], sum(values)))


# ---- Postfix: the raw delays of each delivery line ----
POSTFIX = re.compile(r"postfix(?:-\w+)?/(?:[\w-]+/)?(?:smtp|local|lmtp|virtual|pipe|error)\[\d+\]: \w+: to=<[^>]*@([^>]*)>.*"
                     r" delay=([0-9.]+), delays=([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+),.* status=(\w+)")
raw = []  # (domain, status, delay, a, b, c, d)
for line in lines(MAILLOG):
    m = POSTFIX.search(line)
    if m:
        raw.append((m.group(1).lower(), m.group(7), *[float(m.group(i)) for i in range(2, 7)]))
if len(raw) < 2000:
    faults.append("postfix: only %d delivery lines with delays in the raw log" % len(raw))

# scan: every event with delays carries the numbers of its line.
events = [json.loads(x) for x in run("scan", MAILLOG).splitlines()]
got = sorted((e["domain"], e["status"], e["delay"], *[e["delay_" + p] for p in PARTS])
             for e in events if e["delay_before_qmgr"] is not None)
want = sorted(raw)
if got != want:
    faults.append("scan: %d events with delays, raw %d; first difference %s" %
                  (len(got), len(want), next(((g, w) for g, w in zip(got, want) if g != w), None)))
if any(e["delay_delivery"] is not None for e in events):
    faults.append("scan: a Postfix event with Exim's delivery time")

# report --by domain: the parts of each domain's sent mail.
rows = json.loads(run("report", "--by", "domain", "--format", "json", "--top", "0", MAILLOG))["rows"]
sent = {}
for dom, status, delay, *parts in raw:
    if status == "sent":
        sent.setdefault(dom, []).append(parts)
checked = 0
for row in rows:
    if row["class"] != "success" or row["domain"] not in sent:
        continue
    values = sent[row["domain"]]
    for i, p in enumerate(PARTS):
        check_stats("postfix %s %s" % (row["domain"], p), row["delay"]["parts"].get(p), [v[i] for v in values])
    checked += 1
if checked < 10:
    faults.append("postfix: only %d domains with sent mail checked" % checked)

# The text table: the where cell of alpha.test's sent mail.
sums = [sum(v[i] for v in sent["alpha.test"]) for i in range(4)]
cell = "/".join(str(round(100 * s / sum(sums))) for s in sums)
table = run("report", "--by", "domain", MAILLOG)
if not re.search(r"^alpha\.test +success .* %s$" % re.escape(cell), table, re.M):
    faults.append("text table: no alpha.test success row ending in %s" % cell)

# The daily report's section: our delivered mail, its slowest domains.
daily = run("report", MAILLOG)
delivered = [r[2] for r in raw if r[1] == "sent"]
m = re.search(r"^Delivery delays of our delivered mail: (\d+) deliveries, .* max (\S+)$", daily, re.M)
if not m or int(m.group(1)) != len(delivered):
    faults.append("daily: title %s, raw %d deliveries" % (m.group(0) if m else None, len(delivered)))
elif m.group(2) != "%dm%02ds" % divmod(round(max(delivered)), 60):
    faults.append("daily: max %s, raw %.2f s" % (m.group(2), max(delivered)))
by_domain = {}
for r in raw:
    if r[1] == "sent":
        by_domain.setdefault(r[0], []).append(r[2])
listed = re.findall(r"^  (\S+) +(\d+) +\S+ +\S+ +\S+ +\S+$",
                    daily.split("slowest domains (by p95)")[1].split("\n\n")[0], re.M)
if len(listed) != 5:
    faults.append("daily: %d slowest domains listed, not 5" % len(listed))
for dom, n in listed:
    if int(n) != len(by_domain.get(dom, [])):
        faults.append("daily: %s %s deliveries, raw %d" % (dom, n, len(by_domain.get(dom, []))))
p95 = {d: nearest_rank(v, 0.95) for d, v in by_domain.items()}
unlisted = max(p for d, p in p95.items() if d not in dict(listed))
if min(p95[d] for d, _ in listed) < unlisted / 1.049:
    faults.append("daily: a domain with a larger p95 (%.2f) is not listed" % unlisted)

# ---- Exim: QT= and DT= of the deliveries ----
EXIM = re.compile(r" (?:=>|->|>>) (?:[^\s@]+ <)?[^\s@<]*@([^\s>]+)\S* .* QT=([0-9.wdhms]+) DT=([0-9.wdhms]+)$")
exim = {}
for line in lines(EXIMLOG):
    m = EXIM.search(line)
    if m:
        exim.setdefault(m.group(1).lower(), []).append(exim_seconds(m.group(3)))
rows = json.loads(run("report", "--by", "domain", "--format", "json", "--top", "0", EXIMLOG))["rows"]
checked = 0
for row in rows:
    if row["class"] == "success" and row["domain"] in exim:
        check_stats("exim %s delivery" % row["domain"], row["delay"]["parts"].get("delivery"), exim[row["domain"]])
        checked += 1
if checked != len(exim) or checked < 2:
    faults.append("exim: %d domains checked, %d with DT= in the raw log" % (checked, len(exim)))
scanned = sorted(e["delay_delivery"] for e in map(json.loads, run("scan", EXIMLOG).splitlines())
                 if e["delay_delivery"] is not None)
if scanned != sorted(round(v, 3) for vs in exim.values() for v in vs):
    faults.append("exim scan: %d delivery times, raw %d" % (len(scanned), sum(map(len, exim.values()))))

for f in faults:
    print(f)
print("%d faults" % len(faults))
sys.exit(1 if faults else 0)
