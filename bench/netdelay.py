#!/usr/bin/env python3
"""A wire with latency, in user space: two TUN devices joined by this process.

usage: netdelay.py TUN_A TUN_B ONE_WAY_MS

Every IP packet read from one device is written to the other ONE_WAY_MS later
(first in, first out), so a round trip through the pair costs 2 x ONE_WAY_MS,
SYNs and ACKs included. The caller moves each device into its own network
namespace and gives them addresses; the file descriptors stay valid there.

Why not `tc qdisc ... netem`: this machine's kernel has no netem (see
lab-notes). NFQUEUE needs a Python binding that is not installed; a TCP relay
would not delay the SYN. This needs nothing but /dev/net/tun.

Prints "ready" once both devices exist; runs until killed (SIGTERM).
"""

import collections
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    a, b = open_tun(sys.argv[1]), open_tun(sys.argv[2])
    delay = float(sys.argv[3]) / 1000.0
    # Packets waiting to be written to each device, with the time they are due.
    queues = {a: collections.deque(), b: collections.deque()}
    peer = {a: b, b: a}
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        timeout = None
        for fd, q in queues.items():
            while q and q[0][0] <= now:
                try:
                    os.write(fd, q.popleft()[1])
                except OSError:
                    pass  # the device is down (yet or any more): the packet is lost
            if q:
                wait = q[0][0] - now
                timeout = wait if timeout is None else min(timeout, wait)
        readable, _, _ = select.select([a, b], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            try:
                packet = os.read(fd, 65536)
            except OSError:
                continue
            queues[peer[fd]].append((now + delay, packet))


if __name__ == "__main__":
    main()
