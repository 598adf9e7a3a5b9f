#!/usr/bin/env bash
# Stop everything lab/up.sh started and delete the lab namespaces. Idempotent.
# Processes are found by pid file, by the RDPDOCTOR_LAB_OWNER marker in their
# environment, by a command line naming the state dir, and by living in
# rdplab-c/rdplab-s. Logs and cached certificates stay in the state dir.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$EPOCHREALTIME
lab_check_dir
if [[ ! -d $LAB ]]; then
    # Nothing was ever started with this state dir, but namespaces may linger.
    for ns in "$NS_C" "$NS_S"; do
        if [[ -e /run/netns/$ns ]]; then ip netns delete "$ns" || true; fi
    done
    echo "lab: down (no state dir $LAB)"
    exit 0
fi
lab_lock
lab_down 1
us=$((${EPOCHREALTIME//[!0-9]/} - ${T0//[!0-9]/}))
printf 'lab: down in %d.%02d s (%s)\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$LAB"
