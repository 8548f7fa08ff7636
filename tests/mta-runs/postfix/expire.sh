#!/bin/sh
# expire.sh - run Postfix 3.7 once to write qmgr's expired lines, and keep the log.
#
#   tests/mta-runs/postfix/expire.sh OUTDIR [COUNT]
#
# The same instance as run.sh (main.cf.in, master.cf.in: everything under a
# fresh temporary directory, nothing on port 25), changed by postconf so that
# mail leaves the queue only by expiring: every remote recipient goes to
# retry(8), which defers it ("status=deferred"), and with
# maximal_queue_lifetime and bounce_queue_lifetime 0 qmgr returns each
# deferred message at once ("QID: from=<...>, status=expired, returned to
# sender"); the bounces it writes (sender <>) go the same way.  A second
# batch waits with the lifetimes at 5 days until "postsuper -e ALL" expires
# it by hand ("status=force-expired").  COUNT (default 600) messages in the
# first batch, COUNT/6 in the second, from senders of varied shapes (quoted
# local parts, subaddresses, the null sender) and of varied sizes, submitted
# with sendmail(1) (pickup).  Needs: postfix (Debian 12: 3.7); run as root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
count=${2:-600}
PORT=${PORT:-2725}
PORT2=${PORT2:-2726}
mkdir -p "$out"
. "$here/instance.sh"
instance_make postfix-expire
pc() { postconf -c "$dir/etc" -e "$@"; }
pc "default_transport = retry:remote delivery is off in this run" \
   "relay_transport = retry:remote delivery is off in this run" \
   "maximal_queue_lifetime = 0" "bounce_queue_lifetime = 0" \
   "queue_run_delay = 1s" "minimal_backoff_time = 1s" "maximal_backoff_time = 2s"
instance_start
# senders of varied shapes; the recipients are remote (retry: deferred)
sender() {
    case $(( $1 % 7 )) in
    0) echo 'user@sender.test' ;;
    1) echo 'alice+list@sub.sender.test' ;;
    2) echo '"john doe"@quoted.test' ;;
    3) echo 'bounce-123=x@lists.example.org' ;;
    4) echo 'MAILER@UPPER.TEST' ;;
    5) echo 'a@b.test.invalid' ;;
    *) echo 'noreply@x.test' ;;
    esac
}
send() { # n: one message of (n % 40 + 1) body lines from the n-th sender
    n=$1
    s=$(sender "$n")
    [ $(( n % 11 )) -eq 0 ] && s=''
    {
        printf 'Subject: expire run %s\n\n' "$n"
        i=0; while [ $i -lt $(( n % 40 + 1 )) ]; do
            printf 'line %s of a message that will expire in the queue\n' "$i"; i=$((i + 1)); done
    } | sendmail -C "$dir/etc" -f "$s" "rcpt$n@far$(( n % 5 )).example.net"
}
n=0
while [ $n -lt "$count" ]; do send $n; n=$((n + 1)); done
# the first batch expires as it is deferred; wait for the queue to empty
i=0; while [ -n "$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" -type f 2>/dev/null | head -1)" ] && [ $i -lt 300 ]; do
    sleep 1; i=$((i + 1)); done
# the second batch: lifetimes back to 5 days and no retry soon: deferred
# once, then expired by hand
pc "maximal_queue_lifetime = 5d" "bounce_queue_lifetime = 5d" \
   "minimal_backoff_time = 1h" "maximal_backoff_time = 2h"
postfix -c "$dir/etc" reload
sleep 2
while [ $n -lt $(( count + count / 6 )) ]; do send $n; n=$((n + 1)); done
i=0; while [ -n "$(find "$dir/queue/incoming" "$dir/queue/active" -type f 2>/dev/null | head -1)" ] && [ $i -lt 120 ]; do
    sleep 1; i=$((i + 1)); done
postsuper -c "$dir/etc" -e ALL
postqueue -c "$dir/etc" -f
i=0; while [ -n "$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" -type f 2>/dev/null | head -1)" ] && [ $i -lt 120 ]; do
    sleep 1; i=$((i + 1)); done
sleep 2
postfix -c "$dir/etc" stop
sleep 1
cp "$dir/maillog" "$out/postfix-expire.log"
