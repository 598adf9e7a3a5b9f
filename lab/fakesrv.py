#!/usr/bin/env python3
"""Fake TCP peers for the rdpdoctor lab.

usage: fakesrv.py MODE HOST PORT

  accept-close  accept, then close at once (the client sees EOF or a reset)
  silent        accept and never send a byte; incoming bytes are read and dropped
  http          read the client's first bytes, answer HTTP/1.1 400, close

One thread, one selector. Memory stays bounded: at most MAX_CONNS connections are
kept (the oldest is dropped first), reads are fixed-size and discarded, and idle
connections are closed after IDLE_LIMIT seconds. SIGTERM and SIGINT exit cleanly.
"""

import selectors
import signal
import socket
import sys
import time

MODES = ("accept-close", "silent", "http")
MAX_CONNS = 64
IDLE_LIMIT = 600.0
READ_SIZE = 4096
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
    log(f"{mode} listening on {host}:{port}")

    def drop(conn):
        sel.unregister(conn)
        conns.pop(conn, None)
        conn.close()

    try:
        while True:
            for key, _ in sel.select(timeout=5.0):
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
                else:
                    conns[conn] = time.monotonic()
            now = time.monotonic()
            for conn in [c for c, t in conns.items() if now - t > IDLE_LIMIT]:
                drop(conn)
    finally:
        for conn in list(conns):
            conn.close()
        listener.close()
        log("stopped")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
