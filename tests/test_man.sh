#!/bin/sh
# test_man.sh BINARY MANPAGE SOURCE - the manual page renders without
# warnings, and documents every command, option and environment variable
# that the --help texts print (each option under its own command), so the two
# cannot drift apart: a new option fails this test until docs/mailcodes.1.scd
# describes it.
#
# Exit 77 (skipped) when the manual page was not built (no scdoc), except
# under CI, where that is a failure.
set -u
bin=$1 man=$2 src=$3
fail=0
err() { echo "test_man: $*" >&2; fail=1; }

if [ -z "$man" ] || [ ! -f "$man" ]; then
    if [ "${CI:-}" = true ]; then
        echo "test_man: the manual page was not built (is scdoc installed?)" >&2
        exit 1
    fi
    echo "test_man: SKIP: the manual page was not built (install scdoc and reconfigure)" >&2
    exit 77
fi

# man (man-db) is not in every minimal image: install it when root.
if ! command -v man >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test_man: installing man-db" >&2
    "$(dirname "$0")/../scripts/apt-install" man-db >/dev/null 2>&1
fi
if ! command -v man >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && { echo "test_man: man is missing (apt-get install man-db)" >&2; exit 1; }
    echo "test_man: SKIP: man is missing (apt-get install man-db)" >&2
    exit 77
fi

# 1. man -l renders it without a warning (as lintian checks it).
warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$man" 2>&1 >/dev/null)
[ -z "$warnings" ] || err "man -l warns: $warnings"
text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$man" 2>/dev/null | sed 's/.\x08//g')
[ -n "$text" ] || err "man -l renders nothing"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    printf '%s\n' "$text" | grep -q "^$section\$" || err "no $section section"
done
# No scdoc markup may leak into the rendered page; lines that begin with "."
# or "'" in the source would be taken as roff requests and vanish.
printf '%s\n' "$text" | grep -n '\*--\|_[A-Z]*_ ' && err "scdoc markup left in the rendered page"
grep -n "^[.']" "$src" && err "a source line starts with . or ' (roff would eat it)"

. "$(dirname "$0")/help_options.sh"

# 2. The commands that "mailcodes --help" lists, each with a section of its own.
main_help=$("$bin" --help) || err "mailcodes --help failed"
commands=$(printf '%s\n' "$main_help" | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || err "no commands found in mailcodes --help"
for opt in $(printf '%s\n' "$main_help" | options_of); do
    printf '%s\n' "$text" | grep -q -- "$opt" || err "mailcodes $opt is not in the manual"
done

# The text of a command's section in the rendered page: from its heading to
# the next heading at the same level or above.
section_of() {
    printf '%s\n' "$text" | awk -v cmd="$1" '
        /^[A-Z]/ { if (on) exit }
        /^   [^ ]/ { if (on) exit; if ($1 == cmd) on = 1 }
        on { print }'
}

for cmd in $commands; do
    help=$("$bin" "$cmd" --help) || { err "mailcodes $cmd --help failed"; continue; }
    sect=$(section_of "$cmd")
    if [ -z "$sect" ]; then
        err "command '$cmd' has no section under COMMANDS"
        continue
    fi
    printf '%s\n' "$text" | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep -q "mailcodes $cmd" ||
        err "command '$cmd' is not in the SYNOPSIS"
    for opt in $(printf '%s\n' "$help" | options_of); do
        # Each option in an item of the section: a line indented as an item
        # that starts with an option ("-h, --help", "--day D, --since T").
        printf '%s\n' "$sect" | grep -- "^       -" | grep -q -- "\(^\|[ ,]\)$opt\( \|,\|\$\)" ||
            err "mailcodes $cmd $opt is not documented in the '$cmd' section of the manual"
    done
done

# 3. Every environment variable the main --help names is under ENVIRONMENT.
envsect=$(printf '%s\n' "$text" | sed -n '/^ENVIRONMENT/,/^FILES/p')
for var in $(printf '%s\n' "$main_help" | sed -n '/^environment:/,/^$/p' | grep -o '^  [A-Z_][A-Z0-9_]*'); do
    printf '%s\n' "$envsect" | grep -q "^       $var\$" || err "environment variable $var is not under ENVIRONMENT"
done

# 4. Every exit status the main --help names is under EXIT STATUS.
exitsect=$(printf '%s\n' "$text" | sed -n '/^EXIT STATUS/,/^EXAMPLES/p')
for code in $(printf '%s\n' "$main_help" | sed -n 's/^exit status: //p' | grep -o '[0-9]\+ [a-z]' | cut -d' ' -f1); do
    printf '%s\n' "$exitsect" | grep -q "^       $code\$" || err "exit status $code is not under EXIT STATUS"
done

if [ "$fail" -eq 0 ]; then
    echo "test_man: $(echo "$commands" | wc -w) commands and their options documented; man -l: no warnings"
fi
exit "$fail"
