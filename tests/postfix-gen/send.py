#!/usr/bin/env python3
"""send.py - the mail tests/postfix-gen/generate feeds its Postfix.

Usage: send.py SMTPD_PORT SMTPD_IN_PORT POSTSCREEN_PORT

One message per remote behaviour of sink.py (two for those that defer, so
that the second meets a destination already marked unavailable), through
smtpd, which refuses the retry: and error: destinations at RCPT TO; the
same two again through a second smtpd that accepts them, so that the
retry and error services deliver; then a client that talks before
postscreen's greeting (PREGREET).
"""
import smtplib
import socket
import sys
import time

RECIPIENTS = [
    "anna@ok.test",
    "ben@tlsreq.test", "cleo@tlsreq.test",
    "dan@certfail.test",
    "eva@lostrcpt.test", "finn@lostrcpt.test",
    "gus@lostdata.test",
    "hana@stallmail.test",
    "ivo@stalleod.test",
    "jo@discard.test",
    "kim@retry.test",
    "lea@error.test",
]


def send_all(port, recipients):
    for rcpt in recipients:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test") as s:
            try:
                s.sendmail("postmaster@sender.test", [rcpt],
                           "From: postmaster@sender.test\r\nTo: %s\r\nSubject: gen\r\n\r\ntest\r\n" % rcpt)
            except smtplib.SMTPRecipientsRefused:
                pass  # the refusal is what the log should show


def pregreet(port):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"EHLO early.test\r\n")
    time.sleep(3)
    for cmd in (b"MAIL FROM:<spam@early.test>", b"RCPT TO:<victim@ok.test>", b"QUIT"):
        c.sendall(cmd + b"\r\n")
        time.sleep(0.3)
    c.close()


if __name__ == "__main__":
    send_all(int(sys.argv[1]), RECIPIENTS)
    send_all(int(sys.argv[2]), ["mia@retry.test", "ned@error.test"])
    pregreet(int(sys.argv[3]))
