#!/usr/bin/env python3
"""check.py - count the [smtpd-reject] lines of a run and check them against the wire.

    check.py LOG CLIENT.TSV [MAILCODES]      (LOG and CLIENT.TSV may be gzip'd)

1. Reads [smtpd-reject]'s pattern from rules/mta/postfix.conf (continuation
   lines joined with one space, as src/conf.c does), turns it into Python's
   re (named groups), matches it on the message part of every postfix/smtpd
   and postfix/postscreen line, and prints the matches by shape.
2. Every match must be a reply the client recorded for that session (the
   client address 127.S.P.N names it): the log's "code enhanced text", less
   Postfix's "; from=<..> to=<..> proto=.. helo=<..>" suffix, equal to a reply
   in the TSV for that address.  And each 4xx/5xx the client recorded for
   a command other than QUIT is either logged or one Postfix does not log as
   a reject (listed with counts).
3. With MAILCODES (the binary): "MAILCODES scan LOG", every inbound rejected
   event's client, code and enhanced code must be those of a recorded reply
   of that session, and the count must equal the pattern's.
Exit status 1 if any check fails.  Nothing in the Meson suite runs this.
"""
import collections
import gzip
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "..", "..", "..", "rules", "mta", "postfix.conf")


def opener(path):
    return gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else \
        open(path, encoding="utf-8")


def rule_pattern(section="smtpd-reject"):
    """The rule's pattern, continuation lines joined with one space."""
    cur, key, val = None, None, {}
    for raw in open(RULES, encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("[") and line.endswith("]"):
            cur, key = line[1:-1], None
            continue
        if cur != section or not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            val[key] += " " + line.strip()
        else:
            key, _, v = line.partition("=")
            key = key.strip()
            val[key] = v.strip()
    return val["pattern"]


def to_python(pcre):
    return re.compile(pcre.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"))


SUFFIX = re.compile(r"; (?:from=<[^<>]*>(?: to=<[^<>]*>)? )?proto=\S+(?: helo=<[^<>]*>)?$")
LINE = re.compile(r"^\S+ +\d+ \S+ \S+ (postfix/(?:smtpd|postscreen))\[\d+\]: (.*)$")
CLIENT = re.compile(r"\[(127\.\d+\.\d+\.\d+)\]$")


def main():
    log, tsv = sys.argv[1], sys.argv[2]
    binary = sys.argv[3] if len(sys.argv) > 3 else None
    pat = to_python(rule_pattern())
    wire = collections.defaultdict(list)
    for line in opener(tsv):
        src, stage, reply, addr = line.rstrip("\n").split("\t")
        wire[src].append((stage, reply, addr))
    fails = 0
    lines = shapes = 0
    shape = collections.Counter()
    logged = collections.Counter()
    total = 0
    for raw in opener(log):
        total += 1
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        r = pat.match(m.group(2))
        if not r:
            continue
        lines += 1
        g = r.groupdict()
        shape[(g["command"], "queue id" if g["queue_id"] else "NOQUEUE",
               "enhanced" if g["enhanced"] else "no enhanced",
               "from=" if g["sender"] is not None else "-",
               "to=" if g["recipient"] is not None else "-")] += 1
        src = CLIENT.search(g["client"]).group(1)
        text = SUFFIX.sub("", g["text"])
        said = g["code"] + " " + (g["enhanced"] + " " if g["enhanced"] else "") + text
        replies = [rep for _, rep, _ in wire.get(src, [])]
        if said not in replies:
            fails += 1
            print("NOT ON THE WIRE:", raw.rstrip("\n"))
        logged[(src, said)] += 1
    print("log lines: %d; [smtpd-reject] pattern matches: %d" % (total, lines))
    for k, n in sorted(shape.items(), key=lambda kv: -kv[1]):
        print("  %5d  %s" % (n, "  ".join(k)))
    # the other direction: what the client heard that the log does not show as a reject
    unlogged = collections.Counter()
    for src, recs in wire.items():
        seen = collections.Counter()
        for stage, rep, _ in recs:
            if rep[:1] not in "45" or stage == "quit":
                continue
            seen[rep] += 1
            if seen[rep] > logged[(src, rep)]:
                unlogged[(stage, re.sub(r"127\.\d+\.\d+\.\d+", "127.S.P.N", rep))] += 1
    print("4xx/5xx replies the client heard that no [smtpd-reject] line shows:")
    for k, n in sorted(unlogged.items()):
        print("  %5d  %s  %s" % (n, k[0], k[1]))
    if binary:
        out = subprocess.run([binary, "scan", log], check=True, capture_output=True,
                             text=True).stdout
        events = 0
        for row in out.splitlines():
            e = json.loads(row)
            if e["direction"] != "inbound" or e["status"] != "rejected":
                continue
            events += 1
            src = CLIENT.search(e["client"]).group(1)
            ok = any(rep.startswith(e["code"] + " " + ((e["enhanced"] + " ") if e["enhanced"] else ""))
                     for _, rep, _ in wire.get(src, []))
            if not ok:
                fails += 1
                print("SCAN DISAGREES:", row)
        print("mailcodes scan: %d inbound rejected events, %d [smtpd-reject] lines%s"
              % (events, lines, "" if events == lines else "  MISMATCH"))
        if events != lines:
            fails += 1
    print("wire check:", "FAILED (%d)" % fails if fails else "every line agrees")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
