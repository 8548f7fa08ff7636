#!/usr/bin/env python3
"""sink.py - the remote server Exim delivers to in the log_selector runs.

A scripted SMTP server on 127.0.0.1: it answers each recipient with the
reply its local part names (the REPLIES table: replies from the corpus,
tests/data/responses/replies.tsv and the Postfix mta-run maillog) and
records every reply it sends in a side file, one line per reply:
    recipient <TAB> stage <TAB> reply
so a test can check what the parser read against what was really said.

usage: sink.py PORT CERT KEY RECORD
"""
import asyncio
import ssl
import sys

# local part -> (stage, reply); "rcpt": the reply to RCPT TO, "data": the
# reply after the end of data (RCPT accepted with 250).
REPLIES = {
    "ok": ("data", "250 2.0.0 Ok: queued as 4XqT2D0abc"),
    "ok2": ("data", "250 2.0.0 Ok: queued as 4XqT2D0abc"),
    "unknown": ("rcpt", "550 5.1.1 <{a}>: Recipient address rejected: User unknown in virtual mailbox table"),
    "nouser": ("rcpt", "550 No such user here"),
    "grey": ("rcpt", "450 4.2.0 <{a}>: Recipient address rejected: Greylisted"),
    "busy": ("rcpt", "450 Mailbox busy, try again later"),
    "tempfail": ("rcpt", "451 4.7.1 Service temporarily unavailable, try again later"),
    "quota": ("rcpt", "452 4.2.2 <{a}>: Mailbox over quota, try again later"),
    "full": ("rcpt", "452 5.2.2 <{a}>: mailbox full"),
    "rbl": ("rcpt", "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1"),
    "big": ("data", "552 5.3.4 Error: message file too big"),
    "spam": ("data", "554 5.7.1 Message rejected as spam by Content Filtering"),
    "qerr": ("data", "451 4.3.0 Error: queue file write error"),
    "expire": ("rcpt", "451 4.3.0 Temporary server error. Please try again later"),
    "multi": ("rcpt", "550-5.7.1 [127.0.0.1] Our system has detected an unusual rate of\r\n550 5.7.1 unsolicited mail originating from your IP address."),
}


def reply_for(addr):
    local = addr.split("@", 1)[0].split("-", 1)[0].lower()
    stage, text = REPLIES.get(local, ("data", "250 2.0.0 Ok"))
    return stage, text.replace("{a}", addr)


class Session:
    def __init__(self, reader, writer, tls, record):
        self.r, self.w, self.tls, self.record = reader, writer, tls, record

    async def send(self, text):
        self.w.write(text.encode() + b"\r\n")
        await self.w.drain()

    def note(self, rcpt, stage, text):
        # multi-line replies are recorded with their lines joined by "\n"
        self.record.write("%s\t%s\t%s\n" % (rcpt, stage, text.replace("\r\n", "\\n")))
        self.record.flush()

    async def run(self):
        await self.send("220 sink.test ESMTP")
        rcpts = []
        while True:
            line = await self.r.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "LHLO"):
                ext = ["250-sink.test", "250-PIPELINING", "250-SIZE 10240000"]
                if self.tls is not None:
                    ext.append("250-STARTTLS")
                await self.send("\r\n".join(ext + ["250 8BITMIME"]))
            elif verb == "HELO":
                await self.send("250 sink.test")
            elif verb == "STARTTLS" and self.tls is not None:
                await self.send("220 2.0.0 Ready to start TLS")
                await self.w.start_tls(self.tls)
                self.tls = None
            elif verb == "MAIL":
                rcpts = []
                await self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = cmd[cmd.find("<") + 1:cmd.rfind(">")]
                stage, text = reply_for(addr)
                if stage == "rcpt":
                    self.note(addr, "rcpt", text)
                    await self.send(text)
                else:
                    rcpts.append(addr)
                    await self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    await self.send("554 5.5.1 Error: no valid recipients")
                    continue
                await self.send("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    d = await self.r.readline()
                    if not d or d in (b".\r\n", b".\n"):
                        break
                # One reply for the whole message: the first recipient's.
                _, text = reply_for(rcpts[0])
                for a in rcpts:
                    self.note(a, "data", text)
                await self.send(text)
            elif verb == "RSET":
                rcpts = []
                await self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                await self.send("221 2.0.0 Bye")
                self.w.close()
                return
            else:
                await self.send("502 5.5.2 Error: command not recognized")


async def main():
    port, cert, key, record_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    record = open(record_path, "a", encoding="utf-8")

    async def handle(reader, writer):
        try:
            await Session(reader, writer, ctx, record).run()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
