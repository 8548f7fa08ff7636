#!/bin/sh
# run.sh - run Postfix 3.7 once through client.py's reject scenarios and keep the log.
#
#   tests/mta-runs/postfix/run.sh OUTDIR [ROUNDS]
#
# A fresh temporary directory holds this instance's configuration
# (main.cf.in, master.cf.in, tables/), queue, data and log; Postfix's master
# runs there ("postfix -c DIR start") with smtpd on 127.0.0.1:$PORT
# (smtpd_delay_reject=yes) and 127.0.0.1:$PORT2 (=no); client.py runs ROUNDS
# rounds (default 40) of every scenario; Postfix stops; OUTDIR/postfix.log
# (the maillog_file) and OUTDIR/postfix.client.tsv (every reply Postfix gave
# on the wire) are kept.  Needs: postfix (Debian 12: 3.7), python3; run as root
# (master starts as root and drops to the postfix user).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
rounds=${2:-40}
PORT=${PORT:-2725}
PORT2=${PORT2:-2726}
mkdir -p "$out"
. "$here/instance.sh"
instance_make postfix-run
instance_start
# both listeners must answer before the first session
for p in $PORT $PORT2; do
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $p), 1).close()" 2>/dev/null; do
        sleep 0.2
    done
done
: >"$out/postfix.client.tsv"
status=0
python3 "$here/client.py" "$PORT" "$PORT2" "$rounds" "$out/postfix.client.tsv" || status=$?
# let the queue drain (accepted mail goes to discard) before stopping
sleep 3
postfix -c "$dir/etc" stop
sleep 1
cp "$dir/maillog" "$out/postfix.log"
exit $status
