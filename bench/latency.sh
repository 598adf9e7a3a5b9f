#!/usr/bin/env bash
# How many round trips rdpdoctor costs on a slow link, beside the reference
# client and nmap, in the same run.
#
# usage: bash bench/latency.sh [RUNS] [ONE_WAY_MS]      (root; defaults 3 and 100)
#
# Builds its own pair of network namespaces (rdpbench-c, rdpbench-s) joined by
# bench/netdelay.py, a user-space wire that holds every packet ONE_WAY_MS in
# each direction (SYNs included; `tc netem` does not exist on this kernel).
# Starts an xrdp (security_layer=negotiate, crypt high, a throwaway self-signed
# certificate) in rdpbench-s on 10.78.0.2:3389 and an Xvfb for xfreerdp, then
# measures from rdpbench-c, alternating the tools so machine noise hits all alike:
#   - `rdpdoctor probe` wall time and the round trips it reports
#     (timings.critical_path_round_trips, timings.deep_round_trips);
#   - `xfreerdp +auth-only /sec:tls` to the logon screen (xrdp does not check
#     credentials over TLS: FreeRDP runs the connection to ACTIVE and exits 0);
#   - nmap's rdp-enum-encryption + rdp-ntlm-info.
# Prints a table of medians, each also in round trips (wall time / RTT, RTT
# measured by the probe's TCP connects) and as a ratio to rdpdoctor.
# Removes everything it made on exit (namespaces, processes it started by pid,
# the temp dir). Traffic never leaves the two namespaces. RDPDOCTOR_BENCH_HOLD=SECONDS
# only sets up and waits (to look closer from rdpbench-c). Needs a release build:
#   cargo build --release -p rdpdoctor
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../lab/lib.sh
. lab/lib.sh # xrdp_ini
runs=${1:-3}
one_way=${2:-100}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number" >&2; exit 2; }
[[ $one_way =~ ^[0-9]+$ ]] || { echo "ONE_WAY_MS must be a number" >&2; exit 2; }
# RDPDOCTOR_BIN: the build to measure; RDPDOCTOR_BASELINE: an older build, one more row.
bin=${RDPDOCTOR_BIN:-$PWD/target/release/rdpdoctor}
[[ -x $bin ]] || { echo "build first: cargo build --release -p rdpdoctor" >&2; exit 2; }
for tool in /usr/sbin/xrdp xfreerdp Xvfb nmap openssl jq; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (lab/install.sh installs the lab's tools; jq: apt-get install jq)" >&2; exit 2; }
done
[[ -s /etc/xrdp/rsakeys.ini ]] || { echo "/etc/xrdp/rsakeys.ini is missing (lab/install.sh makes it)" >&2; exit 2; }

# shellcheck source=wire.sh
. bench/wire.sh
PORT=3389
wire_check
tmp=$(mktemp -d /tmp/rdpdoctor-bench.XXXXXX)
pids=()

cleanup() {
    wire_down
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The wire: two TUN devices, one per namespace, joined with latency.
wire_up "$one_way" "$tmp"

# A display for xfreerdp (it needs one even for +auth-only).
display=
for d in $(seq 140 160); do
    if [[ ! -e /tmp/.X11-unix/X$d && ! -e /tmp/.X$d-lock ]]; then display=:$d; break; fi
done
[[ -n $display ]] || { echo "no free X display number" >&2; exit 1; }
Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)

# xrdp as the lab runs it, on its own throwaway certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/xrdp.key" -out "$tmp/xrdp.crt" \
    -days 2 -subj /CN=localhost >/dev/null 2>&1
xrdp_ini "$tmp/xrdp.ini" "tcp://$ADDR_S:$PORT" negotiate high "$tmp/xrdp.crt" "$tmp/xrdp.key" \
    "TLSv1.2, TLSv1.3" "" "$tmp/xrdp.log" INFO
ip netns exec $NS_S /usr/sbin/xrdp --nodaemon --config "$tmp/xrdp.ini" >"$tmp/xrdp.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    ip netns exec $NS_S ss -Hltn "sport = :$PORT" | grep -q LISTEN && break
    sleep 0.1
done
ip netns exec $NS_S ss -Hltn "sport = :$PORT" | grep -q LISTEN ||
    { echo "xrdp did not start:" >&2; cat "$tmp/xrdp.out" "$tmp/xrdp.log" >&2; exit 1; }
for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X${display#:} ]] && break; sleep 0.1; done

if [[ -n ${RDPDOCTOR_BENCH_HOLD-} ]]; then
    # For looking closer: keep the setup up this many seconds, measure nothing.
    echo "up: ip netns exec $NS_C ... $ADDR_S:$PORT (display $display) for $RDPDOCTOR_BENCH_HOLD s" >&2
    sleep "$RDPDOCTOR_BENCH_HOLD"
    exit 0
fi

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a r_s r_rt r_deep r_rtt x_s n_s b_s
x_rc=() r_out=()
for i in $(seq "$runs"); do
    t0=$(now)
    in_c "$bin" probe "$ADDR_S:$PORT" --format json --no-reverse-dns >"$tmp/probe.json" 2>"$tmp/probe.err" || true
    r_s+=("$(since "$t0")")
    r_rt+=("$(jq -r '.timings.critical_path_round_trips // "nan"' "$tmp/probe.json")")
    r_deep+=("$(jq -r '.timings.deep_round_trips // "nan"' "$tmp/probe.json")")
    r_rtt+=("$(jq -r '.tcp.rtt_ms.min // "nan"' "$tmp/probe.json")")
    r_out+=("$(jq -r '.deep.outcome.kind // "none"' "$tmp/probe.json")")
    cp "$tmp/probe.json" "$tmp/probe-$i.json"

    if [[ -n ${RDPDOCTOR_BASELINE-} ]]; then
        t0=$(now)
        in_c "$RDPDOCTOR_BASELINE" probe "$ADDR_S:$PORT" --format json --no-reverse-dns >/dev/null 2>&1 || true
        b_s+=("$(since "$t0")")
    fi

    t0=$(now)
    rc=0
    in_c env DISPLAY="$display" HOME="$tmp/fhome-$i" XDG_CONFIG_HOME="$tmp/fhome-$i/config" \
        timeout -k 3 60 xfreerdp /v:$ADDR_S:$PORT /u:benchuser /p:bench +auth-only /sec:tls /cert:ignore \
        </dev/null >"$tmp/xfreerdp-$i.log" 2>&1 || rc=$?
    x_s+=("$(since "$t0")")
    x_rc+=("$rc")

    t0=$(now)
    in_c nmap -Pn -n -sT -p $PORT --script rdp-enum-encryption,rdp-ntlm-info $ADDR_S >"$tmp/nmap-$i.log" 2>&1 || true
    n_s+=("$(since "$t0")")
done

rtt_ms=$(printf '%s\n' "${r_rtt[@]}" | median)
r=$(printf '%s\n' "${r_s[@]}" | median)
x=$(printf '%s\n' "${x_s[@]}" | median)
n=$(printf '%s\n' "${n_s[@]}" | median)
rt=$(printf '%s\n' "${r_rt[@]}" | median)
deep=$(printf '%s\n' "${r_deep[@]}" | median)

printf 'link: %s ms one way (measured TCP connect RTT, median of runs: %s ms); %s runs; xrdp 0.9 negotiate on %s\n' \
    "$one_way" "$rtt_ms" "$runs" "$ADDR_S:$PORT"
printf 'rdpdoctor deep outcome per run: %s; xfreerdp rc per run: %s\n' "${r_out[*]}" "${x_rc[*]}"
printf 'rdpdoctor reported round trips: critical path %s, deep probe %s (per run: %s / %s)\n' \
    "$rt" "$deep" "${r_rt[*]}" "${r_deep[*]}"
printf 'rdpdoctor stages, last run (ms): %s\n\n' \
    "$(jq -r '.timings.stages_ms | to_entries | map("\(.key) \(.value | floor)") | join(", ")' "$tmp/probe-$runs.json")"
printf '%-44s %10s %12s %14s\n' tool median_s wall_in_RTTs ratio_to_rdpdoctor
row() { awk -v t="$1" -v s="$2" -v rtt="$rtt_ms" -v r="$r" \
    'BEGIN {printf "%-44s %10.3f %12.1f %14.2f\n", t, s, s * 1000 / rtt, s / r}'; }
row "rdpdoctor probe (whole probe)" "$r"
if [[ -n ${RDPDOCTOR_BASELINE-} ]]; then
    row "rdpdoctor probe, baseline build" "$(printf '%s\n' "${b_s[@]}" | median)"
fi
row "xfreerdp +auth-only /sec:tls (to logon)" "$x"
row "nmap rdp-enum-encryption + rdp-ntlm-info" "$n"
