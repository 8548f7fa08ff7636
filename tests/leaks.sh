#!/usr/bin/env bash
# tests/leaks.sh BIN - valgrind must report no leak and no error on ingest,
# report (database and in-memory), scan, explain and compare.
set -euo pipefail
bin=$1
data=$(cd "$(dirname "$0")/data" && pwd)
command -v valgrind >/dev/null || "$(dirname "$0")/../scripts/apt-install" valgrind
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -1500 "$data/postfix/mta-run/maillog" > "$tmp/log"
vg=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99)
# run EXPECTED_STATUS ARGS...: valgrind's own status 99 means a leak or error
run() {
  local want=$1; shift
  local rc=0
  "${vg[@]}" "$bin" "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "leaks: mailcodes $* exited $rc under valgrind (wanted $want)" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
}
run 0 ingest --quiet --db "$tmp/db" "$tmp/log"
run 0 report --db "$tmp/db" --format json --by code,enhanced,reason
run 0 report "$tmp/log" --by domain --top 5
run 0 scan "$tmp/log"
run 0 explain 421
run 0 explain --format json "550 5.7.1 blocked using zen.spamhaus.org"
run 0 compare 220 521 --lang de
run 1 report --bogus-option
run 3 report --db "$tmp/missing.db"
run 1 explain 999
echo "leaks: 10 commands, no leak and no error under valgrind"
