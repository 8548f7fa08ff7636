#!/usr/bin/env python3
"""eximstats-rejects.py MAILCODES LOG - eximstats' reject lines against our rejected messages.

Replays eximstats' (exim4-base 4.96) rule on LOG: a line is a reject ("Re")
when its flag field is none of <= => -> == ** SA and it holds "rejected",
"refused" or "dropped"; its if-chain then files it as temporary or permanent.
Each such line is then given to `mailcodes scan` alone (between separator
lines, in one run), and the script says what mailcodes made of it:
counted as a refused message (once per message id, each refusal without an
id once, as src/messages.c counts messages.rejected), an event outside a
mail transaction (stage "other": VRFY, a dropped connection; not a
message), no rejected event at all, or a further line of a message already
counted.  Prints one line per category with its count and an example, and
the sum that takes eximstats' permanent rejects to our messages.rejected.
docs/MESSAGES.md shows its output on the benchmark's Exim log.
"""
import collections
import json
import re
import subprocess
import sys

MC, LOG = sys.argv[1], sys.argv[2]
R = re.compile
# eximstats' chain (its order matters): first the temporary ones it knows.
TEMP = [R(r"(temporarily rejected [A-Z]*) .*?(: .*?)(:|\s*$)"), R(r"temporarily refused connection")]
LATE_TEMP = R(r"(temporarily rejected connection in .*?ACL:?.*)")
PERM = [R(p) for p in (
    r"(listed at [^ ]+)", r"(Forged IP detected in HELO)", r"(Invalid domain or IP given in HELO/EHLO)",
    r"(unqualified recipient rejected)", r"(closed connection (after|in response) .*?)\s*$", r"(sender rejected)",
    r" rejected after DATA: (.*)", r" (rejected DATA: .*)", r".DATA ACL discarded recipients.: (.*)",
    r"(VRFY rejected)", r"(too many recipients)", r"(refused relay.*?) to", r"(rejected by non-SMTP ACL: .*)",
    r"(rejected by local_scan.*)", r"(dropped: too many ((nonmail|unrecognized) commands|syntax or protocol errors))",
    r"(local_scan.. function .* - message temporarily rejected)", r"(SMTP protocol .*?(error|violation))",
    r"(message too big)", r"rejected [HE][HE]LO from [^:]*: syntactically invalid argument",
    r'response to "RCPT TO.*? was: (.*)', r"(lookup of host )\S+ (failed)", r"(rejected [A-Z]*) .*?(: .*?)(:|\s*$)",
    r"(refused connection )from.*? (\(.*)", r"(error from remote mailer after .*?:).*(: .*?)(:|\s*$)",
    r"([Cc]onnection )from.*? (refused.*)", r": (Connection refused)()")]
HEAD = R(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?(?: \[\d+\])? ")


def eximstats_kind(line):
    """'perm' or 'temp' as eximstats files a reject line (unknown ones are permanent)."""
    if "SpamAssassin" in line:
        return "perm"
    if any(r.search(line) for r in TEMP):
        return "temp"
    if any(r.search(line) for r in PERM):
        return "perm"
    return "temp" if LATE_TEMP.search(line) else "perm"


def shape(line):
    """The line with its variable parts folded, to group like lines."""
    s = HEAD.sub("", line)
    s = R(r"\b[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}\b").sub("ID", s)
    s = R(r"<[^>]*>").sub("<A>", s)
    s = R(r"\S+@\S+").sub("@", s)
    s = R(r"\[[0-9.:a-fA-F]+\](:\d+)?").sub("[IP]", s)
    s = R(r"(H=|from )(\([^)]*\) |\S+ )?\[IP\]").sub(r"\1[IP]", s)
    return R(r"\S*\d\S*").sub("#", s)[:90]


rejects = []
for line in open(LOG, encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    m = HEAD.match(line)
    rest = line[m.end():] if m else ""
    flag = rest[17:19]
    if m and not R(r"([<>=*-]+|SA)").fullmatch(flag) and R(r"rejected|refused|dropped").search(line):
        rejects.append(line)

sep = "2026-01-01 00:00:00 1zzzzz-%06d-ZZ ** sep%d@sep.invalid: Unrouteable address"
text = "".join("%s\n%s\n" % (line, sep % (i, i)) for i, line in enumerate(rejects))
out = subprocess.run([MC, "scan", "--jobs", "1", "-"], input=text, capture_output=True, text=True, check=True).stdout
events = [[] for _ in rejects]
i = 0
for e in map(json.loads, out.splitlines()):
    if e["domain"] == "sep.invalid":
        i += 1
    elif e["direction"] == "inbound" and e["status"] == "rejected":
        events[i].append(e)

seen, cats, example = set(), collections.Counter(), {}
for line, evs in zip(rejects, events):
    kind = eximstats_kind(line)
    if not evs:
        what = "no rejected event: " + shape(line)
    elif evs[0]["queue_id"]:
        what = "a further line of a message already counted" if evs[0]["queue_id"] in seen else "counted: a queued message"
        seen.add(evs[0]["queue_id"])
    elif evs[0]["stage"] == "other":
        what = "an event outside a mail transaction, not a message"
    else:
        what = "counted: a refusal without a message id"
    cats[(kind, what)] += 1
    example.setdefault((kind, what), line)
for (kind, what), n in sorted(cats.items(), key=lambda x: (x[0][0], -x[1])):
    print("%6d  eximstats %s  %s\n        e.g. %s" % (n, kind, what, example[(kind, what)][:150]))
perm = sum(n for (k, _), n in cats.items() if k == "perm")
temp = sum(n for (k, _), n in cats.items() if k == "temp")
counted = sum(n for (_, w), n in cats.items() if w.startswith("counted"))
print("eximstats: %d permanent, %d temporary reject lines; mailcodes counts %d of these lines as refused"
      " messages (messages.rejected counts an id again once Exim's Completed or a refusal at DATA ended its message)" % (perm, temp, counted))
