#!/usr/bin/env python3
"""sink.py - a scripted SMTP server for tests/postfix-gen/generate.

Each listening port plays one misbehaving (or good) remote server, so that a
real Postfix writes the log line that behaviour causes:

  ok        250 to everything
  notls     no STARTTLS in the EHLO reply (Postfix: TLS is required, but
            was not offered)
  badcert   STARTTLS with a self-signed certificate (Postfix at the verify
            level: Server certificate not verified)
  droprcpt  hangs up when RCPT TO arrives (lost connection ... while
            sending RCPT TO)
  dropdata  hangs up on the DATA command (... while sending DATA command)
  stallmail never answers MAIL FROM (conversation ... timed out while
            sending MAIL FROM)
  stalleod  never answers the end of data (... timed out while sending end
            of data)

Usage: sink.py CERT KEY name=port ...   (runs until killed)
"""
import socket
import ssl
import sys
import threading
import time


def serve(conn, mode, tls_ctx):
    f = conn.makefile("rb")

    def send(s):
        conn.sendall((s + "\r\n").encode())

    send("220 sink.test ESMTP " + mode)
    in_data = False
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").rstrip("\r\n")
        if in_data:
            if cmd == ".":
                in_data = False
                if mode == "stalleod":
                    time.sleep(60)
                    return
                send("250 2.0.0 Ok: queued")
            continue
        verb = cmd.split(" ")[0].upper()
        if verb in ("EHLO", "HELO"):
            caps = ["250-sink.test", "250-PIPELINING", "250-ENHANCEDSTATUSCODES"]
            if mode == "badcert" and tls_ctx is not None:
                caps.append("250-STARTTLS")
            caps.append("250 8BITMIME")
            send("\r\n".join(caps))
        elif verb == "STARTTLS" and mode == "badcert":
            send("220 2.0.0 Ready to start TLS")
            try:
                conn = tls_ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return
            f = conn.makefile("rb")
        elif verb == "MAIL":
            if mode == "stallmail":
                time.sleep(60)
                return
            send("250 2.1.0 Ok")
        elif verb == "RCPT":
            if mode == "droprcpt":
                return
            send("250 2.1.5 Ok")
        elif verb == "DATA":
            if mode == "dropdata":
                return
            in_data = True
            send("354 End data with <CR><LF>.<CR><LF>")
        elif verb == "QUIT":
            send("221 2.0.0 Bye")
            return
        elif verb == "RSET":
            send("250 2.0.0 Ok")
        else:
            send("502 5.5.2 Error: command not recognized")


def handle(conn, mode, tls_ctx):
    try:
        serve(conn, mode, tls_ctx)
    except OSError:
        pass
    finally:
        conn.close()


def listen(port, mode, tls_ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn, mode, tls_ctx), daemon=True).start()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    for spec in sys.argv[3:]:
        mode, port = spec.split("=")
        threading.Thread(target=listen, args=(int(port), mode, ctx), daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
