#!/bin/sh
# runall.sh - every run of run.sh, three at a time on separate ports.
#   tests/mta-runs/exim/runall.sh OUTDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
# Exim 4.96's log_selector options (spec chapter "Log files"; the binary
# accepts exactly these; rejected_headers is an alias of rejected_header).
OPTIONS="8bitmime acl_warn_skipped address_rewrite all_parents arguments
connection_reject delay_delivery deliver_time delivery_size dkim dkim_verbose
dnslist_defer dnssec etrn host_lookup_failed ident_timeout incoming_interface
incoming_port lost_incoming_connection millisec msg_id msg_id_created
outgoing_interface outgoing_port pid pipelining proxy queue_run queue_time
queue_time_exclusive queue_time_overall receive_time received_recipients
received_sender rejected_header retry_defer return_path_on_delivery
sender_on_delivery sender_verify_fail size_reject skip_delivery
smtp_confirmation smtp_connection smtp_incomplete_transaction smtp_mailauth
smtp_no_mail smtp_protocol_error smtp_syntax_error subject
tls_certificate_verified tls_cipher tls_peerdn tls_resumption tls_sni
unknown_in_list"
set -- default all none debug retry $OPTIONS
i=0
pids=""
for worker in 0 1 2; do
    names=""
    n=0
    for name in "$@"; do
        [ $((n % 3)) -eq "$worker" ] && names="$names $name"
        n=$((n + 1))
    done
    PORT=$((2625 + worker * 10)) SINKPORT=$((2626 + worker * 10)) \
        "$here/run.sh" "$out" $names >"$out/.worker$worker.out" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
rm -f "$out"/.worker*.out
