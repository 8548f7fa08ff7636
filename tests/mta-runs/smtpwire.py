"""smtpwire.py - what the mta-runs' SMTP clients share: a connection from a
loopback source address, and one reply read off the wire.

Both clients (exim/client.py, postfix/client.py) record every reply the MTA
gives, so the replies must be read the same way on both sides: lines up to
the one whose fourth character is not "-", joined by a literal backslash-n.
"""
import socket
import time


def connect(src, port, tries, pause, timeout):
    """A socket to 127.0.0.1:PORT from address SRC; a refused connection (a
    busy machine: the daemon's listen queue was full) is tried again, TRIES
    times in all, PAUSE seconds apart."""
    for attempt in range(tries):
        try:
            return socket.create_connection(("127.0.0.1", port), source_address=(src, 0),
                                            timeout=timeout)
        except ConnectionRefusedError:
            if attempt == tries - 1:
                raise
            time.sleep(pause)
    raise ValueError("connect: tries must be at least 1")


def read_reply(f):
    """One SMTP reply read from the binary file F, its lines joined by a
    literal "\\n"; what was read so far ("" at once) when the server hung up."""
    lines = []
    while True:
        raw = f.readline()
        if not raw:
            break
        line = raw.decode(errors="replace").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            break
    return "\\n".join(lines)
