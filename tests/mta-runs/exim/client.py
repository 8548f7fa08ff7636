#!/usr/bin/env python3
"""client.py - the SMTP clients that talk to Exim in the log_selector runs.

Each inbound scenario connects from its own loopback address (127.0.0.N), so
a log line's H=[127.0.0.N] names the scenario; every final reply Exim gives a
scenario is recorded in a side file, one line per reply:
    127.0.0.N <TAB> stage <TAB> reply <TAB> address (RCPT or MAIL, else empty)
Messages Exim accepts for remote domains go on to the sink (sink.py), which
records its own replies.

usage: client.py PORT RECORD
"""
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import smtpwire  # noqa: E402  (tests/mta-runs/smtpwire.py)

PORT = int(sys.argv[1])
RECORD = open(sys.argv[2], "a", encoding="utf-8")


class Conn:
    def __init__(self, src, greet=True):
        self.src = src
        self.s = smtpwire.connect(src, PORT, 20, 0.3, 10)
        self.f = self.s.makefile("rb")
        self.banner = self.reply() if greet else None

    def reply(self):
        return smtpwire.read_reply(self.f)

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def cmd(self, text):
        self.send(text)
        return self.reply()

    def note(self, stage, reply, address=""):
        RECORD.write("%s\t%s\t%s\t%s\n" % (self.src, stage, reply, address))
        RECORD.flush()

    def starttls(self):
        self.cmd("STARTTLS")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = ctx.wrap_socket(self.s, server_hostname="mx.test")
        self.f = self.s.makefile("rb")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def message(subject, size=0):
    body = ("x" * 70 + "\r\n") * (size // 72)
    return ("From: sender@client.test\r\nTo: someone@alpha.test\r\nSubject: %s\r\n\r\nhello\r\n%s."
            % (subject, body))


def submit(src, rcpts, sender="sender@client.test", subject="test", tls=False, auth=None):
    """A message Exim accepts; the sink decides what happens next."""
    c = Conn(src)
    c.cmd("EHLO client.test")
    if tls:
        c.starttls()
        c.cmd("EHLO client.test")
    if auth:
        c.cmd("AUTH PLAIN " + auth)
    c.cmd("MAIL FROM:<%s>" % sender)
    for r in rcpts:
        c.cmd("RCPT TO:<%s>" % r)
    c.cmd("DATA")
    c.cmd(message(subject))
    c.cmd("QUIT")
    c.close()


def reply_to(src, stage, before, last, address=""):
    """EHLO and the commands before, then the one whose reply is recorded."""
    c = Conn(src)
    c.cmd("EHLO client.test")
    for command in before:
        c.cmd(command)
    c.note(stage, c.cmd(last), address)
    c.cmd("QUIT")
    c.close()


def rcpt_reject(src, rcpt):
    reply_to(src, "rcpt", ["MAIL FROM:<sender@client.test>"], "RCPT TO:<%s>" % rcpt, rcpt)


def mail_reject(src, sender):
    reply_to(src, "mail", [], "MAIL FROM:<%s>" % sender, sender)


def data_reject(src, subject):
    reply_to(src, "end-of-data",
             ["MAIL FROM:<sender@client.test>", "RCPT TO:<ok-in@alpha.test>", "DATA"], message(subject))


def connect_reject(src):
    c = Conn(src)
    c.note("connect", c.banner)
    c.close()


def helo_reject(src):
    c = Conn(src)
    c.note("helo", c.cmd("EHLO bad.helo.test"))
    c.cmd("QUIT")
    c.close()


def auth_fail(src):
    c = Conn(src)
    c.cmd("EHLO client.test")
    # base64 of "\0user\0wrong"
    c.note("other", c.cmd("AUTH PLAIN AHVzZXIAd3Jvbmc="))
    c.cmd("QUIT")
    c.close()


def sync_greeting(src):
    c = Conn(src, greet=False)
    c.send("EHLO early.test")
    c.note("connect", c.reply())
    c.close()


def sync_command(src):
    c = Conn(src)
    c.cmd("HELO client.test")
    # no PIPELINING after HELO: two commands in one packet
    c.send("MAIL FROM:<sender@client.test>\r\nRCPT TO:<ok-sync@alpha.test>")
    c.note("mail", c.reply())
    c.close()


def too_many(src, stage, command, count):
    c = Conn(src)
    c.cmd("EHLO client.test")
    last = ""
    for _ in range(count):
        last = c.cmd(command)
        if "Too many" in last or not last:
            break
    c.note(stage, last)
    c.close()


def too_big(src):
    c = Conn(src)
    c.cmd("EHLO client.test")
    c.cmd("MAIL FROM:<sender@client.test>")
    c.cmd("RCPT TO:<ok-big@alpha.test>")
    c.cmd("DATA")
    c.note("end-of-data", c.cmd(message("big", 230 * 1024)))
    c.close()


def no_mail(src):
    c = Conn(src)
    c.cmd("EHLO client.test")
    c.cmd("QUIT")
    c.close()


def incomplete(src):
    c = Conn(src)
    c.cmd("EHLO client.test")
    c.cmd("MAIL FROM:<sender@client.test>")
    c.cmd("RCPT TO:<ok-incomplete@alpha.test>")
    c.cmd("QUIT")
    c.close()


def lost(src):
    c = Conn(src)
    c.cmd("EHLO client.test")
    c.cmd("MAIL FROM:<sender@client.test>")
    c.cmd("RCPT TO:<ok-lost@alpha.test>")
    c.cmd("DATA")
    c.send("Subject: cut\r\n\r\npartial")
    c.close()


def outbound():
    """Messages for the sink: one per reply kind, two recipients on one."""
    submit("127.0.0.1", ["ok-1@alpha.test", "ok2-1@alpha.test"])
    for r in ["unknown-1@bravo.test", "nouser-1@bravo.test", "grey-1@bravo.test",
              "busy-1@charlie.test", "tempfail-1@charlie.test", "quota-1@delta.test",
              "full-1@delta.test", "rbl-1@echo.test", "big-1@echo.test", "spam-1@echo.test",
              "qerr-1@foxtrot.test", "expire-1@golf.test", "multi-1@golf.test",
              "user@mx.test"]:
        submit("127.0.0.1", [r])
    submit("127.0.0.1", ["rcut-1@hotel.test"])
    submit("127.0.0.1", ["ok-tls@alpha.test"], tls=True)
    submit("127.0.0.1", ["ok-auth@alpha.test"], auth="AHVzZXIAc2VjcmV0")


def inbound():
    """Rejections by Exim's ACLs and fixed replies, one source address each."""
    rcpt_reject("127.0.0.10", "rnouser-1@mx.test")
    rcpt_reject("127.0.0.11", "rdeny-1@mx.test")
    rcpt_reject("127.0.0.12", "rgrey-1@mx.test")
    rcpt_reject("127.0.0.13", "rdefer-1@mx.test")
    mail_reject("127.0.0.14", "blocked@client.test")
    mail_reject("127.0.0.15", "later@client.test")
    mail_reject("127.0.0.16", "plain@client.test")
    data_reject("127.0.0.17", "spam offer")
    data_reject("127.0.0.18", "later please")
    data_reject("127.0.0.19", "plain text")
    helo_reject("127.0.0.20")
    connect_reject("127.0.0.5")
    connect_reject("127.0.0.6")
    auth_fail("127.0.0.21")
    sync_greeting("127.0.0.22")
    sync_command("127.0.0.23")
    reply_to("127.0.0.24", "other", [], "ETRN alpha.test")
    reply_to("127.0.0.25", "other", [], "VRFY postmaster")
    reply_to("127.0.0.26", "other", [], "EXPN postmaster")
    too_many("127.0.0.27", "other", "FOOBAR", 5)
    too_many("127.0.0.28", "mail", "MAIL FROM:<bad", 5)
    too_many("127.0.0.29", "other", "NOOP", 8)
    too_big("127.0.0.30")
    no_mail("127.0.0.31")
    incomplete("127.0.0.32")
    lost("127.0.0.33")


def helo_as(src, names):
    """EHLO with each name in turn on one connection (each is refused)."""
    c = Conn(src)
    for name in names:
        c.note("helo", c.cmd("EHLO " + name))
    c.cmd("QUIT")
    c.close()


def volume():
    """The ACL verdicts, blackholes and per-host errors many times over (the
    "volume" run): VOLUME rounds (default 25), every name in them new; run.sh
    starts several at once, each with its own VOLUME_PART in the names."""
    part = os.environ.get("VOLUME_PART", "0")
    for i in range(int(os.environ.get("VOLUME", "25"))):
        n = "%s-%d" % (part, i)
        for src in ("127.0.0.40", "127.0.0.41", "127.0.0.42"):
            connect_reject(src)
        helo_as("127.0.0.43", ["bad-%s-%d.example.net" % (n, k) for k in range(3)])
        helo_as("127.0.0.44", ["plain-%s-%d" % (n, k) for k in range(2)])
        for subject in ("tempfail " + n, "greylist " + n, "bare " + n):
            data_reject("127.0.0.45", subject)
        # ten blackholed recipients; a discarded one beside a delivered one;
        # multi.test's refusing hosts (exim.conf.in), every fourth in DATA discarded
        submit("127.0.0.46", ["bh-%s-%d@mx.test" % (n, k) for k in range(10)])
        submit("127.0.0.46", ["rdiscard-%s@mx.test" % n, "ok-v%s@alpha.test" % n])
        submit("127.0.0.46", ["ok-%s@multi.test" % n], subject="discard " + n if i % 4 == 0 else "test")


def retry():
    """A deferral just before a queue run (run.sh): retry time not reached."""
    submit("127.0.0.1", ["grey-2@retry.test"])
    time.sleep(0.5)


if __name__ == "__main__":
    {"outbound": outbound, "inbound": inbound, "retry": retry, "volume": volume}[sys.argv[3]]()
    time.sleep(0.2)
