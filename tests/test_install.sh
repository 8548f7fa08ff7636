#!/bin/sh
# test_install.sh SOURCE_DIR BUILD_BINARY - mailcodes installs like a system
# tool: "meson install" into a temporary prefix puts the binary, the rules,
# the manual page, the bash completion, the systemd units, their helpers,
# the sysusers.d file and default/mailcodes in their places; the installed
# binary finds the installed rules (and --rules / MAILCODES_RULES still
# win); the build-tree binary finds the source tree's rules; a DESTDIR
# install stages the same files; systemd-analyze verify accepts the
# installed units; and the two helper scripts do their job with a fake
# sendmail and a fake journalctl.
set -u
src=$(cd "$1" && pwd) build_bin=$2
fail=0
err() { echo "test_install: FAIL: $*" >&2; fail=1; }
note() { echo "test_install: $*"; }

tmp=$(mktemp -d /tmp/mailcodes-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

# A build of its own, configured for the temporary prefix.
if ! meson setup "$tmp/build" "$src" --prefix="$prefix" -Dtests=false >"$tmp/setup.log" 2>&1; then
    cat "$tmp/setup.log" >&2
    exit 1
fi
if ! meson install -C "$tmp/build" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log" >&2
    exit 1
fi

have_man=1
grep -q "Program scdoc found: YES" "$tmp/setup.log" || have_man=0
if [ "$have_man" = 0 ]; then
    if [ "${CI:-}" = true ]; then err "scdoc is missing: no manual page"; else note "SKIP the manual page: no scdoc"; fi
fi

# 1. Every file in its place.
expect="bin/mailcodes
share/mailcodes/rules/codes.conf
share/mailcodes/rules/enhanced.conf
share/mailcodes/rules/reasons.conf
share/mailcodes/rules/stages.conf
share/mailcodes/rules/mta/postfix.conf
share/mailcodes/rules/lang/en.conf
share/bash-completion/completions/mailcodes
lib/systemd/system/mailcodes-follow.service
lib/systemd/system/mailcodes-journal.service
lib/systemd/system/mailcodes-report.service
lib/systemd/system/mailcodes-report.timer
lib/sysusers.d/mailcodes.conf
libexec/mailcodes/mailcodes-journal
libexec/mailcodes/mailcodes-mail-report
etc/default/mailcodes
share/doc/mailcodes/CONTRACT.md"
[ "$have_man" = 1 ] && expect="$expect
share/man/man1/mailcodes.1"
for f in $expect; do
    [ -f "$prefix/$f" ] || err "not installed: $f"
done
for f in bin/mailcodes libexec/mailcodes/mailcodes-journal libexec/mailcodes/mailcodes-mail-report; do
    [ -x "$prefix/$f" ] || err "not executable: $f"
done
grep -rn "@[a-zA-Z]*@" "$prefix/lib/systemd" "$prefix/libexec" && err "an @placeholder@ was left unsubstituted"
grep -q "^ExecStart=$prefix/bin/mailcodes ingest --follow" "$prefix/lib/systemd/system/mailcodes-follow.service" ||
    err "mailcodes-follow.service does not run the installed binary"

# 2. The installed binary, run from elsewhere, finds the installed rules:
# mark them, and look for the mark.
sed -i 's/^description = Description$/description = Description (installed rules)/' \
    "$prefix/share/mailcodes/rules/lang/en.conf"
out=$(cd / && env -u MAILCODES_RULES "$prefix/bin/mailcodes" explain 550 2>&1) || err "installed explain 550 failed: $out"
echo "$out" | grep -q "Description (installed rules)" || err "the installed binary did not use the installed rules"
# --rules and MAILCODES_RULES win over them.
out=$(cd / && MAILCODES_RULES=$src/rules "$prefix/bin/mailcodes" explain 550 2>&1)
echo "$out" | grep -q "installed rules" && err "MAILCODES_RULES did not win over the installed rules"
out=$(cd / && env -u MAILCODES_RULES "$prefix/bin/mailcodes" explain 550 --rules "$src/rules" 2>&1)
echo "$out" | grep -q "installed rules" && err "--rules did not win over the installed rules"
# A report on a real log, from the installed paths alone.
out=$(cd / && env -u MAILCODES_RULES "$prefix/bin/mailcodes" report --format json "$src/tests/data/sample.log" 2>&1) ||
    err "installed report failed: $out"
echo "$out" | grep -q '"events": [1-9]' || err "installed report found no events: $out"
# The build-tree binary finds the source tree's rules.
out=$(cd / && env -u MAILCODES_RULES "$build_bin" explain 550 2>&1) || err "build-tree explain 550 failed: $out"
echo "$out" | grep -q "installed rules" && err "the build-tree binary used installed rules"

# 3. DESTDIR staging: the same files, under DESTDIR.
if DESTDIR=$tmp/stage meson install -C "$tmp/build" >"$tmp/destdir.log" 2>&1; then
    for f in $expect; do
        [ -f "$tmp/stage$prefix/$f" ] || err "DESTDIR install lacks $f"
    done
    [ "$(cd "$prefix" && find . -type f | sort)" = "$(cd "$tmp/stage$prefix" && find . -type f | sort)" ] ||
        err "DESTDIR install differs from the prefix install"
else
    cat "$tmp/destdir.log" >&2
    err "DESTDIR install failed"
fi

# 4. The manual page: found by man -w under the prefix, renders clean.
if [ "$have_man" = 1 ] && command -v man >/dev/null 2>&1; then
    MANPATH=$prefix/share/man man -w mailcodes >/dev/null 2>&1 || err "man -w mailcodes does not find the page"
    w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
        "$prefix/share/man/man1/mailcodes.1" 2>&1 >/dev/null)
    [ -z "$w" ] || err "man warns: $w"
fi

# 5. The completion loads in bash and completes.
out=$(bash -c '. "$1" && COMP_WORDS=(mailcodes rep) COMP_CWORD=1 && _mailcodes && echo "${COMPREPLY[@]}"' \
    _ "$prefix/share/bash-completion/completions/mailcodes" 2>&1)
[ "$out" = report ] || err "the installed completion does not complete 'rep': $out"

# 6. systemd-analyze verify: no complaint at all (it warns and exits 0 on a
# setting it ignores, so its output is what counts).
if ! command -v systemd-analyze >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing systemd (for systemd-analyze)"
    "$src/scripts/apt-install" systemd >/dev/null 2>&1
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    man_opt=--man=yes
    [ "$have_man" = 1 ] || man_opt=--man=no
    if out=$(cd "$prefix/lib/systemd/system" && MANPATH="$prefix/share/man:" \
        systemd-analyze verify "$man_opt" ./mailcodes-*.service ./mailcodes-*.timer 2>&1) && [ -z "$out" ]; then
        note "systemd-analyze verify: $(cd "$prefix/lib/systemd/system" && echo mailcodes-*) OK"
    else
        err "systemd-analyze verify: $out"
    fi
    note "$(cd "$prefix/lib/systemd/system" && for u in mailcodes-follow.service mailcodes-journal.service; do
        systemd-analyze security --offline=true "./$u" 2>/dev/null | tail -1; done | tr -d '→' | tr '\n' ';')"
elif [ "${CI:-}" = true ]; then
    err "systemd-analyze is missing (apt-get install systemd)"
else
    note "SKIP systemd-analyze verify: not installed"
fi

# 7. The report mailer, with a fake sendmail: headers, body, and an error
# mailed (and returned) when there is no database.
cat >"$tmp/sendmail" <<'FAKE'
#!/bin/sh
echo "$*" >"$0.args"
cat >"$0.out"
FAKE
chmod +x "$tmp/sendmail"
db=$tmp/state/mailcodes.db
mkdir -p "$tmp/state"
env -u MAILCODES_RULES MAILCODES_DB="$db" "$prefix/bin/mailcodes" ingest --quiet "$src/tests/data/sample.log" ||
    err "ingest into $db failed"
day=$(env -u MAILCODES_RULES "$prefix/bin/mailcodes" scan "$src/tests/data/sample.log" | head -1 | sed -n 's/.*"time": "\([0-9-]\{10\}\).*/\1/p')
MAILCODES_SENDMAIL=$tmp/sendmail MAILCODES_DB=$db MAILCODES_MAILTO=pm@example.org MAILCODES_DAY=$day \
    MAILCODES_REPORT_ARGS="--by code --top 5" "$prefix/libexec/mailcodes/mailcodes-mail-report" || err "mail-report failed"
grep -q "^To: pm@example.org$" "$tmp/sendmail.out" || err "report mail has no To: line"
grep -q "^Subject: mailcodes report for .*: $day$" "$tmp/sendmail.out" || err "report mail has no Subject: line"
grep -q "^Content-Type: text/plain; charset=UTF-8$" "$tmp/sendmail.out" || err "report mail has no charset"
grep -q "^-t -oi$" "$tmp/sendmail.args" || err "sendmail not called with -t -oi"
grep -q "550" "$tmp/sendmail.out" || err "report mail has no report: $(cat "$tmp/sendmail.out")"
MAILCODES_SENDMAIL=$tmp/sendmail MAILCODES_DB=$tmp/none.db "$prefix/libexec/mailcodes/mailcodes-mail-report"
[ $? -eq 3 ] || err "mail-report without a database did not exit 3"
grep -q "^Subject: .*(failed)$" "$tmp/sendmail.out" || err "a failed report is not mailed as failed"

# 8. The journal feeder, with a fake journalctl that prints two entries,
# saves a cursor, and then fails (which ends the feeder).
cat >"$tmp/journalctl" <<'FAKE'
#!/bin/sh
echo "$*" >>"$0.args"
[ -e "$0.done" ] && exit 1
touch "$0.done"
for a; do case $a in --cursor-file=*) echo "s=1;i=2" >"${a#--cursor-file=}" ;; esac; done
printf '%s\n' '{"__REALTIME_TIMESTAMP":"1795434726123456","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"7","_HOSTNAME":"mx1","MESSAGE":"F34FF10408E: to=<q@alpha.test>, relay=127.0.0.2[127.0.0.2]:25, delay=0.09, delays=0.01/0.07/0.01/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)"}' \
    '{"__REALTIME_TIMESTAMP":"1795434727000000","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"7","_HOSTNAME":"mx1","MESSAGE":"056D6104096: to=<h@refused.test>, relay=none, delay=0.13, delays=0.01/0.13/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.40[127.0.0.40]:25: Connection refused)"}'
FAKE
chmod +x "$tmp/journalctl"
jdb=$tmp/jstate/mailcodes.db
mkdir -p "$tmp/jstate"
STATE_DIRECTORY=$tmp/jstate MAILCODES_DB=$jdb MAILCODES_JOURNALCTL=$tmp/journalctl MAILCODES_JOURNAL_INTERVAL=0 \
    MAILCODES_JOURNAL_MATCH="SYSLOG_FACILITY=2 + _SYSTEMD_UNIT=exim4.service" \
    timeout 60 "$prefix/libexec/mailcodes/mailcodes-journal" 2>"$tmp/journal.err"
grep -q -- "--output=json --all --cursor-file=$tmp/jstate/journal.cursor SYSLOG_FACILITY=2 + _SYSTEMD_UNIT=exim4.service" \
    "$tmp/journalctl.args" || err "journalctl called as: $(cat "$tmp/journalctl.args")"
[ -s "$tmp/jstate/journal.cursor" ] || err "no cursor file"
out=$(env -u MAILCODES_RULES "$prefix/bin/mailcodes" report --db "$jdb" --by status --format json 2>&1)
echo "$out" | grep -q '"events": 2,' || err "the journal feeder stored: $out $(cat "$tmp/journal.err")"

[ "$fail" -eq 0 ] && note "prefix and DESTDIR installs, installed rules, man page, completion, units and helpers: OK"
exit "$fail"
