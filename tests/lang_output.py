#!/usr/bin/env python3
"""lang_output.py MAILCODES SRCROOT - every language for real, within 100 columns.

Runs report (daily, a --by table of translated values, HTML), triage,
explain 550, compare 421 521 and trace (its decoded lines) with --lang L
on real logs
(tests/data/sample.log and the Postfix mta-run maillog) and fails
  - when, for a language other than English, an English label appears in
    the output: the values of rules/lang/en.conf's [@words] (a template
    split at its {slots}) and the English reason titles of
    rules/reasons.conf, wherever the language's own word differs.  Data is
    left out first: domains, relays, clients, samples, senders, line shapes,
    the advice paragraphs (knowledge text, English in every language today)
    and code names (taken from explain's and compare's JSON);
  - when a line of the text output is wider than 100 display columns
    (East Asian wide and fullwidth characters 2, combining marks and format
    characters 0; Python's unicodedata, independent of src/textout.c), in
    every language including English.
The English run checks the detector itself: it must find the labels there.
"""
import json
import os
import re
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lang_keys import read_conf  # noqa: E402  (the one reader of rules files)

LANGS = ["de", "zh", "ko", "th", "ar"]
TRACE_ID = "09C391040A4"  # a Postfix queue id of tests/data/sample.log


def width(s):
    """Display columns of s in a terminal."""
    w = 0
    for c in s:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w


def fragments(value):
    """The literal pieces of a template worth looking for: a word of four
    letters or more, or several words."""
    out = []
    for piece in re.split(r"\{[a-z_]+\}", value):
        piece = piece.strip(" ,;:.()\"'")
        if len(re.sub(r"[^A-Za-z]", "", piece)) >= 4:
            out.append(piece)
    return out


def english_labels(root, lang, en_words, files):
    """(phrase, key) pairs of English that must not appear in lang's output."""
    words = files[lang].get("@words", {}) if lang != "en" else en_words
    labels = []
    for k, v in en_words.items():
        if lang != "en" and words.get(k) == v:
            continue  # the same word in both (MTA, STARTTLS, ...)
        for f in fragments(v):
            labels.append((f, k))
    reasons = read_conf(os.path.join(root, "rules", "reasons.conf"))
    titles = files[lang].get("@reasons", {}) if lang != "en" else {}
    for name, sec in reasons.items():
        if name.startswith("@") or "/" in name or "label" not in sec:
            continue
        if lang == "en" or titles.get(name, sec["label"]) != sec["label"]:
            labels.append((sec["label"], "reason " + name))
    return labels


def run(mc, args):
    p = subprocess.run([mc] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit("mailcodes %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout.decode("utf-8")


def strip_report(text, words):
    """Report or triage text without its data lines (breakdowns, samples,
    advice, senders, line shapes) and their continuation lines."""
    data = [words[k] for k in ("label_domains", "label_relays", "label_clients", "label_sample",
                               "label_advice", "label_action")]
    out, in_data, section = [], False, ""
    for line in text.split("\n"):
        body = line.strip().lstrip("\u200f")
        if line and not line.startswith(" "):
            section = body
        if any(body.startswith(d) for d in data):
            in_data = True
            continue
        if in_data and line.startswith("             "):
            continue  # a wrapped continuation of the data above
        in_data = False
        if section == words["top_failing_senders"] and line.startswith("  "):
            continue  # addresses
        if re.match(r"^    +\d+  ", line):
            continue  # the shapes of unrecognised lines
        out.append(line)
    return "\n".join(out)


def strip_page(text, words, names):
    """An explain or compare page without the knowledge paragraphs under
    Description, When and How to fix (English today) and the code names."""
    knowledge = {words[k] for k in ("description", "when", "fix", "fix_receiver")}
    out, skip = [], False
    for line in text.split("\n"):
        body = line.lstrip("\u200f")
        if body and not body.startswith(" "):
            skip = body.strip() in knowledge
            out.append(body)
        elif not skip:
            out.append(body)
    flat = re.sub(r"\s+", " ", "\n".join(out))
    for n in sorted(names, key=len, reverse=True):
        flat = flat.replace(n, " ")
    return flat


def strip_trace(text):
    """A trace without the log's own lines and fields: the decoded parts
    (code, enhanced code, class word; the reply's label) and the outcome
    lines without the address and the time."""
    out = []
    for line in text.split("\n"):
        toks = line.split()
        if not toks or re.match(r"^\d{4}-", toks[0]):
            continue  # a line of the log, as logged
        if line.startswith("    "):
            out.append(" ".join(toks[:3]) if re.match(r"^(\d{3}|-)$", toks[0]) else toks[0])
        else:
            out.append(" ".join(t for t in toks if "@" not in t and not re.match(r"^\d{4}-", t)))
    return "\n".join(out)


def html_text(html):
    """The text of an HTML page outside its sample and advice blocks."""
    html = re.sub(r'<(div|p) class="(sample|advice)">.*?</\1>', " ", html, flags=re.S)
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<td>[^<]*\(\d+\)[^<]*</td>", " ", html)  # breakdowns "a (3), b (1)"
    html = re.sub(r"<p>[^<]*\(\d+\)[^<]*</p>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def find(labels, text):
    hits = []
    for phrase, key in labels:
        if re.search(r"(?<![A-Za-z])" + re.escape(phrase) + r"(?![A-Za-z])", text):
            hits.append("%s (%s)" % (phrase, key))
    return hits


def main():
    mc, root = sys.argv[1], sys.argv[2]
    logs = [os.path.join(root, "tests", "data", "sample.log"),
            os.path.join(root, "tests", "data", "postfix", "mta-run", "maillog")]
    files = {l: read_conf(os.path.join(root, "rules", "lang", l + ".conf")) for l in ["en"] + LANGS}
    en_words = files["en"]["@words"]
    # The code names of the pages: data, as the reply text is.
    names = set()
    e = json.loads(run(mc, ["explain", "550", "--format", "json"]))
    names.add(e["name"])
    c = json.loads(run(mc, ["compare", "421", "521", "--format", "json"]))
    names.update([c["a"]["name"], c["b"]["name"]])
    # the defining RFCs of rules/codes.conf, which compare names
    codes = read_conf(os.path.join(root, "rules", "codes.conf"))
    names.update(codes[k]["rfc"] for k in ("421", "521", "550") if "rfc" in codes.get(k, {}))
    # and the first sentence of each description, which compare quotes
    for side in (c["a"], c["b"]):
        names.add(re.split(r"(?<=\.) ", side["description"])[0])
    faults = []
    for lang in ["en"] + LANGS:
        words = dict(en_words)
        words.update(files[lang].get("@words", {}))
        labels = english_labels(root, lang, en_words, files)
        texts = []  # (what, full text for widths, text to search)
        for log in logs:
            short = os.path.relpath(log, root)
            for cmd in (["report"], ["triage"], ["report", "--by", "direction,status,class"]):
                out = run(mc, cmd + ["--lang", lang, log])
                texts.append(("%s %s" % (" ".join(cmd), short), out, strip_report(out, words)))
            for cmd in (["report"], ["triage"]):
                out = run(mc, cmd + ["--format", "html", "--lang", lang, log])
                texts.append(("%s --format html %s" % (cmd[0], short), "", html_text(out)))
        # the decoded lines of a message that was deferred, then bounced or delivered
        out = run(mc, ["trace", "--lang", lang, TRACE_ID, logs[0]])
        texts.append(("trace " + TRACE_ID, "", strip_trace(out)))
        for cmd in (["explain", "550"], ["compare", "421", "521"]):
            out = run(mc, cmd + ["--lang", lang])
            texts.append((" ".join(cmd), out, strip_page(out, words, names)))
        found_en = 0
        for what, full, searched in texts:
            for n, line in enumerate(full.split("\n"), 1):
                if width(line) > 100:
                    faults.append("--lang %s %s: line %d is %d columns: %s" % (lang, what, n, width(line), line))
            hits = find(labels, searched)
            if lang == "en":
                found_en += len(hits)
            else:
                for h in hits:
                    faults.append("--lang %s %s: English label %s" % (lang, what, h))
        if lang == "en" and found_en < 40:
            faults.append("the English run shows only %d labels: is the detector broken?" % found_en)
    for f in faults:
        print(f)
    print("%d faults" % len(faults))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
