#!/usr/bin/env python3
"""Fake TCP peers for the rdpdoctor lab.

usage: fakesrv.py MODE HOST PORT

  accept-close  accept, then close at once (the client sees EOF or a reset)
  silent        accept and never send a byte; incoming bytes are read and dropped
  http          read the client's first bytes, answer HTTP/1.1 400, close
  refuse-all    answer every X.224 Connection Request (whatever it asks for, also
                one without RDP_NEG_REQ) with a Connection Confirm carrying
                RDP_NEG_FAILURE HYBRID_REQUIRED_BY_SERVER (5), then close
  late          answer an X.224 Connection Request LATE_DELAY (6) s after it is
                complete with a Connection Confirm selecting PROTOCOL_SSL, then close
                (a client with a 5 s step timeout sees nothing; one waiting 8 s does)

The X.224 modes wait for one whole TPKT (RFC 1006) holding an X.224 Connection
Request [MS-RDPBCGR 2.2.1.1]; anything else is answered by closing the connection.

One thread, one selector. Memory stays bounded: at most MAX_CONNS connections are
kept (the oldest is dropped first), reads are fixed-size, a connection buffers at
most MAX_TPKT bytes, and idle connections are closed after IDLE_LIMIT seconds.
SIGTERM and SIGINT exit cleanly.
"""

import selectors
import signal
import struct
import socket
import sys
import time

MODES = ("accept-close", "silent", "http", "refuse-all", "late")
X224_MODES = ("refuse-all", "late")
MAX_CONNS = 64
IDLE_LIMIT = 600.0
READ_SIZE = 4096
# A Connection Request with a cookie or routing token stays far below this.
MAX_TPKT = 1024
LATE_DELAY = 6.0
HYBRID_REQUIRED_BY_SERVER = 5  # [MS-RDPBCGR 2.2.1.2.2] failureCode
PROTOCOL_SSL = 1  # [MS-RDPBCGR 2.2.1.2.1] selectedProtocol
HTTP_BODY = b"Bad Request\n"
HTTP_REPLY = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"Server: rdpdoctor-lab-fake\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: " + str(len(HTTP_BODY)).encode() + b"\r\n"
    b"Connection: close\r\n"
    b"\r\n" + HTTP_BODY
)


def log(msg):
    print(f"fakesrv: {msg}", flush=True)


def connection_confirm(neg_type, value):
    """TPKT + X.224 Connection Confirm (CDT 0xD0) + an 8-byte RDP_NEG_RSP (type 2)
    or RDP_NEG_FAILURE (type 3) structure [MS-RDPBCGR 2.2.1.2]."""
    neg = struct.pack("<BBHI", neg_type, 0, 8, value)
    # LI, CC, DST-REF, SRC-REF, class 0 [X.224 13.4]; LI counts the bytes after it.
    x224 = struct.pack(">BBHHB", 6 + len(neg), 0xD0, 0, 0x1234, 0) + neg
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def connection_request(buf):
    """None while more bytes are needed, True for one whole TPKT holding an X.224
    Connection Request (CR 0xE0), False for anything else."""
    if len(buf) < 4:
        return None if buf[:1] in (b"", b"\x03") else False
    if buf[0] != 3:
        return False
    length = struct.unpack(">H", buf[2:4])[0]
    if length < 11 or length > MAX_TPKT:  # TPKT header + the 7-byte fixed CR part
        return False
    if len(buf) < length:
        return None
    return buf[5] & 0xF0 == 0xE0 and buf[4] + 5 == length


ANSWERS = {
    "refuse-all": connection_confirm(3, HYBRID_REQUIRED_BY_SERVER),
    "late": connection_confirm(2, PROTOCOL_SSL),
}


def main(argv):
    if len(argv) != 4 or argv[1] not in MODES:
        sys.stderr.write(__doc__)
        return 2
    mode, host, port = argv[1], argv[2], int(argv[3])

    def stop(signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Restarting the lab must not wait for TIME_WAIT sockets of the last run.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(64)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    conns = {}  # socket -> time of last activity; dicts keep insertion order
    bufs = {}  # socket -> bytes received so far (X.224 modes)
    due = {}  # socket -> monotonic time its late answer is due (mode late)
    log(f"{mode} listening on {host}:{port}")

    def drop(conn):
        sel.unregister(conn)
        conns.pop(conn, None)
        bufs.pop(conn, None)
        due.pop(conn, None)
        conn.close()

    def answer(conn):
        try:
            conn.sendall(ANSWERS[mode])  # 19 bytes; fits the socket buffer
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        drop(conn)

    try:
        while True:
            wait = 5.0
            if due:
                wait = max(0.0, min(min(due.values()) - time.monotonic(), wait))
            for key, _ in sel.select(timeout=wait):
                if key.data is None:
                    try:
                        conn, peer = listener.accept()
                    except BlockingIOError:
                        continue
                    if mode == "accept-close":
                        conn.close()
                        continue
                    if len(conns) >= MAX_CONNS:
                        drop(next(iter(conns)))
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, peer)
                    conns[conn] = time.monotonic()
                    continue
                conn = key.fileobj
                try:
                    data = conn.recv(READ_SIZE)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    drop(conn)
                elif mode == "http":
                    try:
                        conn.sendall(HTTP_REPLY)  # small; fits the socket buffer
                    except OSError:
                        pass
                    drop(conn)
                elif mode in X224_MODES and conn not in due:
                    conns[conn] = time.monotonic()
                    bufs[conn] = bufs.get(conn, b"") + data
                    complete = connection_request(bufs[conn])
                    if complete is False:
                        log(f"{key.data}: not an X.224 Connection Request, closing")
                        drop(conn)
                    elif complete and mode == "late":
                        bufs.pop(conn, None)
                        due[conn] = time.monotonic() + LATE_DELAY
                    elif complete:
                        answer(conn)
                else:
                    conns[conn] = time.monotonic()
            now = time.monotonic()
            for conn in [c for c, t in due.items() if t <= now]:
                answer(conn)
            for conn in [c for c, t in conns.items() if now - t > IDLE_LIMIT]:
                drop(conn)
    finally:
        for conn in list(conns):
            conn.close()
        listener.close()
        log("stopped")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
