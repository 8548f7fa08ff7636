#!/usr/bin/env python3
"""client.py - the SMTP clients that talk to Postfix in the [smtpd-reject] run.

Every session connects from its own loopback address 127.S.P.N: S names the
scenario (client_access, data_access, eod_access and etrn_access in tables/
key on "127.S"), P is 0 for the smtpd on PORT (smtpd_delay_reject=yes) and
1xx for the one on PORT2 (=no), N counts the sessions.  A log line's
client [127.S.P.N] therefore names its session.  Every reply Postfix gives a
session is recorded, one line per reply (multi-line replies joined by "\\n"):
    127.S.P.N <TAB> stage <TAB> reply <TAB> address (MAIL or RCPT, else empty)
stage: connect, ehlo, mail, rcpt, data, eom (after the message), etrn, quit.

usage: client.py PORT PORT2 ROUNDS RECORD
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import smtpwire  # noqa: E402  (tests/mta-runs/smtpwire.py)

PORT, PORT2, ROUNDS = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
RECORD = open(sys.argv[4], "a", encoding="utf-8")
LOCK = threading.Lock()

# the verdict tables' entries, by scenario octet (tables/*)
CLIENT_NETS = range(10, 19)
HELOS = ["bad.helo.test", "defer.helo.test", "block.helo.test", "temp.helo.test",
         "nocode.helo.test", "text.helo.test",
         "bad_name..test",       # reject_invalid_helo_hostname
         "localhostx"]           # reject_non_fqdn_helo_hostname
SENDERS = ["spam@bad.test", "other@bad.test", "a@defer.test", "a@tempfail.test",
           "a@plain.test", "a@greylist.test", "a@text.test",
           "user"]               # reject_non_fqdn_sender
RECIPIENTS = ["nobody@ok.test", "full@ok.test", "gone@ok.test", "moved@ok.test",
              "later@ok.test", "bounce@ok.test", "slow@ok.test", "quota@ok.test",
              "spam@ok.test",
              "someone@elsewhere.test",    # reject_unauth_destination
              "unknown@ok.test",           # reject_unlisted_recipient
              "user",                      # reject_non_fqdn_recipient
              "user@ok.test"]              # accepted
# reject_unknown_recipient_domain: Postfix's DNS lookup of relay.invalid (a
# relay_domains entry) times out after 5 s on a machine without DNS, so one
# round in UNKNOWN_EVERY asks for it
UNKNOWN_DOMAIN = "someone@relay.invalid"
UNKNOWN_EVERY = 5
DATA_NETS = [30, 31, 32]
EOD_NETS = [40, 41, 42, 43, 44]
ETRN_NETS = [50, 51]


class Closed(Exception):
    """Postfix hung up (after a 421 or 521, say): the session ends there."""


class Conn:
    def __init__(self, src, port):
        self.src = src
        self.s = smtpwire.connect(src, port, 50, 0.2, 30)
        self.f = self.s.makefile("rb")
        self.note("connect", self.reply())

    def reply(self):
        return smtpwire.read_reply(self.f)

    def note(self, stage, reply, address=""):
        with LOCK:
            RECORD.write("%s\t%s\t%s\t%s\n" % (self.src, stage, reply, address))
            RECORD.flush()

    def cmd(self, stage, text, address=""):
        try:
            self.s.sendall(text.encode() + b"\r\n")
            r = self.reply()
        except ConnectionError:
            raise Closed()
        if not r:
            raise Closed()
        self.note(stage, r, address)
        return r

    def message(self, size=0):
        body = ("x" * 70 + "\r\n") * (size // 72)
        self.s.sendall(("From: sender@client.test\r\nTo: user@ok.test\r\nSubject: test\r\n"
                        "\r\nhello\r\n%s.\r\n" % body).encode())
        r = self.reply()
        self.note("eom", r)
        return r

    def close(self):
        try:
            self.cmd("quit", "QUIT")
        except (OSError, Closed):
            pass
        try:
            self.s.close()
        except OSError:
            pass


def session(src, port, helo="client.test", sender="a@sender.test", rcpts=("user@ok.test",),
            data=False, size=0, etrn=False, mail_args=""):
    """One SMTP session; later commands are sent even when earlier ones failed."""
    c = Conn(src, port)
    try:
        c.cmd("ehlo", "EHLO " + helo)
        if etrn:
            c.cmd("etrn", "ETRN ok.test")
            return
        c.cmd("mail", "MAIL FROM:<%s>%s" % (sender, mail_args), sender)
        ok = 0
        for r in rcpts:
            if c.cmd("rcpt", "RCPT TO:<%s>" % r, r).startswith("250"):
                ok += 1
        if data:
            if c.cmd("data", "DATA").startswith("354"):
                c.message(size)
    except Closed:
        pass
    finally:
        c.close()


def jobs():
    """Every session of every round: (function, kwargs)."""
    count = {}

    def addr(net, pi):
        k = count.get((net, pi), 0)
        count[(net, pi)] = k + 1
        return "127.%d.%d.%d" % (net, pi * 100 + k // 250, k % 250 + 1)

    out = []
    for rnd in range(ROUNDS):
        for pi, port in ((0, PORT), (1, PORT2)):
            for net in CLIENT_NETS:
                out.append(dict(src=addr(net, pi), port=port))
            for h in HELOS:
                out.append(dict(src=addr(20, pi), port=port, helo=h))
            for s in SENDERS:
                out.append(dict(src=addr(21, pi), port=port, sender=s))
            rcpts = RECIPIENTS + ([UNKNOWN_DOMAIN] if rnd % UNKNOWN_EVERY == 0 else [])
            out.append(dict(src=addr(22, pi), port=port, rcpts=rcpts, data=True))
            # a SIZE= above message_size_limit
            out.append(dict(src=addr(23, pi), port=port, mail_args=" SIZE=900000"))
        for net in DATA_NETS:
            out.append(dict(src=addr(net, 0), port=PORT, data=True))
        # a bounce to two recipients: reject_multi_recipient_bounce at DATA
        out.append(dict(src=addr(33, 0), port=PORT, sender="", rcpts=["user@ok.test", "info@ok.test"],
                        data=True))
        for net in EOD_NETS:
            out.append(dict(src=addr(net, 0), port=PORT, data=True))
        for net in ETRN_NETS:
            out.append(dict(src=addr(net, 0), port=PORT, etrn=True))
        # accepted, and too big after the fact
        out.append(dict(src=addr(60, 0), port=PORT, data=True))
        out.append(dict(src=addr(61, 0), port=PORT, data=True, size=250000))
    return out


def main():
    todo = jobs()
    errors = []

    def worker():
        while True:
            with LOCK:
                if not todo:
                    return
                job = todo.pop(0)
            try:
                session(**job)
            except OSError as e:
                errors.append("%s: %s" % (job["src"], e))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        print("client.py:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
