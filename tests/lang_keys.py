#!/usr/bin/env python3
"""lang_keys.py SRCROOT - every word the reader sees comes from rules/lang.

Collects the rules/lang keys the sources use: the string literals passed to
the lookup calls (lang_word, lang_fill, ...), the keys marked LK("...") in
tables and switches, and the prefixes marked LK_PREFIX("...") of keys built
at run time.  Fails when
  - a key the sources use is missing from any of the six language files,
  - a language file defines a key the sources never use (nor a prefix covers),
  - a file's [@words] keys differ from en.conf's (a missing translation),
  - a translation drops or invents a {slot} of en.conf's template,
  - a reason of rules/reasons.conf has no title in a language's [@reasons],
    or [@reasons] names a reason that does not exist,
  - a reason's receiver_label or local_label has no title in a language's
    [@reasons_inbound] or [@reasons_local], or those name a reason without one.
Exit status 0 when all hold, 1 with one line per fault otherwise.
"""
import os
import re
import sys

LANGS = ["en", "de", "zh", "ko", "th", "ar"]

# Lookup calls: name -> which literals of the call are keys ("first": the
# first literal, the others are slot names or English; "all": every one, as
# in lang_word(l, n == 1 ? "event_one" : "event_many")).
CALLS = {
    "lang_word": "all",
    "lang_word_or_null": "all",
    "lang_english": "all",
    "lang_reason_label": None,  # reasons, checked against reasons.conf
    "report_word": "first",
    "report_label": "first",
    "lang_fill": "first",
    "labelled": "first",
    "section": "first",
    "FILL": "first",
}

LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
KEY = re.compile(r"^[a-z][a-z0-9_.-]*$")


def strip_comments(text):
    """C source without comments (string literals kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text[i] == '"':
            m = LITERAL.match(text, i)
            if not m:
                out.append(text[i])
                i += 1
                continue
            out.append(m.group(0))
            i = m.end()
        elif text[i] == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def call_args(text, start):
    """The text between the parenthesis at start and its match."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':
            m = LITERAL.match(text, i)
            i = m.end() if m else i + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
        i += 1
    return text[start + 1 :]


def used_keys(root):
    """(keys, prefixes, where) the C sources use."""
    keys, prefixes, where = set(), set(), {}
    call_re = re.compile(r"\b(" + "|".join(CALLS) + r"|LK|LK_PREFIX)\s*\(")
    for d in ("src", "include"):
        for name in sorted(os.listdir(os.path.join(root, d))):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            text = strip_comments(open(os.path.join(root, path), encoding="utf-8").read())
            for m in call_re.finditer(text):
                fn = m.group(1)
                # The definitions themselves: "#define LK(key) key", prototypes.
                line_start = text.rfind("\n", 0, m.start()) + 1
                if text[line_start:m.start()].lstrip().startswith("#define"):
                    continue
                args = call_args(text, m.end() - 1)
                lits = [x.group(1) for x in LITERAL.finditer(args)]
                if fn == "LK_PREFIX":
                    prefixes.update(lits[:1])
                    continue
                mode = "first" if fn == "LK" else CALLS[fn]
                if mode is None or not lits:
                    continue
                for lit in lits if mode == "all" else lits[:1]:
                    if KEY.match(lit):
                        keys.add(lit)
                        where.setdefault(lit, path)
    return keys, prefixes, where


def read_conf(path):
    """{section: {key: value}} of a rules file (continuation lines indented)."""
    sections, cur, last = {}, None, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("["):
            cur = sections.setdefault(line.strip()[1:-1], {})
            last = None
        elif line[0] in " \t" and last is not None:
            cur[last] += " " + line.strip()
        elif "=" in line and cur is not None:
            k, v = line.split("=", 1)
            last = k.strip()
            cur[last] = v.strip()
    return sections


def slots(value):
    return set(re.findall(r"\{([a-z_]+)\}", value))


def built_keys(root):
    """The keys the sources build at run time from a prefix and a value
    the rules or a table hold: (key, where the value comes from)."""
    keys = []
    src = lambda name: strip_comments(open(os.path.join(root, "src", name), encoding="utf-8").read())
    for key in re.findall(r'\{"([a-z_]+)", DIM_', src("bykeys.c")):
        keys.append(("col_" + key, "src/bykeys.c --by key"))
    m = re.search(r"problems_sections\[PROBLEM_SECTIONS\] = \{([^}]*)\}", src("problems.c"))
    if not m:
        keys.append(("section_?", "src/problems.c problems_sections: not found"))
    for d in re.findall(r'"([a-z]+)"', m.group(1) if m else ""):
        keys.append(("section_" + d, "src/problems.c problems_sections"))
    for sec in read_conf(os.path.join(root, "rules", "compare.conf")).values():
        for w in re.split(r"[ ,]+", sec.get("stage", "")):
            if w:
                keys.append(("stage_" + w, "rules/compare.conf stage"))
    for d in range(8):
        keys.append(("actor_%d" % d, "an enhanced code's subject digit"))
    for d in range(6):
        keys.append(("category_%d" % d, "a basic code's second digit"))
    return keys


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    faults = []
    used, prefixes, where = used_keys(root)
    files = {l: read_conf(os.path.join(root, "rules", "lang", l + ".conf")) for l in LANGS}
    words = {l: files[l].get("@words", {}) for l in LANGS}
    en = words["en"]
    if len(used) < 50 or not prefixes:
        faults.append("found only %d keys and %d prefixes in the sources: is the scanner broken?"
                      % (len(used), len(prefixes)))
    built = built_keys(root)
    if len([k for k, _ in built if k.startswith("col_")]) < 10:
        faults.append("found too few --by keys in src/bykeys.c: is the scanner broken?")
    for k, origin in built:
        used.add(k)
        where.setdefault(k, origin)
    for k in sorted(used):
        for l in LANGS:
            if k not in words[l]:
                faults.append("%s: key '%s' is used but not defined in rules/lang/%s.conf" % (where[k], k, l))
    for l in LANGS:
        for k in sorted(words[l]):
            if k not in used and not any(k.startswith(p) for p in prefixes):
                faults.append("rules/lang/%s.conf: key '%s' is defined but never used" % (l, k))
        for k in sorted(set(en) - set(words[l])):
            if k not in used:  # reported above when used
                faults.append("rules/lang/%s.conf: key '%s' of en.conf missing" % (l, k))
        for k in sorted(set(words[l]) - set(en)):
            faults.append("rules/lang/%s.conf: key '%s' is not in en.conf" % (l, k))
        for k in sorted(set(words[l]) & set(en)):
            # A translation may drop only {space} (no space between items in Chinese).
            if slots(words[l][k]) - slots(en[k]) or slots(en[k]) - slots(words[l][k]) - {"space"}:
                faults.append("rules/lang/%s.conf: '%s' has slots %s, en.conf %s"
                              % (l, k, sorted(slots(words[l][k])), sorted(slots(en[k]))))
    for l in LANGS:
        head = files[l].get("@lang", {})
        if not head.get("name") or head.get("direction") not in ("ltr", "rtl"):
            faults.append("rules/lang/%s.conf: [@lang] needs a name and direction ltr or rtl" % l)
    if files["ar"].get("@lang", {}).get("direction") != "rtl":
        faults.append("rules/lang/ar.conf: Arabic is written right to left")
    reasons = {s for s in read_conf(os.path.join(root, "rules", "reasons.conf"))
               if not s.startswith("@") and "/" not in s}
    if len(reasons) < 20:
        faults.append("found only %d reasons in rules/reasons.conf" % len(reasons))
    for l in LANGS[1:]:
        titles = files[l].get("@reasons", {})
        for r in sorted(reasons - set(titles)):
            faults.append("rules/lang/%s.conf: reason '%s' has no title in [@reasons]" % (l, r))
        for r in sorted(set(titles) - reasons):
            faults.append("rules/lang/%s.conf: [@reasons] names '%s', no reason of reasons.conf" % (l, r))
    conf = read_conf(os.path.join(root, "rules", "reasons.conf"))
    for section, key in (("@reasons_inbound", "receiver_label"), ("@reasons_local", "local_label")):
        voiced = {r for r in reasons if key in conf.get(r, {})}
        for l in LANGS[1:]:
            titles = files[l].get(section, {})
            for r in sorted(voiced - set(titles)):
                faults.append("rules/lang/%s.conf: reason '%s' has no title in [%s]" % (l, r, section))
            for r in sorted(set(titles) - voiced):
                faults.append("rules/lang/%s.conf: [%s] names '%s', a reason without %s" % (l, section, r, key))
    for f in faults:
        print(f)
    print("%d keys used, %d prefixes, %d faults" % (len(used), len(prefixes), len(faults)))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
