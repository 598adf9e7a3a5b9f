#!/usr/bin/env bash
# Two builds of rdpdoctor, an older one and this one, timed on the same work
# in the same run, alternating, as ratios (after / before: under 1 is faster)
# of wall time and of CPU time (user + system):
#   probe   a full `probe` of each lab server below, 3 times (the lab must be up);
#   scan    one `scan --profile fast` of every loopback lab server at once;
#   inspect `inspect --since all` of the real event logs (copied to MB), and of
#           a real SYSTEM hive (Windows 10 1709) 20 times, from ../shared/fixtures.
#
#   git worktree add /tmp/before OLD_COMMIT && (cd /tmp/before && cargo build --release -p rdpdoctor)
#   cargo build --release -p rdpdoctor && bash lab/up.sh
#   bash bench/before-after.sh /tmp/before/target/release/rdpdoctor [RUNS] [MB]
#
# RDPDOCTOR_BIN: the "after" build (default target/release/rdpdoctor).
# RUNS (default 5): medians. MB (default 128): event logs read by inspect.
# Only 127.0.0.1. Prints a TSV table; writes nothing outside a temporary
# folder, which it removes.
set -euo pipefail
before=$(realpath "${1:?usage: bench/before-after.sh BEFORE_BINARY [RUNS] [MB]}")
[ -n "${RDPDOCTOR_BIN:-}" ] && RDPDOCTOR_BIN=$(realpath "$RDPDOCTOR_BIN")
cd "$(dirname "$0")/.."
runs=${2:-5}
mb=${3:-128}
after=${RDPDOCTOR_BIN:-target/release/rdpdoctor}
for b in "$before" "$after"; do
  [ -x "$b" ] || { echo "no rdpdoctor binary at $b (cargo build --release -p rdpdoctor)" >&2; exit 2; }
done
fixtures=
for d in ../shared/fixtures ../../shared/fixtures; do
  [ -f "$d/evtx/SOURCES.tsv" ] && { fixtures=$d; break; }
done
[ -n "$fixtures" ] || { echo "no shared/fixtures found beside the repo" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 2; }
port_of() { awk -F'\t' -v n="$1" '$1==n {print $3}' lab/scenarios.tsv; }
"$after" probe "127.0.0.1:$(port_of xrdp-tls)" --format json --no-reverse-dns >/dev/null 2>&1 \
  || [ $? -lt 4 ] || { echo "the lab does not answer: bash lab/up.sh" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rdpdoctor-before-after.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Every loopback lab server that answers (the silent and late ones would time
# the deadline, not the tool).
awk -F'\t' '!/^#/ && $2=="127.0.0.1" && $1!="silent" && $1!="late" {print "127.0.0.1:" $3}' \
  lab/scenarios.tsv >"$scratch/targets"
mkdir "$scratch/logs"
set_bytes=$(cat "$fixtures"/evtx/*.evtx | wc -c)
for i in $(seq $(( mb * 1048576 / set_bytes + 1 ))); do
  for f in "$fixtures"/evtx/*.evtx; do cp "$f" "$scratch/logs/$i-$(basename "$f")"; done
done
xz -dc "$fixtures/hives/SYSTEM_WIN_10_1709.xz" >"$scratch/SYSTEM"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# "WALL CPU" seconds of REPEAT runs of one command (CPU: user + system, what
# the tool itself spent, steadier than wall time on a shared machine); its
# exit status is a verdict, not a failure.
timed() {
  local n=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$scratch/time" bash -c 'n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done; true' _ "$n" "$@"
  awk '{print $1, $2 + $3}' "$scratch/time"
}

printf 'work\tbefore_wall_s\tafter_wall_s\tratio_wall\tbefore_cpu_s\tafter_cpu_s\tratio_cpu\n'
row() { # NAME REPEAT ARGS...: the two builds on the same arguments, alternating
  local name=$1 n=$2 bw=() aw=() bc=() ac=() t
  shift 2
  for _ in $(seq "$runs"); do
    t=$(timed "$n" "$before" "$@"); bw+=("${t% *}"); bc+=("${t#* }")
    t=$(timed "$n" "$after" "$@"); aw+=("${t% *}"); ac+=("${t#* }")
  done
  local m=()
  for a in bw aw bc ac; do
    local -n arr=$a
    m+=("$(printf '%s\n' "${arr[@]}" | median)")
  done
  awk -v n="$name" -v bw="${m[0]}" -v aw="${m[1]}" -v bc="${m[2]}" -v ac="${m[3]}" \
    'BEGIN {printf "%s\t%.3f\t%.3f\t%.2f\t%.3f\t%.3f\t%.2f\n", n, bw, aw, aw / bw, bc, ac, (bc > 0 ? ac / bc : 0)}'
}
for name in xrdp-negotiate xrdp-tls xrdp-expired shadow-nla shadow-default ironrdp-hybrid; do
  row "probe $name, 3 times" 3 probe "127.0.0.1:$(port_of "$name")" --format json --no-reverse-dns
done
row "scan $(wc -l <"$scratch/targets") lab servers" 1 scan --input-list "$scratch/targets" --format ndjson --rate 0
row "inspect ${mb} MB of event logs" 1 inspect --format json --since all "$scratch/logs"
row "inspect a real SYSTEM hive, 20 times" 20 inspect --format json "$scratch/SYSTEM"
