#!/usr/bin/env bash
# Reading event logs: `rdpdoctor inspect --format json --since all DIR` beside
# the evtx crate's own evtx_dump (JSON lines to /dev/null; with its default
# threads and with -t 1) on the same ~1 GB of real logs, in the same run, as
# ratios; with MB/s and peak RSS (GNU time).
#   bash bench/evtx-vs-evtx-dump.sh [RUNS] [MB]
# RUNS (default 3) alternating runs, medians; MB (default 1024) of logs built
# in a scratch folder from ../shared/fixtures/evtx, two ways:
#   many: the fixture files copied over and over (a Logs folder of small files;
#         evtx_dump reads one file per process, so it pays a start per file);
#   big:  one file per fixture, its chunks repeated (a few large logs; the
#         parse speeds compared with next to no process starts).
# Installs evtx_dump with `cargo install --locked evtx` when it is missing.
# RDPDOCTOR_EXAMPLE=1 times the read_evtx example (the event reader alone,
# no judgement or rendering) instead of `rdpdoctor inspect`.
# Prints a TSV table; writes nothing outside the scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mb=${2:-1024}
fixtures=${RDPDOCTOR_EVTX_FIXTURES:-}
for d in "$fixtures" ../shared/fixtures/evtx ../../shared/fixtures/evtx; do
  [ -n "$d" ] && [ -f "$d/SOURCES.tsv" ] && { fixtures=$d; break; }
done
[ -f "$fixtures/SOURCES.tsv" ] || { echo "no shared/fixtures/evtx found; set RDPDOCTOR_EVTX_FIXTURES" >&2; exit 2; }
command -v evtx_dump >/dev/null || cargo install --locked evtx >&2
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time" >&2; exit 2; }

if [ "${RDPDOCTOR_EXAMPLE:-0}" = 1 ]; then
  cargo build --release -p rdpdoctor-host --example read_evtx >&2
  ours() { target/release/examples/read_evtx --since 0 "$1"/*.evtx >/dev/null 2>&1; }
else
  cargo build --release -p rdpdoctor >&2
  # Exit 1/3 are verdicts (a finding), not failures.
  ours() { target/release/rdpdoctor inspect --format json --since all "$1" >/dev/null 2>&1 || true; }
fi
theirs() { for f in "$1"/*.evtx; do evtx_dump -o jsonl "$f" >/dev/null 2>&1 || true; done; }
theirs1() { for f in "$1"/*.evtx; do evtx_dump -t 1 -o jsonl "$f" >/dev/null 2>&1 || true; done; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rdpdoctor-evtx-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/many" "$scratch/big"
set_bytes=$(cat "$fixtures"/*.evtx | wc -c)
copies=$(( mb * 1048576 / set_bytes + 1 ))
for i in $(seq "$copies"); do
  for f in "$fixtures"/*.evtx; do cp "$f" "$scratch/many/$i-$(basename "$f")"; done
done
for f in "$fixtures"/*.evtx; do
  { head -c 4096 "$f"; for _ in $(seq "$copies"); do tail -c +4097 "$f"; done; } >"$scratch/big/$(basename "$f")"
done

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
elapsed() { local t0 t1; t0=$(now); "$@"; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
# Peak RSS of the largest process (GNU time reports the largest child).
peak_kb() { /usr/bin/time -v bash -c "$(declare -f ours theirs theirs1); $1 $2" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }

printf 'set\tfiles\tMB\trdpdoctor_s\tevtx_dump_s\tevtx_dump_t1_s\tratio_over_evtx_dump\tratio_over_evtx_dump_t1\trdpdoctor_MB_s\tevtx_dump_MB_s\trdpdoctor_peak_RSS_MB\tevtx_dump_peak_RSS_MB\n'
for set in many big; do
  dir=$scratch/$set
  files=$(find "$dir" -name '*.evtx' | wc -l)
  bytes=$(cat "$dir"/*.evtx | wc -c)   # also warms the page cache for both
  o=() t=() t1=()
  for _ in $(seq "$runs"); do
    o+=("$(elapsed ours "$dir")")
    t+=("$(elapsed theirs "$dir")")
    t1+=("$(elapsed theirs1 "$dir")")
  done
  os=$(printf '%s\n' "${o[@]}" | median)
  ts=$(printf '%s\n' "${t[@]}" | median)
  t1s=$(printf '%s\n' "${t1[@]}" | median)
  ork=$(peak_kb ours "$dir")
  trk=$(peak_kb theirs "$dir")
  awk -v s="$set" -v f="$files" -v b="$bytes" -v o="$os" -v t="$ts" -v t1="$t1s" -v ork="$ork" -v trk="$trk" 'BEGIN {
    mbs = b / 1e6
    printf "%s\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t%.0f\t%.0f\t%.1f\t%.1f\n", s, f, mbs, o, t, t1, o / t, o / t1, mbs / o, mbs / t, ork / 1024, trk / 1024
  }'
done
