#!/bin/sh
# run.sh - run Exim 4.96 once per log_selector setting and keep its logs.
#
#   tests/mta-runs/exim/run.sh OUTDIR [SELECTOR-NAME ...]
#
# For each setting: a fresh spool in a temporary directory, the sink
# (sink.py) on 127.0.0.1:$SINKPORT, Exim's daemon as the unprivileged Exim
# user on 127.0.0.1:$PORT with its own configuration (exim.conf.in), the
# inbound and outbound scenarios (client.py), one -N test delivery, queue
# runs every second for the retries and the expiry; then the daemon stops and
# OUTDIR/<name>.log (mainlog), <name>.sink.tsv and <name>.client.tsv (what
# each side replied) are kept.  Names: default, all, debug (exim -d on the
# daemon, stderr kept as the log), or a log_selector option (run with
# "+option" alone).  Needs: exim4-daemon-light, python3, openssl; run as root
# (to switch to the Exim user), nothing listens outside loopback.
# "retry" is "all" with one more deferral and a queue run right after it,
# for the "retry time not reached" lines (runall.sh runs it too).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1; shift
mkdir -p "$out"
EXIM=/usr/sbin/exim4
EUSER=Debian-exim
PORT=${PORT:-2625}
SINKPORT=${SINKPORT:-2626}
# Exim 4.96's default log_selector (spec, "Log files", section "Reducing or
# increasing what is logged"; the options marked *).
DEFAULT_ON="acl_warn_skipped connection_reject delay_delivery dkim dnslist_defer
 etrn host_lookup_failed lost_incoming_connection msg_id rejected_header
 retry_defer sender_verify_fail size_reject skip_delivery smtp_confirmation
 tls_certificate_verified tls_cipher"
DEFAULT_ON=$(echo $DEFAULT_ON)

run_one() {
    name=$1
    case $name in
    default | debug | volume) sel="" ;;
    all | retry) sel="+all" ;;
    none) sel="-all" ;;
    *)  # an option on by default is shown alone; any other added to the default
        case " $DEFAULT_ON " in
        *" $name "*) sel="-all +$name" ;;
        *) sel="+$name" ;;
        esac ;;
    esac
    dir=$(mktemp -d /tmp/exim-run.XXXXXX)
    mkdir -p "$dir/spool" "$dir/log" "$dir/mail"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.test \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$PORT|g" -e "s|@SINKPORT@|$SINKPORT|g" \
        -e "s|@USER@|$EUSER|g" -e "s|@SELECTOR@|$sel|g" "$here/exim.conf.in" >"$dir/exim.conf"
    chown -R "$EUSER" "$dir"
    : >"$out/$name.sink.tsv"
    : >"$out/$name.client.tsv"
    python3 "$here/sink.py" "$SINKPORT" "$dir/cert.pem" "$dir/key.pem" "$out/$name.sink.tsv" &
    sink=$!
    # the sink must answer before Exim's first delivery
    until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $SINKPORT), 1)" 2>/dev/null; do
        sleep 0.1
    done
    kill -0 "$sink" || { echo "run.sh: $name: the sink did not start (port $SINKPORT busy?)" >&2; exit 1; }
    if [ "$name" = debug ]; then
        runuser -u "$EUSER" -- "$EXIM" -C "$dir/exim.conf" -d -bd 2>"$dir/debug.log" &
    else
        runuser -u "$EUSER" -- "$EXIM" -C "$dir/exim.conf" -bd &
    fi
    until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
        sleep 0.1
    done
    python3 "$here/client.py" "$PORT" "$out/$name.client.tsv" outbound ||
        echo "run.sh: $name: outbound client failed" >&2
    if [ "$name" = retry ]; then
        # one more deferral, and a queue run at once: retry time not reached
        python3 "$here/client.py" "$PORT" "$out/$name.client.tsv" retry
        runuser -u "$EUSER" -- "$EXIM" -C "$dir/exim.conf" -q
    fi
    python3 "$here/client.py" "$PORT" "$out/$name.client.tsv" inbound ||
        echo "run.sh: $name: inbound client failed" >&2
    if [ "$name" = volume ]; then
        # four clients at once (VOLUME rounds each, client.py)
        clients=""
        for part in 0 1 2 3; do
            VOLUME_PART=$part python3 "$here/client.py" "$PORT" "$out/$name.client.tsv" volume &
            clients="$clients $!"
        done
        for c in $clients; do
            wait "$c" || echo "run.sh: $name: a volume client failed" >&2
        done
    fi
    printf 'Subject: test delivery\n\nhello\n' |
        runuser -u "$EUSER" -- "$EXIM" -C "$dir/exim.conf" -N -odi -f sender@client.test ok-n@alpha.test
    # retries: one queue run a second later, one after the 2 s cutoff of the
    # retry rule (retry timeout exceeded)
    sleep 1
    runuser -u "$EUSER" -- "$EXIM" -C "$dir/exim.conf" -q
    sleep 2
    runuser -u "$EUSER" -- "$EXIM" -C "$dir/exim.conf" -q
    sleep 1
    kill "$(cat "$dir/exim.pid")" 2>/dev/null || true
    sleep 1
    kill "$sink" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$name" = debug ]; then
        cp "$dir/debug.log" "$out/$name.log"
    else
        cp "$dir/log/mainlog" "$out/$name.log"
    fi
    [ -f "$dir/log/rejectlog" ] && [ "$name" = default ] && cp "$dir/log/rejectlog" "$out/$name.rejectlog"
    rm -rf "$dir"
}

for name in "$@"; do
    run_one "$name"
done
