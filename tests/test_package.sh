#!/bin/sh
# test_package.sh SOURCE_DIR - the Debian package: build it with
# "dpkg-buildpackage -us -uc -b" from a clean copy of the source tree, check
# it with lintian (no error), install it with dpkg -i, use it from the
# installed paths (mailcodes explain 550, a report on the sample log, man -w
# mailcodes, the completion, the units with systemd-analyze verify, the
# system user and its state directory), then purge it and check that it is
# gone.
#
# It changes the system (packages, a user), so it runs only as root on
# Debian, and not when mailcodes is already installed from elsewhere
# (MAILCODES_PACKAGE_TEST=force overrides that).  Under CI (CI=true) a reason
# to skip is a failure.  MAILCODES_SKIP_PACKAGE_TEST=1 skips it: debian/rules
# sets that, so that a package build never recurses into this test.
set -u
src=$(cd "$1" && pwd)
t0=$(date +%s)
note() { echo "test_package: $*"; }
skip() {
    if [ "${CI:-}" = true ] && [ "${MAILCODES_SKIP_PACKAGE_TEST:-0}" != 1 ]; then
        echo "test_package: FAIL: cannot run under CI: $*" >&2
        exit 1
    fi
    echo "test_package: SKIP: $*" >&2
    exit 77
}
fail=0
err() { echo "test_package: FAIL: $*" >&2; fail=1; }

[ "${MAILCODES_SKIP_PACKAGE_TEST:-0}" != 1 ] || skip "MAILCODES_SKIP_PACKAGE_TEST=1 (inside a package build)"
[ "$(id -u)" -eq 0 ] || skip "needs root (it installs and purges the package)"
if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    skip "not a Debian system"
fi
# One run at a time on a machine: two would install and purge the same
# package under each other (several builds of the tree may run their tests
# at once).
lockdir=/run/lock
[ -d "$lockdir" ] && [ -w "$lockdir" ] || lockdir=/tmp
exec 9>"$lockdir/mailcodes-package-test.lock"
if command -v flock >/dev/null 2>&1 && ! flock -w 600 9; then
    echo "test_package: FAIL: another run has held the lock for 10 minutes" >&2
    exit 1
fi

if dpkg-query -W -f='${Status}' mailcodes 2>/dev/null | grep -q "ok installed" &&
    [ "${MAILCODES_PACKAGE_TEST:-}" != force ]; then
    skip "the mailcodes package is already installed here (MAILCODES_PACKAGE_TEST=force to replace and purge it)"
fi
[ ! -e /usr/bin/mailcodes ] || dpkg -S /usr/bin/mailcodes >/dev/null 2>&1 || [ "${MAILCODES_PACKAGE_TEST:-}" = force ] ||
    skip "/usr/bin/mailcodes exists and belongs to no package"

tmp=$(mktemp -d /tmp/mailcodes-package-XXXXXX)
# shellcheck disable=SC2317
cleanup() {
    # Never leave the package behind, whatever failed.
    if dpkg-query -W -f='${Status}' mailcodes 2>/dev/null | grep -qv "not-installed"; then
        dpkg --purge mailcodes >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive

# 1. The tools and the build dependencies, installed when missing.
apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
        apt_updated=1
    fi
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "$@" >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; return 1; }
}
tools=""
for p in dpkg-dev debhelper lintian man-db; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || tools="$tools $p"
done
# shellcheck disable=SC2086
[ -z "$tools" ] || { note "installing$tools"; apt_install $tools || exit 1; }

# 2. A clean copy of the source tree: what a checkout holds, none of the
# build directories or package leftovers of this one.
mkdir "$tmp/src"
(cd "$src" && tar -cf - --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
    --exclude=./debian/.debhelper --exclude=./debian/mailcodes --exclude=./debian/files \
    --exclude='./debian/*.substvars' --exclude=./debian/debhelper-build-stamp \
    --exclude='./debian/*.debhelper.log' --exclude='*.db' --exclude=__pycache__ .) | (cd "$tmp/src" && tar -xf -)
cd "$tmp/src" || exit 1
if ! dpkg-checkbuilddeps -Pnocheck >/dev/null 2>&1; then
    note "installing the build dependencies"
    if [ "$apt_updated" = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
    apt-get build-dep -y -qq -o DPkg::Lock::Timeout=600 -Pnocheck ./ >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; exit 1; }
fi

# 3. The package.  The test suite has just run on this tree: nocheck.
if ! DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1; then
    tail -40 "$tmp/build.log" >&2
    echo "test_package: FAIL: dpkg-buildpackage -us -uc -b" >&2
    exit 1
fi
deb=$(ls "$tmp"/mailcodes_*.deb)
note "built $(basename "$deb") in $(($(date +%s) - t0)) s"
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/contents"
for f in ./usr/bin/mailcodes ./usr/share/mailcodes/rules/codes.conf ./usr/share/man/man1/mailcodes.1.gz \
    ./usr/share/bash-completion/completions/mailcodes ./lib/systemd/system/mailcodes-follow.service \
    ./lib/systemd/system/mailcodes-journal.service ./lib/systemd/system/mailcodes-report.service \
    ./lib/systemd/system/mailcodes-report.timer ./etc/default/mailcodes ./usr/share/doc/mailcodes/copyright \
    ./usr/share/doc/mailcodes/CONTRACT.md; do
    grep -qxF "$f" "$tmp/contents" || err "the package lacks $f"
done

# 4. lintian: no error; warnings are listed (see debian/ for the overrides
# and README.md for the ones explained).
lintian --fail-on error --display-info "$deb" >"$tmp/lintian.log" 2>&1
lrc=$?
grep -v "running with root privileges" "$tmp/lintian.log" | sed 's/^/test_package: lintian: /'
[ "$lrc" -eq 0 ] || err "lintian reports errors"
note "lintian: $(grep -c '^E:' "$tmp/lintian.log") errors, $(grep -c '^W:' "$tmp/lintian.log") warnings, $(grep -c '^I:' "$tmp/lintian.log") info"

# 5. Install it with dpkg -i (apt-get -f brings a missing dependency).
user_existed=0
getent passwd mailcodes >/dev/null && user_existed=1
if ! dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
    apt-get install -f -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends >>"$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log" >&2; err "the package does not install"; exit 1; }
fi
dpkg-query -W -f='${Status}' mailcodes 2>/dev/null | grep -q "ok installed" ||
    { cat "$tmp/install.log" >&2; err "the package does not install"; exit 1; }

cd / || exit 1
out=$(env -u MAILCODES_RULES mailcodes explain 550 2>&1) || err "mailcodes explain 550: $out"
echo "$out" | grep -q "^550 " || err "mailcodes explain 550 printed: $out"
out=$(env -u MAILCODES_RULES mailcodes report --format json "$src/tests/data/sample.log" 2>&1) || err "report: $out"
echo "$out" | grep -q '"events": [1-9]' || err "the report on the sample log found no events: $out"
man -w mailcodes >/dev/null 2>&1 || err "man -w mailcodes finds no page"
w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$(man -w mailcodes)" 2>&1 >/dev/null)
[ -z "$w" ] || err "man warns: $w"
[ "$(bash -c '. /usr/share/bash-completion/completions/mailcodes && COMP_WORDS=(mailcodes expl) COMP_CWORD=1 && _mailcodes && echo "${COMPREPLY[*]}"')" = explain ] ||
    err "the installed completion does not complete"
id -Gn mailcodes 2>/dev/null | tr ' ' '\n' | grep -qx adm || err "no user mailcodes in group adm"
[ "$(stat -c %U:%a /var/lib/mailcodes 2>/dev/null)" = mailcodes:750 ] || err "/var/lib/mailcodes is not mailcodes's, 0750"
dpkg-query -W -f='${Conffiles}\n' mailcodes | grep -q /etc/default/mailcodes || err "/etc/default/mailcodes is not a conffile"
# The system user can ingest into its state directory, as the services do.
out=$(runuser -u mailcodes -- env MAILCODES_DB=/var/lib/mailcodes/mailcodes.db mailcodes ingest --quiet \
    /usr/share/doc/mailcodes/copyright 2>&1) || err "ingest as the mailcodes user: $out"
[ -f /var/lib/mailcodes/mailcodes.db ] || err "ingest as the mailcodes user made no database"
if command -v systemd-analyze >/dev/null 2>&1; then
    out=$(systemd-analyze verify /lib/systemd/system/mailcodes-follow.service /lib/systemd/system/mailcodes-journal.service \
        /lib/systemd/system/mailcodes-report.service /lib/systemd/system/mailcodes-report.timer 2>&1)
    [ -z "$out" ] || err "systemd-analyze verify of the installed units: $out"
fi
note "installed: explain, report, man -w ($(man -w mailcodes)), completion, user, state directory, units: checked"

# 6. Purge: nothing left but the system user (removed too when this test
# created it, to leave the machine as it found it).
dpkg --purge mailcodes >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; err "dpkg --purge failed"; }
for f in /usr/bin/mailcodes /usr/share/mailcodes /var/lib/mailcodes /etc/default/mailcodes /lib/systemd/system/mailcodes-follow.service; do
    [ ! -e "$f" ] || err "$f is left after purge"
done
if [ "$user_existed" = 0 ] && getent passwd mailcodes >/dev/null; then
    deluser --quiet --system mailcodes >/dev/null 2>&1 || userdel mailcodes
fi
[ "$fail" -eq 0 ] && note "built, lintian, installed, used, purged: OK in $(($(date +%s) - t0)) s"
exit "$fail"
