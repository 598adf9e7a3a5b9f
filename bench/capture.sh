#!/usr/bin/env bash
# Reading a large capture: `rdpdoctor inspect --format json FILE` beside
# `tshark -r FILE -Y rdp` on the same file, in the same run, as a ratio; with
# MB/s and peak RSS (GNU time).
#   bash bench/capture.sh [MB] [PROBES]
# Makes the capture in a scratch folder with tcpdump on loopback: MB (default
# 300) of bulk non-RDP TCP traffic (a local Python sender to local readers)
# and PROBES (default 20) `rdpdoctor probe` runs against `rdpdoctor lab
# serve` (each about 20 RDP connections: TLS, NLA, Standard RDP Security).
# Only 127.0.0.1. RDPDOCTOR_BIN picks the binary (default: target/release,
# else target/debug, which is slower); RDPDOCTOR_BIN_BEFORE, another build to
# compare (a row `before`). Prints a TSV table; removes the capture at the end
# unless KEEP=1.
#
# Measured (2 cores shared with other builds; 956 MB loopback capture, 25,654
# packets, 343 RDP connections, tcpdump dropped 2,836 of the bulk packets):
#   before (reads every record whole; debug build): 0.39 s, 32 MB RSS;
#     tshark -Y rdp 1.09 s: 2.8x
#   after (release build, `read_seekable`: the records of flows already known
#     not to be RDP skipped after their first 256 bytes, one foldhash lookup
#     each): 0.09-0.10 s, 18 MB RSS; tshark -Y rdp 1.18-1.28 s, 174 MB: 12-13x
# Loopback frames are up to 64 KiB (GSO), so this file has few packets per
# byte; a capture of MTU-1500 frames has ~40x more packets per GB, and both
# tools then pay per packet (not measured here).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-300}
probes=${2:-20}
bin=${RDPDOCTOR_BIN:-}
[ -n "$bin" ] || { [ -x target/release/rdpdoctor ] && bin=target/release/rdpdoctor || bin=target/debug/rdpdoctor; }
[ -x "$bin" ] || { echo "no rdpdoctor binary: cargo build --release -p rdpdoctor --features lab" >&2; exit 2; }
for c in tcpdump tshark /usr/bin/time python3; do
  command -v "$c" >/dev/null || { echo "$c is needed (lab/install.sh)" >&2; exit 2; }
done
dir=$(mktemp -d /tmp/rdpdoctor-bench-capture.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}
trap cleanup EXIT

"$bin" lab serve --fault healthy-tls --fault healthy-nla --fault rdp-security-only >"$dir/serve.txt" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ "$(wc -l <"$dir/serve.txt")" -ge 3 ] && break; sleep 0.1; done
mapfile -t targets < <(awk '{print $5}' "$dir/serve.txt")

tcpdump -i lo -B 262144 -n -s 0 -w "$dir/big.pcap" tcp 2>"$dir/tcpdump.err" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do grep -q "listening on" "$dir/tcpdump.err" && break; sleep 0.1; done

# Bulk: one local sender, readers that take 16 MB each and close.
python3 - "$mb" <<'PY' &
import socket, sys, threading
total = int(sys.argv[1]) << 20
chunk = b"x" * 65536
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(16)
port = srv.getsockname()[1]
def serve():
    while True:
        c, _ = srv.accept()
        try:
            for _ in range(256):
                c.sendall(chunk)
        except OSError:
            pass
        c.close()
threading.Thread(target=serve, daemon=True).start()
got = 0
while got < total:
    s = socket.create_connection(("127.0.0.1", port))
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got += len(b)
    s.close()
PY
bulk=$!
for i in $(seq "$probes"); do
  "$bin" probe "${targets[$((i % ${#targets[@]}))]}" --format json >/dev/null 2>&1 || true
done
wait "$bulk"
sleep 0.5
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true

size=$(stat -c %s "$dir/big.pcap")
grep -h "dropped by kernel" "$dir/tcpdump.err" >&2 || true
t() { /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/out" 2>/dev/null || true; tail -n1 "$dir/time"; }
if [ -n "${RDPDOCTOR_BIN_BEFORE:-}" ]; then
  read -r before_s before_kb < <(t "$RDPDOCTOR_BIN_BEFORE" inspect --format json "$dir/big.pcap")
fi
read -r ours_s ours_kb < <(t "$bin" inspect --format json "$dir/big.pcap")
conns=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["capture"]["connections"]))' "$dir/out")
# The emulator listens on other ports than 3389: tshark is told they are TPKT
# (RDP), as rdpdoctor finds them by content.
decode=()
for a in "${targets[@]}"; do decode+=(-d "tcp.port==${a##*:},tpkt"); done
read -r tshark_s tshark_kb < <(t tshark -r "$dir/big.pcap" "${decode[@]}" -Y rdp)
rdp_frames=$(wc -l <"$dir/out")
printf 'tool\tseconds\tMB/s\tpeak_rss_MB\tresult\n'
if [ -n "${before_s:-}" ]; then
  awk -v s="$before_s" -v kb="$before_kb" -v b="$size" 'BEGIN{printf "before\t%.2f\t%.0f\t%.0f\t%s\n", s, b/1048576/(s>0?s:0.01), kb/1024, "RDPDOCTOR_BIN_BEFORE"}'
fi
awk -v s="$ours_s" -v kb="$ours_kb" -v b="$size" -v c="$conns" 'BEGIN{printf "rdpdoctor inspect\t%.2f\t%.0f\t%.0f\t%d RDP connections\n", s, b/1048576/(s>0?s:0.01), kb/1024, c}'
awk -v s="$tshark_s" -v kb="$tshark_kb" -v b="$size" -v c="$rdp_frames" 'BEGIN{printf "tshark -Y rdp\t%.2f\t%.0f\t%.0f\t%d RDP frames\n", s, b/1048576/(s>0?s:0.01), kb/1024, c}'
awk -v a="$ours_s" -v b="$tshark_s" -v size="$size" 'BEGIN{printf "ratio\t%.1fx faster\t\t\t%.0f MB capture\n", b/(a>0?a:0.01), size/1048576}'
