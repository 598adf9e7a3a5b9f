#!/usr/bin/env bash
# `rdpdoctor exporter` under load: rounds of 200 concurrent /probe requests
# (curl --parallel) against lab hosts for DURATION seconds, and what a
# fleet owner would check:
#   - the concurrency bound holds (rdpdoctor_exporter_probes_in_flight_max from
#     /metrics never exceeds max_concurrent_probes); the overflow waits, then 503;
#   - no file-descriptor leak (/proc/PID/fd when idle, before and after);
#   - memory flat (VmRSS sampled every second; first and last minute compared);
#   - targets outside the allowlist get 403 with its message, and a listener on
#     such an address (127.0.0.2) counts the connections that reach it: zero.
# Targets: emulator faults this script starts (`rdpdoctor lab serve`) and two
# lab hosts (xrdp-expired, closed) when the lab is up; 1 request in 20 goes to
# the outside listener. Not a test: it prints figures (README, "Exporter").
#
#   cargo build --release -p rdpdoctor && bash bench/exporter-load.sh [DURATION_S] [CONCURRENCY] [LIMIT]
# Defaults: 600 s (ten minutes), 200 concurrent requests, max_concurrent_probes 32.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
concurrency=${2:-200}
limit=${3:-32}
bin=${RDPDOCTOR_BIN:-target/release/rdpdoctor}
[ -x "$bin" ] || { echo "build first: cargo build --release -p rdpdoctor" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed (lab/install.sh installs it)" >&2; exit 2; }

work=$(mktemp -d /tmp/rdpdoctor-exporter-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The emulator: one listener per fault on free loopback ports.
faults=(expired-cert nla-required clock-skew healthy-tls tls-required credssp-v2 server-denied wrong-name-cert)
fault_args=()
for f in "${faults[@]}"; do fault_args+=(--fault "$f"); done
"$bin" lab serve "${fault_args[@]}" >"$work/emulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  [ "$(grep -c 'listening on' "$work/emulator.log" || true)" -ge "${#faults[@]}" ] && break
  sleep 0.1
done
mapfile -t targets < <(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/emulator.log" | awk '{print $3}')
[ "${#targets[@]}" -eq "${#faults[@]}" ] || { echo "the emulator did not start:"; cat "$work/emulator.log"; exit 1; } >&2
if [ -r /tmp/rdpdoctor-lab/env ]; then
  for name in xrdp-expired closed; do
    port=$(awk -F'\t' -v n="$name" '$1==n {print $3}' lab/scenarios.tsv)
    targets+=("127.0.0.1:$port")
  done
fi

# Outside the allowlist: a listener on 127.0.0.2 that counts accepted connections.
python3 - "$work/outside" <<'EOF' &
import signal, socket, sys
out = sys.argv[1]
s = socket.socket(); s.bind(("127.0.0.2", 0)); s.listen(64)
open(out + ".port", "w").write(str(s.getsockname()[1]))
n = 0
def done(*_):
    open(out + ".count", "w").write(str(n)); sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    c, _ = s.accept(); n += 1; c.close()
EOF
outside_pid=$!
for _ in $(seq 50); do [ -s "$work/outside.port" ] && break; sleep 0.1; done
outside="127.0.0.2:$(cat "$work/outside.port")"

cat >"$work/exporter.toml" <<EOF
allow = ["127.0.0.1/32"]
max_concurrent_probes = $limit
[modules.fast]
profile = "fast"
timeout_seconds = 10
EOF
"$bin" exporter --listen 127.0.0.1:0 --config "$work/exporter.toml" 2>"$work/exporter.log" &
exporter_pid=$!
pids+=("$exporter_pid")
for _ in $(seq 50); do grep -q 'listening on' "$work/exporter.log" && break; sleep 0.1; done
addr=$(grep -o 'http://[0-9.:]*' "$work/exporter.log" | head -1)
metric() { curl -s "$addr/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
fds() { ls "/proc/$exporter_pid/fd" | wc -l; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$exporter_pid/status"; }
idle() { # until no probe is in flight and only our own /metrics connection is open
  for _ in $(seq 100); do
    [ "$(metric rdpdoctor_exporter_probes_in_flight)" = 0 ] && [ "$(metric rdpdoctor_exporter_http_connections)" -le 1 ] && return
    sleep 0.2
  done
}

# The request list of one round: targets in turn, every 20th outside.
urls="$work/round.curl"
: >"$urls"
for i in $(seq 0 $((concurrency - 1))); do
  if [ $((i % 20)) -eq 19 ]; then t=$outside; else t=${targets[$((i % ${#targets[@]}))]}; fi
  printf 'url = "%s/probe?target=%s&module=fast"\noutput = "/dev/null"\n' "$addr" "$t" >>"$urls"
done

fd_before=$(fds)
rss_before=$(rss_kib)
echo "exporter-load: $addr, ${#targets[@]} targets + 1 outside ($outside), $concurrency concurrent, limit $limit, ${duration} s" >&2

# RSS every second, in the background.
(while kill -0 "$exporter_pid" 2>/dev/null; do echo "$(date +%s) $(rss_kib)"; sleep 1; done) >"$work/rss" 2>/dev/null &
pids+=($!)

start=$(date +%s)
rounds=0
: >"$work/codes" ; : >"$work/round_s"
while [ $(( $(date +%s) - start )) -lt "$duration" ]; do
  t0=$(date +%s.%N)
  curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$concurrency" \
    -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' -w '%{http_code}\n' -K "$urls" >>"$work/codes" 2>/dev/null || true
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' >>"$work/round_s"
  rounds=$((rounds + 1))
done
elapsed=$(( $(date +%s) - start ))
idle
sleep 1
fd_after=$(fds)
rss_after=$(rss_kib)
refused_msg=$(curl -s "$addr/probe?target=$outside")
kill "$outside_pid"; wait "$outside_pid" 2>/dev/null || true
reached=$(cat "$work/outside.count" 2>/dev/null || echo '?')

total=$(wc -l <"$work/codes")
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
first_min=$(awk -v s="$start" '$1 < s + 60 {print $2}' "$work/rss" | median)
last_min=$(awk -v e="$((start + elapsed))" '$1 >= e - 60 {print $2}' "$work/rss" | median)
max_rss=$(awk '{print $2}' "$work/rss" | sort -n | tail -1)

printf 'figure\tvalue\n'
printf 'duration_s\t%s\n' "$elapsed"
printf 'rounds of %s concurrent requests\t%s\n' "$concurrency" "$rounds"
printf 'requests\t%s\n' "$total"
printf 'requests per second\t%s\n' "$(awk -v n="$total" -v s="$elapsed" 'BEGIN {printf "%.1f", n / s}')"
sort "$work/codes" | uniq -c | awk '{printf "HTTP %s\t%s\n", $2, $1}'
printf 'round wall time median_s\t%s\n' "$(median <"$work/round_s")"
printf 'probes answered per second (HTTP 200)\t%s\n' "$(grep -c '^200$' "$work/codes" | awk -v s="$elapsed" '{printf "%.1f", $1 / s}')"
printf 'mean probe duration_s (/metrics)\t%s\n' "$(awk -v s="$(metric 'rdpdoctor_exporter_probe_duration_seconds_sum{module="fast"}')" -v c="$(metric 'rdpdoctor_exporter_probe_duration_seconds_count{module="fast"}')" 'BEGIN {printf "%.2f", s / c}')"
printf 'exporter CPU seconds (/metrics)\t%s\n' "$(metric process_cpu_seconds_total)"
printf 'load average at the end (machine)\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'max_concurrent_probes\t%s\n' "$limit"
printf 'probes_in_flight_max (/metrics)\t%s\n' "$(metric rdpdoctor_exporter_probes_in_flight_max)"
printf 'busy_refusals_total (503)\t%s\n' "$(metric rdpdoctor_exporter_busy_refusals_total)"
printf 'allowlist_refusals_total (403)\t%s\n' "$(metric rdpdoctor_exporter_allowlist_refusals_total)"
printf 'connections that reached the outside listener\t%s\n' "$reached"
printf 'open fds idle before / after\t%s / %s\n' "$fd_before" "$fd_after"
printf 'RSS KiB idle before / median first minute / median last minute / max / idle after\t%s / %s / %s / %s / %s\n' \
  "$rss_before" "$first_min" "$last_min" "$max_rss" "$rss_after"
printf 'RSS MiB, median of each minute\t%s\n' "$(awk -v s="$start" '{m = int(($1 - s) / 60); if (m >= 0) print m, $2}' "$work/rss" |
  sort -k1,1n -k2,2n | awk '{v[$1] = v[$1] " " $2; n[$1]++} END {for (m = 0; m in n; m++) {split(substr(v[m], 2), a, " "); printf "%s%.0f", (m ? " " : ""), a[int((n[m] + 1) / 2)] / 1024}}')"
printf '403 message\t%s\n' "$refused_msg"
