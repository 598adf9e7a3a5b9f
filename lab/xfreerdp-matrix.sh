#!/usr/bin/env bash
# Measure the reference client against every scenario: for each row of
# scenarios.tsv, `xfreerdp.sh HOST PORT SEC` with SEC in rdp/tls/nla, once with the
# default /cert:ignore and (tls/nla) once with /cert:deny. Prints a TSV on stdout
# (the committed copy is lab/xfreerdp-matrix.tsv). Needs a running lab; about 4 min,
# most of it in the ns-drop rows (xfreerdp's own 15 s connect timeout).
#   usage: lab/xfreerdp-matrix.sh [--no-header] [NAME...]   (NAMEs: only those rows)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
header=1
if [[ ${1-} == --no-header ]]; then
    header=0
    shift
fi
declare -A only=()
for n in "$@"; do only[$n]=1; done

if ((header)); then
    echo "# xfreerdp 2.11.7 +auth-only via lab/xfreerdp.sh, measured by lab/xfreerdp-matrix.sh"
    echo "# cert: ignore = default /cert:ignore, /cert:deny = verify against the lab CA for"
    echo "# host 'localhost' (rows at 127.0.0.1 are called as localhost). seconds: wall time."
    echo "# silent uses a 5 s wrapper timeout (rc 124). key: distinctive lines of the output."
    echo "# late answers after 6 s. ns-lossy (random loss) is one sample per cell; README has more."
    printf '# scenario\tsec\tcert\trc\tseconds\tkey\n'
fi
grep -v '^#' "$here/scenarios.tsv" | while IFS=$'\t' read -r name addr port _rest; do
    if ((${#only[@]})) && [[ -z ${only[$name]-} ]]; then continue; fi
    host=$addr
    # FreeRDP 2 matches certificates by DNS name only, never by IP SAN.
    if [[ $host == 127.0.0.1 ]]; then host=localhost; fi
    limit=20
    if [[ $name == silent ]]; then limit=5; fi
    for sec in rdp tls nla; do
        for cert in ignore /cert:deny; do
            if [[ $sec == rdp && $cert != ignore ]]; then continue; fi
            extra=()
            if [[ $cert != ignore ]]; then extra=("$cert"); fi
            t0=$EPOCHREALTIME
            rc=0
            out=$(RDPDOCTOR_LAB_XFREERDP_TIMEOUT=$limit "$here/xfreerdp.sh" "$host" "$port" "$sec" \
                "${extra[@]}" 2>&1 </dev/null) || rc=$?
            us=$((${EPOCHREALTIME//[!0-9]/} - ${t0//[!0-9]/}))
            key=$(grep -oE 'ERRCONNECT_[A-Z_]+|ERRINFO_[A-Z_]+|[A-Z_]+_BY_SERVER|SSL_CERT_NOT_ON_SERVER|certificate has expired|certificate is not yet valid|self-signed certificate|NAME MISMATCH|timed out|system error [0-9]+|tpdu length [0-9]+ > tpkt header length [0-9]+' <<<"$out" |
                grep -v CONNECT_CANCELLED | sort -u | paste -sd ';' || true)
            printf '%s\t%s\t%s\t%s\t%d.%02d\t%s\n' "$name" "$sec" "$cert" "$rc" \
                $((us / 1000000)) $((us % 1000000 / 10000)) "${key:--}"
        done
    done
done
