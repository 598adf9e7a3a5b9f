#!/usr/bin/env bash
# Wall time of one full `rdpdoctor probe` beside nmap's RDP scripts
# (rdp-enum-encryption + rdp-ntlm-info) on the same lab hosts, in the same run,
# as a ratio. Needs the lab (lab/up.sh) and a release build; run from the repo:
#   cargo build --release && bash lab/up.sh && bash bench/probe-vs-nmap.sh [RUNS]
# Medians over RUNS runs (default 5), alternating the two tools so that machine
# noise hits both alike. Prints a TSV table and writes nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=target/release/rdpdoctor
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v nmap >/dev/null || { echo "nmap is not installed (lab/install.sh installs it)" >&2; exit 2; }

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf 'scenario\tport\trdpdoctor_median_s\tnmap_median_s\tratio_rdpdoctor_over_nmap\n'
for name in xrdp-negotiate xrdp-tls shadow-nla shadow-default; do
  port=$(awk -F'\t' -v n="$name" '$1==n {print $3}' lab/scenarios.tsv)
  r_times=() n_times=()
  for _ in $(seq "$runs"); do
    t0=$(now); "$bin" probe "127.0.0.1:$port" --format json --no-reverse-dns >/dev/null || true; t1=$(now)
    r_times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
    t0=$(now); nmap -Pn -n -sT -p "$port" --script "+rdp-enum-encryption,+rdp-ntlm-info" 127.0.0.1 >/dev/null 2>&1 || true; t1=$(now)
    n_times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
  done
  r=$(printf '%s\n' "${r_times[@]}" | median)
  n=$(printf '%s\n' "${n_times[@]}" | median)
  awk -v s="$name" -v p="$port" -v r="$r" -v n="$n" 'BEGIN {printf "%s\t%s\t%.3f\t%.3f\t%.2f\n", s, p, r, n, r / n}'
done
