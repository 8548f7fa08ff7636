#!/usr/bin/env bash
# tests/promtool.sh BIN - `report --format prom` must pass `promtool check
# metrics` (the linter Prometheus ships).  promtool comes from Debian's
# prometheus package, unpacked into a temporary folder rather than
# installed, so no Prometheus server is set up on the machine.
set -euo pipefail
bin=$1
data=$(cd "$(dirname "$0")/data" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1 && dpkg-deb -x prometheus_*.deb x) || {
    [ "$(id -u)" -eq 0 ] && apt-get -o DPkg::Lock::Timeout=600 update -qq && (cd "$tmp" && apt-get download prometheus >/dev/null && dpkg-deb -x prometheus_*.deb x)
  }
  promtool=$tmp/x/usr/bin/promtool
fi
for log in "$data/postfix/mta-run/maillog" "$data/exim/exim-testsuite/log/0099"; do
  "$bin" report "$log" --format prom > "$tmp/out.prom"
  if ! out=$("$promtool" check metrics < "$tmp/out.prom" 2>&1) || [ -n "$out" ]; then
    echo "promtool: $log: $out" >&2
    exit 1
  fi
done
echo "promtool: check metrics passes on 2 reports"
