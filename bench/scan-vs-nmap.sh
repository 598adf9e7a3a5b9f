#!/usr/bin/env bash
# `rdpdoctor scan --profile fast` over 65,536 addresses beside nmap's
# rdp-enum-encryption, in the same run, inside a network namespace this
# script makes (so nothing leaves the machine: the namespace has only its own
# loopback, where 127.1.0.0/16 is local), and removes on exit.
#
#   cargo build --release && sudo bash bench/scan-vs-nmap.sh [PREFIX] [NMAP_SAMPLE] [CONCURRENCY] [RETRIES]
#
# PREFIX: the range scanned, default 16 (127.1.0.0/16 = 65,536 hosts).
# NMAP_SAMPLE: hosts nmap scans (default 256, spread over the four quarters
# below); its rate is extrapolated to the range, and `scan` runs on the
# same sample too, for a like-for-like ratio.
# CONCURRENCY: scan's --concurrency (default 256; --rate 0).
# RETRIES: scan's --retries (default 1; 0 = no re-check after a timeout).
# BENCH_CPUS=0 pins the emulator and the scans to CPU 0 (a loaded machine);
# BENCH_KEEP=FILE keeps the whole-range scan's NDJSON there.
#
# Who answers: `rdpdoctor lab serve` (the emulator, built from the same wire
# codecs as the probe) with four faults; nft redirects by address range, so
# the NLA verdict must differ by range:
#   127.1.0.0/17   nla-required  (0.0.0.0:3389)   → nla "required"
#   127.1.128.0/18 healthy-tls   (127.0.0.1:3390) → nla "absent"
#   127.1.192.0/19 expired-cert  (127.0.0.1:3391) → nla "absent", cert-expired
#   127.1.224.0/19 healthy-nla   (127.0.0.1:3392) → nla "optional"
# Measured: wall time, hosts/s and peak RSS (/usr/bin/time -v) of the scan,
# NLA verdicts counted per range, wrong verdicts (a verdict other than
# works-with-warnings, or an NLA verdict other than the range's: every one is
# the scanner's, since every server is healthy and local), hosts re-checked
# after a timeout (from the --resume file the scan writes beside its CSV), and a sample of hosts probed one by one
# (`probe --profile fast --samples 1`) whose verdict, NLA verdict, findings
# and top cause must equal the scan's line. Prints a report; writes nothing
# outside a temporary folder, which it removes.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-16}
sample=${2:-256}
concurrency=${3:-256}
retries=${4:-1}
bin=${RDPDOCTOR_BIN:-target/release/rdpdoctor}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
bin=$(realpath "$bin")
command -v nmap >/dev/null || { echo "nmap is not installed (lab/install.sh installs it)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (a network namespace)" >&2; exit 2; }
[ "$prefix" -ge 16 ] && [ "$prefix" -le 30 ] || { echo "PREFIX: 16 to 30" >&2; exit 2; }

ns=rdpscan-bench-$$
work=$(mktemp -d /tmp/rdpscan-bench.XXXXXX)
emu_pid=
cleanup() {
  set +e # every step, whatever the one before did
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null; fi
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 143" INT TERM
# BENCH_CPUS (e.g. 0): the emulator and the scans share only these CPUs
# (taskset): a loaded machine, reproducibly.
pin=()
[ -n "${BENCH_CPUS:-}" ] && pin=(taskset -c "$BENCH_CPUS")
in_ns() { ip netns exec "$ns" "${pin[@]}" "$@"; }

ip netns add "$ns"
ip -n "$ns" link set lo up
# Many short connections: a wide port range, and NAT state that does not
# outlive its connection by minutes.
in_ns sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 \
  net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192
in_ns sysctl -q -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=1 \
  net.netfilter.nf_conntrack_tcp_timeout_close_wait=1 net.netfilter.nf_conntrack_tcp_timeout_fin_wait=1 \
  2>/dev/null || true
in_ns nft -f - <<'EOF'
table ip bench {
  chain out {
    type nat hook output priority -100;
    ip daddr 127.1.128.0/18 tcp dport 3389 redirect to :3390
    ip daddr 127.1.192.0/19 tcp dport 3389 redirect to :3391
    ip daddr 127.1.224.0/19 tcp dport 3389 redirect to :3392
  }
}
EOF
ulimit -n 65536 2>/dev/null || true
ip netns exec "$ns" "${pin[@]}" "$bin" lab serve --max-connections 8192 --fault nla-required=0.0.0.0:3389 --fault healthy-tls=127.0.0.1:3390 \
  --fault expired-cert=127.0.0.1:3391 --fault healthy-nla=127.0.0.1:3392 >"$work/emu.txt" 2>&1 &
emu_pid=$!
for _ in $(seq 50); do [ "$(wc -l <"$work/emu.txt")" -ge 4 ] && break; sleep 0.1; done
[ "$(wc -l <"$work/emu.txt")" -ge 4 ] || { cat "$work/emu.txt" >&2; exit 1; }

range=127.1.0.0/$prefix
hosts=$((1 << (32 - prefix)))
# The sample, spread over the four quarters (only the first when the range is small).
q=$((sample / 4))
nmap_spec="127.1.0,128,192,224.0-$((q - 1))"
[ "$prefix" -gt 16 ] && nmap_spec="127.1.0.0-$((sample - 1))"
nmap_spec_scan() { # the same sample as scan targets
  if [ "$prefix" -gt 16 ]; then seq 0 $((sample - 1)) | sed 's/^/127.1.0./'
  else for o in 0 128 192 224; do seq 0 $((q - 1)) | sed "s/^/127.1.$o./"; done; fi
}

echo "# scan-vs-nmap: $(nproc) cores, $(date -u +%FT%TZ), rdpdoctor $("$bin" --version | cut -d' ' -f2), $(nmap --version | head -1)"
echo "# range $range ($hosts hosts) in namespace $ns; scan --concurrency $concurrency --rate 0 --retries $retries; load average $(cut -d' ' -f1-3 /proc/loadavg)${BENCH_CPUS:+; pinned to CPU $BENCH_CPUS}"

# 1. nmap on the sample.
t0=$(date +%s.%N)
in_ns nmap -Pn -n -sT -p 3389 --script rdp-enum-encryption "$nmap_spec" -oN "$work/nmap.txt" >/dev/null 2>&1 || true
t1=$(date +%s.%N)
nmap_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
nmap_hosts=$(grep -c '^Nmap scan report' "$work/nmap.txt" || true)
nmap_nla=$(grep -c 'CredSSP (NLA): SUCCESS' "$work/nmap.txt" || true)

# 2. scan on the same sample.
nmap_spec_scan >"$work/sample.txt"
t0=$(date +%s.%N)
in_ns "$bin" scan -iL "$work/sample.txt" --format csv --rate 0 --concurrency "$concurrency" --retries "$retries" \
  >"$work/sample.csv" || true
t1=$(date +%s.%N)
sample_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')

# 3. scan on the whole range, under /usr/bin/time -v.
t0=$(date +%s.%N)
in_ns /usr/bin/time -v "$bin" scan "$range" --force --format csv --rate 0 --concurrency "$concurrency" \
  --retries "$retries" --resume "$work/scan.ndjson" >"$work/scan.csv" 2>"$work/time.txt" || true
t1=$(date +%s.%N)
scan_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
rows=$(($(wc -l <"$work/scan.csv") - 1))

# NLA verdicts per quarter (column 7 of the CSV), and verdicts.
tr -d '\r' <"$work/scan.csv" >"$work/scan.unix.csv" && mv "$work/scan.unix.csv" "$work/scan.csv"
nla_table=$(awk -F, 'NR > 1 {
  split($2, a, "."); o = a[3] + 0
  r = (o < 128) ? "127.1.0.0/17 nla-required" : (o < 192) ? "127.1.128.0/18 healthy-tls" : (o < 224) ? "127.1.192.0/19 expired-cert" : "127.1.224.0/19 healthy-nla"
  n[r " → nla " $7 ", " $4]++ } END { for (k in n) printf "#   %7d  %s\n", n[k], k }' "$work/scan.csv" | sort -k3)

# Wrong verdicts (every server is healthy: each is the scanner's), and re-checks.
wrong=$(awk -F, 'NR > 1 {
  split($2, a, "."); o = a[3] + 0
  want = (o < 128) ? "required" : (o < 224) ? "absent" : "optional"
  if ($4 != "works-with-warnings" || $7 != want) n++ } END { print n + 0 }' "$work/scan.csv")
[ -n "${BENCH_KEEP:-}" ] && cp "$work/scan.ndjson" "$BENCH_KEEP"
rechecked=$(jq -c 'select(.attempts)' "$work/scan.ndjson" | wc -l)
rechecked_wrong=$(jq -r 'select(.attempts) | [.target.host, .verdict, (.security.nla // "")] | join(" ")' "$work/scan.ndjson" |
  awk '{ split($1, a, "."); o = a[3] + 0
    want = (o < 128) ? "required" : (o < 224) ? "absent" : "optional"
    if ($2 != "works-with-warnings" || $3 != want) n++ } END { print n + 0 }')

# 4. A sample probed one by one: the same verdict, NLA, findings, top cause.
same=0 differ=0
for ip in $(awk -F, 'NR > 1 {print $1}' "$work/scan.csv" | shuf -n 24 --random-source=<(yes)); do
  line=$(grep -m1 "^$ip," "$work/scan.csv" | tr -d '\r')
  want=$(echo "$line" | awk -F, '{print $4 "|" $7 "|" $16 "|" $17}')
  got=$(in_ns "$bin" probe "$ip" --profile fast --samples 1 --no-reverse-dns --format json |
    jq -r '[.verdict, (.security.nla // ""), ([.findings[] | select(.severity != "info") | .id] | join(" ")), (.diagnosis.causes[0].id // "")] | join("|")' || true)
  if [ "$want" = "$got" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "# differs: $ip scan=$want probe=$got"; fi
done

awk -v h="$hosts" -v rows="$rows" -v s="$scan_s" -v rss="$rss_kb" -v ns="$nmap_s" -v nh="$nmap_hosts" \
  -v nn="$nmap_nla" -v ss="$sample_s" -v n="$sample" -v same="$same" -v differ="$differ" 'BEGIN {
  ours = rows / s; theirs = nh / ns; ours_sample = n / ss
  printf "tool\thosts\tseconds\thosts_per_s\tpeak_rss_mib\n"
  printf "rdpdoctor scan --profile fast (whole range)\t%d\t%.1f\t%.0f\t%.1f\n", rows, s, ours, rss / 1024
  printf "rdpdoctor scan --profile fast (the nmap sample)\t%d\t%.1f\t%.0f\t-\n", n, ss, ours_sample
  printf "nmap -sT --script rdp-enum-encryption (sample)\t%d\t%.1f\t%.1f\t-\n", nh, ns, theirs
  printf "# ratio, whole-range scan over nmap: %.1fx hosts/s; same sample: %.1fx\n", ours / theirs, ours_sample / theirs
  printf "# nmap on the whole range, extrapolated from its sample: %.0f s (%.1f h); scan measured: %.0f s\n", h / theirs, h / theirs / 3600, s
  printf "# nmap printed \"CredSSP (NLA): SUCCESS\" for %d of %d sampled hosts (it reports NLA where the server merely accepts it)\n", nn, nh
  printf "# single probes equal to the scan line: %d of %d\n", same, same + differ
}'
echo "# wrong verdicts (whole range): $wrong of $rows; hosts re-checked after a timeout: $rechecked, of which still wrong: $rechecked_wrong"
echo "# scan verdicts by range (count, range → nla, verdict):"
echo "$nla_table"
echo "# hosts judged worse than their range's fault (a few shown):"
awk -F, 'NR > 1 && $4 != "works-with-warnings" {print "#   " $1 ": " $4 " — " $16}' "$work/scan.csv" | head -5
[ "$rows" -eq "$hosts" ] || echo "# WARNING: $rows rows for $hosts hosts"
