#!/usr/bin/env python3
"""Readiness and sanity checks for the rdpdoctor lab (used by lab/up.sh).

  check.py wait [--timeout S] SPEC...    poll until every SPEC accepts a connection
  check.py refused SPEC...               each SPEC must refuse TCP (nothing listening)
  check.py probe HOST PORT [MASK|legacy] [--timeout S]
                                         X.224 + TLS answer of one server, one line;
                                         MASK = requestedProtocols (default 3), legacy =
                                         no RDP_NEG_REQ; S = reply timeout (default 2)
                                         (10.77.0.x: run inside rdplab-c automatically)
  check.py verify [NAME...]              probe scenarios.tsv rows, compare columns 7-8

SPEC is NAME=HOST:PORT or NAME=unix:PATH, optionally followed by @PID: if that
process dies, waiting stops at once. `wait` prints the names that never came up on
stdout (one per line) and exits 1.

`verify` runs the rows whose netns column is rdplab-c inside that namespace (via
`ip netns exec`), so traffic to 10.77.0.2 never leaves the lab namespaces.
Only loopback and 10.77.0.0/24 (inside rdplab-c) are ever contacted.
"""

import concurrent.futures
import errno
import ipaddress
import os
import socket
import ssl
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios.tsv")
LAB = os.environ.get("RDPDOCTOR_LAB_DIR", "/tmp/rdpdoctor-lab")
NS_CLIENT = "rdplab-c"
NS_NET = ipaddress.ip_network("10.77.0.0/24")
CONNECT_TIMEOUT = 1.5
REPLY_TIMEOUT = 2.0
PROTOCOLS = {0: "rdp", 1: "ssl", 2: "hybrid", 8: "hybrid_ex"}


def allowed(host):
    """Refuse any destination outside the lab (loopback, or the lab veth subnet)."""
    if host == "localhost":
        return True
    addr = ipaddress.ip_address(host)
    return addr.is_loopback or addr in NS_NET


def parse_spec(spec):
    name, _, target = spec.partition("=")
    pid = None
    if "@" in target:
        target, _, pid_s = target.rpartition("@")
        pid = int(pid_s)
    if target.startswith("unix:"):
        return name, ("unix", target[5:]), pid
    host, _, port = target.rpartition(":")
    if not allowed(host):
        raise SystemExit(f"check.py: refusing non-lab address {host}")
    return name, (host, int(port)), pid


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def try_connect(target, timeout=0.5):
    if target[0] == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        addr = target[1]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        addr = target
    s.settimeout(timeout)
    try:
        s.connect(addr)
        return None
    except OSError as e:
        return e
    finally:
        s.close()


def cmd_wait(args):
    timeout = 20.0
    if args[:1] == ["--timeout"]:
        timeout, args = float(args[1]), args[2:]
    pending = {}
    for spec in args:
        name, target, pid = parse_spec(spec)
        pending[name] = (target, pid, None)
    deadline = time.monotonic() + timeout
    failed = {}
    while pending:
        for name, (target, pid, _) in list(pending.items()):
            if pid is not None and not pid_alive(pid):
                failed[name] = f"process {pid} exited"
                del pending[name]
                continue
            err = try_connect(target)
            if err is None:
                del pending[name]
            else:
                pending[name] = (target, pid, err)
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.03)
    for name, (target, _, err) in pending.items():
        failed[name] = f"no listener on {target} after {timeout:g} s ({err})"
    for name, why in failed.items():
        sys.stderr.write(f"check.py: NOT READY {name}: {why}\n")
        print(name)
    return 1 if failed else 0


def cmd_refused(args):
    bad = 0
    for spec in args:
        name, target, _ = parse_spec(spec)
        err = try_connect(target)
        if not isinstance(err, ConnectionRefusedError):
            sys.stderr.write(f"check.py: {name}: expected refused on {target}, got {err or 'a connection'}\n")
            print(name)
            bad = 1
    return bad


def x224_request(mask):
    """A Connection Request with RDP_NEG_REQ asking for `mask`; None: without one."""
    neg = b"" if mask is None else struct.pack("<BBHI", 1, 0, 8, mask)  # RDP_NEG_REQ
    x224 = bytes([6 + len(neg), 0xE0, 0, 0, 0, 0, 0]) + neg
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def tls_check(sock, ca):
    ctx = ssl.create_default_context(cafile=ca)
    try:
        with ctx.wrap_socket(sock, server_hostname="localhost") as t:
            return f"ok:{t.version()}"
    except ssl.SSLCertVerificationError as e:
        return {
            9: "not-yet-valid",
            10: "expired",
            18: "self-signed",
            19: "self-signed",
            62: "name-mismatch",
        }.get(e.verify_code, f"verify-error:{e.verify_code}")
    except (ssl.SSLError, OSError) as e:
        return f"tls-error:{type(e).__name__}"


def probe(host, port, mask=3, ca=None, reply_timeout=REPLY_TIMEOUT):
    """Return (x224 answer, tls answer) in the vocabulary of scenarios.tsv."""
    if not allowed(host):
        raise SystemExit(f"check.py: refusing non-lab address {host}")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(CONNECT_TIMEOUT)
    try:
        try:
            s.connect((host, port))
        except ConnectionRefusedError:
            return "refused", "-"
        except socket.timeout:
            return "connect-timeout", "-"
        except OSError as e:
            if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                return "unreachable", "-"
            return f"connect-error:{e.errno}", "-"
        s.settimeout(reply_timeout)
        try:
            s.sendall(x224_request(mask))
            head = recv_exact(s, 4)
        except socket.timeout:
            return "no-reply", "-"
        except OSError:
            return "closed", "-"
        if not head:
            return "closed", "-"
        if head[0] != 3 or len(head) < 4:
            return "not-tpkt", "-"
        body = recv_exact(s, struct.unpack(">H", head[2:4])[0] - 4)
        if len(body) < 7 or body[1] & 0xF0 != 0xD0:
            return "not-tpkt", "-"
        neg = body[7:]
        if len(neg) < 8:
            return "cc", "-"
        kind, value = neg[0], struct.unpack("<I", neg[4:8])[0]
        if kind == 3:
            return f"fail:{value}", "-"
        if kind != 2:
            return f"neg-type:{kind}", "-"
        answer = "rsp:" + PROTOCOLS.get(value, str(value))
        if value in (1, 2, 8) and ca:
            return answer, tls_check(s, ca)
        return answer, "-"
    finally:
        s.close()


def read_scenarios():
    rows = []
    with open(SCENARIOS) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            cols += ["-"] * (9 - len(cols))
            rows.append(cols)
    return rows


def current_netns():
    try:
        me = os.stat("/proc/self/ns/net").st_ino
        return os.stat(f"/run/netns/{NS_CLIENT}").st_ino == me
    except OSError:
        return False


def lab_ca():
    ca = os.path.join(LAB, "certs", "ca.crt")
    return ca if os.path.exists(ca) else None


# Behind 10 % random loss (ns-lossy) one probe may run into a timeout now and then
# (two lost SYNs take 3 s); the scenario is "the healthy answer, eventually".
LOSSY_TRIES = 4


def probe_row(r, ca):
    """Probe one scenarios.tsv row; return (x224, tls, tries used)."""
    tries = LOSSY_TRIES if "nft=lossy" in r[5].split(",") else 1
    for n in range(1, tries + 1):
        x224, tls = probe(r[1], int(r[2]), 3, ca)
        if (x224, tls) == (r[6], r[7]):
            break
    return x224, tls, n


def cmd_verify(names):
    ca = lab_ca()
    rows = [r for r in read_scenarios() if not names or r[0] in names]
    inside = current_netns()
    here = [r for r in rows if (r[8] == NS_CLIENT) == inside]
    there = [r[0] for r in rows if (r[8] == NS_CLIENT) != inside]
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        futs = {r[0]: pool.submit(probe_row, r, ca) for r in here}
        # The other namespace's rows run concurrently in a child process.
        child = None
        if there and not inside:
            if os.path.exists(f"/run/netns/{NS_CLIENT}"):
                child = subprocess.Popen(
                    ["ip", "netns", "exec", NS_CLIENT, sys.executable, __file__, "verify"] + there
                )
            else:
                for name in there:
                    print(f"SKIP  {name:<24} netns {NS_CLIENT} does not exist")
        for r in here:
            x224, tls, tries = futs[r[0]].result()
            ok = x224 == r[6] and tls == r[7]
            bad |= not ok
            print(
                f"{'ok ' if ok else 'BAD'}   {r[0]:<24} {r[1]}:{r[2]:<6} "
                f"x224={x224:<16} tls={tls:<14}"
                + ("" if ok else f" expected x224={r[6]} tls={r[7]}")
                + (f" (try {tries})" if tries > 1 else ""),
                flush=True,
            )
        if child is not None:
            bad |= child.wait() != 0
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "wait":
        return cmd_wait(args)
    if cmd == "refused":
        return cmd_refused(args)
    if cmd == "probe":
        host = args[0]
        if host != "localhost" and ipaddress.ip_address(host) in NS_NET and not current_netns():
            # 10.77.0.x is only a lab address from inside rdplab-c.
            os.execvp("ip", ["ip", "netns", "exec", NS_CLIENT, sys.executable, __file__] + argv[1:])
        timeout = REPLY_TIMEOUT
        if "--timeout" in args:
            i = args.index("--timeout")
            timeout = float(args[i + 1])
            args = args[:i] + args[i + 2 :]
        mask = 3
        if len(args) > 2:
            mask = None if args[2] == "legacy" else int(args[2])
        x224, tls = probe(args[0], int(args[1]), mask, lab_ca(), timeout)
        print(f"x224={x224} tls={tls}")
        return 0
    if cmd == "verify":
        return cmd_verify(args)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
