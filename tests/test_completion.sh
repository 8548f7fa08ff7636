#!/bin/bash
# test_completion.sh BINARY COMPLETION - the bash completion offers every
# command of "mailcodes --help", every option of each "mailcodes COMMAND
# --help", the --format values of each usage line, the --by keys and the
# --lang values the help names; and completes files, directories and comma
# lists.  A new command, option or value fails this test until the
# completion (contrib/bash-completion/mailcodes) offers it.
set -u
bin=$1
# shellcheck source=/dev/null
source "$2" || exit 1
fail=0
err() { echo "test_completion: $*" >&2; fail=1; }

# complete WORD... : what the completion offers for the last word.
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _mailcodes
    printf '%s\n' "${COMPREPLY[@]}"
}
offers() { # offers "what" WORD... -- EXPECTED...
    local what=$1 words=() got
    shift
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    got=$(complete_words "${words[@]}")
    for want in "$@"; do
        grep -qxF -- "$want" <<<"$got" || err "$what: '${words[*]}' does not offer '$want' (offers: ${got//$'\n'/ })"
    done
}

. "$(dirname "$0")/help_options.sh"

main_help=$("$bin" --help)
commands=$(sed -n '/^commands:/,/^$/p' <<<"$main_help" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || err "no commands in mailcodes --help"
# Word splitting of the lists below is wanted.
# shellcheck disable=SC2086
offers commands mailcodes "" -- $commands --help --version
# shellcheck disable=SC2086
offers "help COMMAND" mailcodes help "" -- $commands

for cmd in $commands; do
    help=$("$bin" "$cmd" --help)
    # shellcheck disable=SC2046
    offers "$cmd options" mailcodes "$cmd" - -- $(options_of <<<"$help" | grep -- "^--")
    # --format values, from the usage lines: [--format text|json|...]
    formats=$(grep -o -- '--format [a-z|]*' <<<"$help" | head -1 | cut -d' ' -f2 | tr '|' ' ')
    # shellcheck disable=SC2086
    [ -z "$formats" ] || offers "$cmd --format" mailcodes "$cmd" --format "" -- $formats
    # --lang values: the two-letter codes of the --lang line.
    langs=$(grep -- '^ *--lang' <<<"$help" | sed 's/^ *--lang L *//' | grep -o '\b[a-z][a-z]\b')
    # shellcheck disable=SC2086
    [ -z "$langs" ] || offers "$cmd --lang" mailcodes "$cmd" --lang "" -- $langs
    # --by keys: from "comma list of:" to the parenthesis.
    keys=$(awk '/^ +--by KEYS/ { on = 1 } on { print } on && /\(/ { exit }' <<<"$help" |
        tr '\n' ' ' | sed -n 's/.*comma list of: *\([^(]*\)(.*/\1/p')
    if grep -q -- '--by KEYS' <<<"$help"; then
        [ -n "$keys" ] || err "$cmd --by: no keys found in --help"
        # shellcheck disable=SC2086
        offers "$cmd --by" mailcodes "$cmd" --by "" -- $keys
    fi
done

# Comma lists, --opt=value, files and directories.
offers "--by list" mailcodes report --by code,enh -- code,enhanced
offers "--format=" mailcodes report --format = j -- json
offers "--day" mailcodes report --day "" -- today yesterday
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/rules.d" && touch "$dir/mail.log" "$dir/mail.log.1.gz"
offers "log files" mailcodes ingest "$dir/mail" -- "$dir/mail.log" "$dir/mail.log.1.gz"
offers "--db file" mailcodes report --db "$dir/ma" -- "$dir/mail.log"
offers "--rules dir" mailcodes scan --rules "$dir/r" -- "$dir/rules.d"
[ -z "$(complete_words mailcodes scan --rules "$dir/mail")" ] || err "--rules offers files"

[ "$fail" -eq 0 ] && echo "test_completion: $(wc -w <<<"$commands") commands, their options and values offered"
exit "$fail"
