#!/bin/sh
# test_jobs.sh BINARY DATADIR - --jobs N changes nothing but the speed: for
# real logs (a Postfix run, Exim runs, a mixed stream, envelopes and a log
# whose syslog stamps have no year and jump between months, Exim debug
# output whose lines take the time of the line before, journald JSON whose
# fields are unescaped in a per-thread buffer, a .gz), report, scan and
# ingest-then-report give byte for byte what --jobs 1 (no thread) gives,
# with 2, 3 and 7 threads and with chunks of one line, of a few lines and
# the default, so that chunk borders fall inside message transactions,
# inside a year's December-to-January step and everywhere else.  The
# reference is the single-thread path, which shares no code with the
# workers' hand-over; every reference is checked to hold events, so an
# empty output cannot pass.
set -u
bin=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "test_jobs: $*" >&2; fail=1; }

postfix=$data/postfix/mta-run/maillog
gzip -c "$postfix" >"$tmp/maillog.gz"
# Two gzip members back to back (logrotate's delaycompress may make them),
# cut inside a line, read by the inflate thread of --jobs 2 and more.
head -c 300000 "$postfix" | gzip -c >"$tmp/members.gz"
tail -c +300001 "$postfix" | gzip -c >>"$tmp/members.gz"
# A central syslog stream: a Postfix run, the mainlogs of Exim's test suite, then Exim
# debug output (its echoed outcomes have no stamp: they take the time of
# the last line that had one).
{ cat "$postfix" "$data"/exim/exim-testsuite/log/* && zcat "$data/exim-runs/debug.log.gz"; } >"$tmp/mixed.log" ||
    err "cannot write the mixed stream"
# journald's export of the Postfix run (journalctl -o json: MESSAGE,
# SYSLOG_IDENTIFIER, _HOSTNAME, _PID, __REALTIME_TIMESTAMP), derived from
# the real lines, the way test_journal.c wraps them.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$postfix" "$tmp/journal.json" <<'EOF' || err "cannot write the journald export"
import json, re, sys, datetime
out = open(sys.argv[2], "w")
for n, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="replace")):
    m = re.match(r"(\w{3} +\d+ [\d:]+) (\S+) ([^\[:]+)\[(\d+)\]: (.*)", line.rstrip("\n"))
    if not m:
        continue
    t = datetime.datetime.strptime("2026 " + m.group(1), "%Y %b %d %H:%M:%S")
    us = int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000000 + n
    out.write(json.dumps({"__REALTIME_TIMESTAMP": str(us), "_HOSTNAME": m.group(2),
                          "SYSLOG_IDENTIFIER": m.group(3), "_PID": m.group(4),
                          "MESSAGE": m.group(5)}) + "\n")
EOF
else
    cp "$postfix" "$tmp/journal.json" # no python3: the plain run once more
fi

# The Postfix run damaged as disks and senders damage logs: a line with a
# NUL, one of invalid UTF-8, lines over the reader's 1 MiB limit (two in a
# row), CRLF endings, a line of exactly 1 MiB (read, unrecognised) and a
# last line without newline.  The workers split and check lines where the
# reader did: every skip must count in the same hour, every offset match.
python3 - "$postfix" "$tmp/damaged.log" <<'EOF' || err "cannot write the damaged log"
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
out = []
for n, line in enumerate(lines):
    if n == 100:
        out.append(line[:40] + b"\0" + line[40:] + b"\n")
    if n == 2000:
        out.append(line[:30] + b"\xc3\x28" + line[30:] + b"\n")
    if n in (3000, 5000):
        out.append(b"x" * (1024 * 1024 + 1) + b"\n")
        out.append(b"y" * (3 * 1024 * 1024) + b"\n")
    if n == 6000:
        out.append(b"z" * (1024 * 1024) + b"\n")
    out.append(line + (b"\r\n" if 4000 <= n < 4100 else b"\n"))
out[-1] = out[-1].rstrip(b"\n")
open(sys.argv[2], "wb").write(b"".join(out))
EOF

# name|files: the input sets (ingest remembers each file, so each set's
# files are distinct).
# A dozen Exim runs: deliveries, deferrals, rejections, debug output (-d),
# a rejectlog.
exim_runs=""
for run in default.log default.rejectlog debug.log all.log retry_data.log smtp_connect.log \
    connection_reject.log delivery_size.log deliver_time.log queue_time.log tls_cipher.log 8bitmime.log; do
    [ -f "$data/exim-runs/$run.gz" ] && exim_runs="$exim_runs $data/exim-runs/$run.gz"
done
sets="postfix|$postfix
exim|$exim_runs
mixed|$tmp/mixed.log
envelopes|$(ls "$data"/envelopes/*.log | tr "\n" " ") $data/postfix/fail2ban-postfix.log $data/sample.log
gz|$tmp/maillog.gz
members|$tmp/members.gz
damaged|$tmp/damaged.log
journal|$tmp/journal.json"

# report: JSON (totals, messages, unrecognised shapes) with rows by every
# dimension that carries a time or a string taken from the line.
report() { # report OUT ARGS...
    out=$1
    shift
    "$bin" report --format json --top 0 --by hour,mta,host,direction,status,stage,code,enhanced,reason,domain,relay,client,sender,recipient "$@" >"$out.json" 2>"$out.err" ||
        return 1
    sed 's/"last_ingest": "[^"]*"/"last_ingest": ""/' "$out.json" >"$out"
}

same() { # same WHAT REF OUT
    cmp -s "$2" "$3" || { err "$1 differs from --jobs 1:"; diff "$2" "$3" | head -5 >&2; }
}

echo "$sets" | while IFS='|' read -r name files; do
    # shellcheck disable=SC2086 # files is a list
    report "$tmp/$name.ref" --jobs 1 $files || err "$name: report --jobs 1 failed: $(cat "$tmp/$name.ref.err")"
    grep -q '"events": [1-9]' "$tmp/$name.ref" || err "$name: the reference counts no event"
    # The damage, counted by construction: 7 lines added, 6 of them skipped.
    [ "$name" != damaged ] || grep -q "\"lines\": $(($(wc -l <"$postfix") + 7)), \"events\": [0-9]*, \"skipped\": 6," "$tmp/$name.ref" ||
        err "damaged: the reference does not count 7 more lines, 6 skipped"
    # shellcheck disable=SC2086
    "$bin" scan --jobs 1 $files >"$tmp/$name.scan.ref" 2>/dev/null
    # jobs|chunk bytes ("": the default)
    for run in "2|" "3|1" "7|300"; do
        jobs=${run%|*} chunk=${run#*|}
        # shellcheck disable=SC2086
        MAILCODES_CHUNK_BYTES=$chunk report "$tmp/$name.out" --jobs "$jobs" $files ||
            err "$name: report --jobs $jobs (chunk '$chunk') failed"
        same "$name: report --jobs $jobs (chunk '$chunk')" "$tmp/$name.ref" "$tmp/$name.out"
        # shellcheck disable=SC2086
        MAILCODES_CHUNK_BYTES=$chunk "$bin" scan -j "$jobs" $files >"$tmp/$name.scan" 2>/dev/null
        same "$name: scan -j $jobs (chunk '$chunk')" "$tmp/$name.scan.ref" "$tmp/$name.scan"
    done
    [ -s "$tmp/$name.scan.ref" ] || err "$name: scan found no event"

    # ingest into a fresh database, then report from it; and the same
    # bytes through a pipe (standard input: read-ahead stops where a read
    # would block; one stream, so compared with one stream).
    # jobs|chunk bytes|how
    for run in "1||files" "3|1|files" "1||pipe" "7|300|pipe"; do
        jobs=${run%%|*} how=${run##*|} chunk=${run#*|} chunk=${chunk%|*}
        rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm"
        if [ "$how" = files ]; then
            # shellcheck disable=SC2086
            MAILCODES_CHUNK_BYTES=$chunk "$bin" ingest -q --db "$tmp/db" --jobs "$jobs" $files
        else
            # shellcheck disable=SC2086
            zcat -f $files | MAILCODES_CHUNK_BYTES=$chunk "$bin" ingest -q --db "$tmp/db" --jobs "$jobs" -
        fi || err "$name: ingest --jobs $jobs ($how) failed"
        report "$tmp/$name.$how.$jobs" --db "$tmp/db" || err "$name: report from the database failed"
    done
    grep -q '"events": [1-9]' "$tmp/$name.files.1" || err "$name: the database of ingest --jobs 1 counts no event"
    same "$name: ingest --jobs 3" "$tmp/$name.files.1" "$tmp/$name.files.3"
    same "$name: ingest --jobs 7 from a pipe" "$tmp/$name.pipe.1" "$tmp/$name.pipe.7"
    [ $fail -eq 0 ] || exit 1
done || fail=1

# trace: an address (its filter learns queue ids as it goes, in log order).
"$bin" trace --jobs 1 --format json a@alpha.test "$postfix" >"$tmp/trace.ref" 2>/dev/null
for jobs in 2 7; do
    MAILCODES_CHUNK_BYTES=1 "$bin" trace --jobs $jobs --format json a@alpha.test "$postfix" >"$tmp/trace.out" 2>/dev/null
    same "trace --jobs $jobs" "$tmp/trace.ref" "$tmp/trace.out"
done

# A .gz cut short: the events before the cut, the same error and exit
# status, whether this thread inflates or the inflate thread does.
head -c 100000 "$tmp/maillog.gz" >"$tmp/cut.gz"
for jobs in 1 2; do
    "$bin" scan --jobs $jobs "$tmp/cut.gz" >"$tmp/cut.$jobs" 2>"$tmp/cut.err.$jobs"
    echo "rc $?" >>"$tmp/cut.err.$jobs"
done
grep -q 'truncated gzip data' "$tmp/cut.err.1" || err "cut.gz: --jobs 1 does not say the data is truncated"
[ -s "$tmp/cut.1" ] || err "cut.gz: --jobs 1 shows no event before the cut"
same "cut.gz: scan --jobs 2" "$tmp/cut.1" "$tmp/cut.2"
same "cut.gz: the error of scan --jobs 2" "$tmp/cut.err.1" "$tmp/cut.err.2"

# Bad values are usage errors.
for bad in 0 -1 65 x ""; do
    "$bin" report --jobs "$bad" "$postfix" >/dev/null 2>&1
    [ $? -eq 1 ] || err "--jobs '$bad' is not a usage error"
done
exit $fail
