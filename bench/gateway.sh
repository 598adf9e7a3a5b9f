#!/usr/bin/env bash
# Through an RD Gateway, on loopback: `rdpdoctor probe TARGET --gateway GW
# --user demo` beside the reference client `xfreerdp +auth-only /g:GW
# /gt:http` on the same emulated gateway (`rdpdoctor lab serve --gateway
# gw-healthy`) and the same target (the emulator's healthy-tls), in the same
# run, alternating the tools so machine noise hits both alike.
#   bash bench/gateway.sh [RUNS] [ONE_WAY_MS]   (defaults 10 and 0)
# ONE_WAY_MS > 0 (root): the tools run in namespace rdpbench-c and the
# gateway and target in rdpbench-s, joined by bench/wire.sh's slow link
# (ONE_WAY_MS each way: 100 gives a 200 ms round trip); the gateway reaches
# its target inside rdpbench-s, as a gateway beside its hosts does. The
# table then also counts round trips (wall time / RTT).
# Measures, per run:
#   - rdpdoctor: the time to an open channel (the sum of the gateway's hops:
#     TCP, TLS, RDG_OUT_DATA, NTLM with the WebSocket upgrade, handshake,
#     tunnel create, tunnel auth, channel create), the target's X.224
#     negotiation and TLS through the channels (timings.stages_ms), and the
#     whole probe's wall time;
#   - xfreerdp 2.11: wall time of `+auth-only /sec:tls` through the gateway
#     (the same path, then the target's X.224 and TLS: FreeRDP exits 0 after
#     the TLS handshake, "Authentication only"), process start included.
# Prints a TSV table of medians and the ratio xfreerdp / rdpdoctor.
# Only 127.0.0.1; the demo's throwaway password goes to rdpdoctor in a file
# and to xfreerdp in its argv (the reference client has no other way).
# Starts Xvfb for xfreerdp; removes everything it made (processes by pid,
# the temp dir) on exit. RDPDOCTOR_BIN picks the binary (default:
# target/release, else target/debug).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
one_way=${2:-0}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number" >&2; exit 2; }
[[ $one_way =~ ^[0-9]+$ ]] || { echo "ONE_WAY_MS must be a number" >&2; exit 2; }
# shellcheck source=wire.sh
. bench/wire.sh
((one_way == 0)) || wire_check
bin=${RDPDOCTOR_BIN:-}
[ -n "$bin" ] || { [ -x target/release/rdpdoctor ] && bin=target/release/rdpdoctor || bin=target/debug/rdpdoctor; }
[ -x "$bin" ] || { echo "no rdpdoctor binary: cargo build --release -p rdpdoctor" >&2; exit 2; }
for c in xfreerdp Xvfb jq python3; do
  command -v "$c" >/dev/null || { echo "$c is needed (lab/install.sh; jq: apt-get install jq)" >&2; exit 2; }
done
dir=$(mktemp -d /tmp/rdpdoctor-bench-gateway.XXXXXX)
pids=()
cleanup() {
  if ((one_way > 0)); then wire_down; else
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

display=":$((150 + $$ % 50))"
Xvfb "$display" -screen 0 800x600x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
if ((one_way > 0)); then
  wire_up "$one_way" "$dir"
  ip netns exec "$NS_S" "$bin" lab serve --fault "healthy-tls=$ADDR_S:3389" \
    --gateway "gw-healthy=$ADDR_S:443" >"$dir/serve.txt" 2>/dev/null &
  run=(ip netns exec "$NS_C")
else
  "$bin" lab serve --fault healthy-tls --gateway gw-healthy >"$dir/serve.txt" 2>/dev/null &
  run=()
fi
pids+=($!)
for _ in $(seq 100); do [ "$(wc -l <"$dir/serve.txt")" -ge 2 ] && break; sleep 0.1; done
target=$(awk '$1 == "fault" {print $5}' "$dir/serve.txt")
gw=$(awk '$1 == "gateway" {print $5}' "$dir/serve.txt")
[ -n "$target" ] && [ -n "$gw" ] || { echo "lab serve did not start: $(cat "$dir/serve.txt")" >&2; exit 1; }
user=demo pass=Demo-Pass-1
printf '%s' "$pass" >"$dir/pw"
chmod 600 "$dir/pw"
now() { date +%s.%N; }

: >"$dir/ours.tsv"
: >"$dir/theirs.tsv"
for i in $(seq "$runs"); do
  s=$(now)
  "${run[@]}" "$bin" probe "$target" --gateway "$gw" --user "$user" --password-file "$dir/pw" \
    --no-reverse-dns --timeout 5 --format json >"$dir/p.json" 2>/dev/null || true
  e=$(now)
  jq -r --arg wall "$(python3 -c "print(($e - $s) * 1000)")" \
    '[([.gateway.hops[].elapsed_ms] | add), (.timings.stages_ms.negotiation // 0), (.timings.stages_ms.tls // 0), ($wall | tonumber), .gateway.target_probed, (.tls.version // "none"), ([.gateway.hops[] | select(.hop == "tcp") | .elapsed_ms] | first // 0)] | @tsv' \
    "$dir/p.json" >>"$dir/ours.tsv"
  home="$dir/home$i"
  mkdir -p "$home"
  s=$(now)
  rc=0
  "${run[@]}" env DISPLAY=$display HOME=$home XDG_CONFIG_HOME=$home/config timeout -k 3 20 xfreerdp \
    "/v:$target" "/u:$user" "/p:$pass" /sec:tls "/g:$gw" "/gu:$user" "/gp:$pass" /gt:http \
    /cert:ignore +auth-only </dev/null >"$dir/x.log" 2>&1 || rc=$?
  e=$(now)
  printf '%s\t%s\n' "$(python3 -c "print(($e - $s) * 1000)")" "$rc" >>"$dir/theirs.tsv"
done

python3 - "$dir/ours.tsv" "$dir/theirs.tsv" "$runs" "$one_way" <<'PY'
import statistics, sys
ours = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l]
theirs = [l.split("\t") for l in open(sys.argv[2]).read().splitlines() if l]
med = lambda xs: statistics.median(xs)
channel = med([float(r[0]) for r in ours])
neg = med([float(r[1]) for r in ours])
tls = med([float(r[2]) for r in ours])
wall = med([float(r[3]) for r in ours])
probed = sum(r[4] == "true" for r in ours)
x = med([float(r[0]) for r in theirs])
xok = sum(r[1] == "0" for r in theirs)
print("tool\tmeasure\tmedian_ms\truns_ok")
print(f"rdpdoctor\tto an open channel (gateway hops)\t{channel:.1f}\t{probed}/{len(ours)}")
print(f"rdpdoctor\ttarget X.224 through the gateway (3 channels)\t{neg:.1f}\t{probed}/{len(ours)}")
print(f"rdpdoctor\ttarget TLS through the channel\t{tls:.1f}\t{probed}/{len(ours)}")
print(f"rdpdoctor\twhole probe, wall time\t{wall:.1f}\t{probed}/{len(ours)}")
print(f"xfreerdp\t+auth-only through the gateway to the target's TLS, wall time\t{x:.1f}\t{xok}/{len(theirs)}")
print(f"ratio\txfreerdp / rdpdoctor (wall times)\t{x / wall:.2f}\t")
if int(sys.argv[4]) > 0:
    # The round trip as the probe's TCP connect to the gateway measured it.
    rtt = med([float(r[6]) for r in ours])
    print(f"link\tRTT (the probe's TCP connect to the gateway)\t{rtt:.1f}\t")
    for name, v in [("rdpdoctor to an open channel", channel), ("rdpdoctor whole probe", wall), ("xfreerdp to the target's TLS", x)]:
        print(f"round trips\t{name}\t{v / rtt:.1f}\t")
PY
