#!/usr/bin/env bash
# tests/html_render.sh BIN [ARTIFACT_DIR] - render the HTML report in headless
# Chromium (Debian's chromium, installed here when missing): the page must
# load without console errors or network requests, and every chart must
# have a non-zero size.  A screenshot is kept in ARTIFACT_DIR (not in git).
set -euo pipefail
bin=$1
art=${2:-build/artifacts}
data=$(cd "$(dirname "$0")/data" && pwd)
if [ "${MAILCODES_SKIP_BROWSER:-0}" = 1 ]; then
  echo "html_render: SKIP: MAILCODES_SKIP_BROWSER=1" >&2
  exit 77
fi
command -v chromium >/dev/null || "$(dirname "$0")/../scripts/apt-install" chromium
mkdir -p "$art"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0)

for lang in en ar; do
  "$bin" report "$data/postfix/mta-run/maillog" --format html --lang "$lang" > "$tmp/report-$lang.html"
  # A probe copy: a script measures the charts and counts errors into the title.
  sed 's|</body>|<script>window.addEventListener("load",function(){var s=document.querySelectorAll("svg"),m=1e9;for(var i=0;i<s.length;i++){var r=s[i].getBoundingClientRect();m=Math.min(m,r.width*r.height);}document.title="PROBE svgs="+s.length+" minarea="+Math.round(m)+" dir="+document.documentElement.dir+" resources="+performance.getEntriesByType("resource").length;});</script></body>|' \
    "$tmp/report-$lang.html" > "$tmp/probe-$lang.html"
  "${chrome[@]}" --virtual-time-budget=3000 --dump-dom "file://$tmp/probe-$lang.html" > "$tmp/dom-$lang" 2> "$tmp/log-$lang" || true
  title=$(grep -o '<title>PROBE[^<]*' "$tmp/dom-$lang" | sed 's/<title>//' || true)
  echo "html_render: $lang: ${title:-no probe result}"
  [[ "$title" =~ svgs=3\  ]] || { echo "html_render: expected 3 charts" >&2; cat "$tmp/log-$lang" >&2; exit 1; }
  [[ "$title" =~ minarea=0$|minarea=0\  ]] && { echo "html_render: a chart has zero size" >&2; exit 1; }
  [[ "$title" =~ resources=0$ ]] || { echo "html_render: the page fetched resources" >&2; exit 1; }
  if [ "$lang" = ar ]; then [[ "$title" =~ dir=rtl ]] || { echo "html_render: Arabic page is not rtl" >&2; exit 1; }; fi
  if grep -E 'CONSOLE|Uncaught|Failed to load' "$tmp/log-$lang" >&2; then
    echo "html_render: console errors" >&2; exit 1
  fi
  "${chrome[@]}" --window-size=1200,2200 --screenshot="$art/report-$lang.png" "file://$tmp/report-$lang.html" \
    > /dev/null 2>&1 || true
done
echo "html_render: 2 pages rendered without errors; screenshots in $art"
