# shellcheck shell=bash
# Shared settings and helpers for lab/up.sh and lab/down.sh (sourced, not run).

# Settings below are used by the scripts that source this file.
# shellcheck disable=SC2034
LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=${RDPDOCTOR_LAB_DIR:-/tmp/rdpdoctor-lab}
LAB_DISPLAY=${RDPDOCTOR_LAB_DISPLAY:-:99}
LAB_SCENARIOS=$LAB_SRC/scenarios.tsv
LAB_USER=labuser
LAB_PASSWORD='LabPass1!'
NS_C=rdplab-c
NS_S=rdplab-s
NS_C_ADDR=10.77.0.1
NS_S_ADDR=10.77.0.2
# Built tools live outside the repository, keyed by version (lab/build-ironrdp.sh).
LAB_CACHE=${RDPDOCTOR_LAB_CACHE:-/var/cache/rdpdoctor}
IRONRDP_VERSION=0.17.0
IRONRDP_BIN=$LAB_CACHE/ironrdp-$IRONRDP_VERSION/bin/server
# Debian's interpreter, not whatever python3 is first in PATH (pyenv shims are slow
# to start and may lack nothing we need, but the lab should not depend on them).
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3 || true) # install.sh sources this before python3 is there

# The env file is written last by up.sh and removed first by down.sh:
# its presence means "the lab is up".
LAB_ENV=$LAB/env

die() {
    printf 'lab: ERROR: %s\n' "$*" >&2
    exit 1
}

# Installs the Debian packages of "$@" (after the caller's name in $1) that are
# missing: `apt-get update` once, only when something has to be installed.
apt_install_missing() {
    local who=$1 p
    shift
    local missing=()
    for p in "$@"; do
        # `dpkg -s` also succeeds for removed packages whose config files remain.
        if ! dpkg -s "$p" 2>/dev/null | grep -qx 'Status: install ok installed'; then
            missing+=("$p")
        fi
    done
    if ((${#missing[@]})); then
        echo "$who: installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "$who: all $# packages already installed"
    fi
}

note() {
    printf 'lab: %s\n' "$*" >&2
}

lab_check_dir() {
    # The env file is KEY=VALUE without quoting, so a path with blanks would break it.
    [[ $LAB == /* && $LAB != *[[:space:]]* ]] ||
        die "RDPDOCTOR_LAB_DIR must be an absolute path without blanks: '$LAB'"
    [[ $LAB != / ]] || die "RDPDOCTOR_LAB_DIR must not be /"
}

# Serialise up/down runs so that parallel test processes cannot interleave them.
lab_lock() {
    lab_check_dir
    mkdir -p "$LAB"
    exec 9>"$LAB/.lock"
    flock -w 120 9 || die "could not lock $LAB/.lock within 120 s"
}

# Print this shell's pid and all its ancestors (never kill those).
_lab_ancestors() {
    local pid=$$ stat rest
    while [[ $pid =~ ^[0-9]+$ && $pid -gt 1 ]]; do
        printf '%s\n' "$pid"
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || break
        rest=${stat##*) }            # drop "pid (comm) " (comm may hold spaces)
        pid=${rest#* }               # drop the state field
        pid=${pid%% *}               # ppid
    done
}

# Pids of processes the lab started: pid files, the RDPDOCTOR_LAB_OWNER marker that
# up.sh puts in every server's environment (it survives xrdp's per-connection forks),
# a command line mentioning the state dir, and anything inside the lab namespaces.
_lab_pids() {
    local f pid
    {
        for f in "$LAB"/pids/*.pid; do
            [[ -f $f ]] && cat "$f"
        done
        grep -lzxF "RDPDOCTOR_LAB_OWNER=$LAB" /proc/[0-9]*/environ 2>/dev/null |
            cut -d/ -f3
        grep -lzF "$LAB/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
        if [[ -e /run/netns/$NS_S ]]; then ip netns pids "$NS_S" 2>/dev/null || true; fi
        if [[ -e /run/netns/$NS_C ]]; then ip netns pids "$NS_C" 2>/dev/null || true; fi
    } | sort -un | grep -vxF -f <(_lab_ancestors) | while read -r pid; do
        # Pid files may be stale: only keep live processes we can prove are ours.
        if [[ ! $pid =~ ^[0-9]+$ ]] || ! _lab_alive "$pid"; then continue; fi
        if grep -qzxF "RDPDOCTOR_LAB_OWNER=$LAB" "/proc/$pid/environ" 2>/dev/null ||
            grep -qzF "$LAB/" "/proc/$pid/cmdline" 2>/dev/null ||
            _lab_in_netns "$pid"; then
            printf '%s\n' "$pid"
        fi
    done
}

_lab_in_netns() {
    local ns
    for ns in "$NS_C" "$NS_S"; do
        [[ -e /run/netns/$ns ]] || continue
        [[ $(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) == "$(stat -L -c %i "/run/netns/$ns")" ]] &&
            return 0
    done
    return 1
}

# True if the pid exists and is not a zombie (zombies cannot be killed, only reaped).
_lab_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != [ZX] ]]
}

# Stop everything: TERM, a short grace period, then KILL; then remove the namespaces.
# With wait_reap=1, also wait (at most 3 s) until the zombies have been reaped.
lab_down() { # [wait_reap=0|1]
    local wait_reap=${1:-0} pids all left pid deadline ns
    rm -f "$LAB_ENV"
    mapfile -t pids < <(_lab_pids)
    all=("${pids[@]}")
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        # Poll instead of a fixed sleep: everything here exits in well under a second.
        deadline=$((${EPOCHREALTIME//[!0-9]/} + 3000000))
        while :; do
            left=()
            for pid in "${pids[@]}"; do
                if _lab_alive "$pid"; then left+=("$pid"); fi
            done
            ((${#left[@]})) || break
            if ((${EPOCHREALTIME//[!0-9]/} > deadline)); then
                note "SIGKILL for pids that ignored SIGTERM: ${left[*]}"
                kill -KILL "${left[@]}" 2>/dev/null || true
                break
            fi
            sleep 0.05
        done
    fi
    # A second sweep catches children forked while we were stopping their parents.
    mapfile -t pids < <(_lab_pids)
    if ((${#pids[@]})); then
        kill -KILL "${pids[@]}" 2>/dev/null || true
        sleep 0.1
        mapfile -t pids < <(_lab_pids)
        ((${#pids[@]} == 0)) || die "processes survived SIGKILL: ${pids[*]}"
    fi
    # The servers were reparented to pid 1, which may reap them late (measured: in
    # batches, about 1.2 s after the kill); down.sh waits, bounded, so that `ps`
    # right after it shows no <defunct> lab processes. up.sh does not need to wait:
    # a zombie holds no sockets.
    if ((wait_reap && ${#all[@]})); then
        deadline=$((${EPOCHREALTIME//[!0-9]/} + 3000000))
        for pid in "${all[@]}"; do
            while [[ -e /proc/$pid ]] && ((${EPOCHREALTIME//[!0-9]/} < deadline)); do
                sleep 0.05
            done
        done
    fi
    # Deleting a namespace drops its veth end; the peer goes with it.
    for ns in "$NS_C" "$NS_S"; do
        if [[ -e /run/netns/$ns ]]; then
            ip netns delete "$ns" 2>/dev/null || note "could not delete netns $ns"
        fi
    done
    rm -f "$LAB"/pids/*.pid
}

# Writes an xrdp.ini: xrdp as the lab runs it (up.sh) and as bench/latency.sh
# measures it. Without allow_channels and [Channels], xrdp grants 0 of the
# client's static channels and xfreerdp fails after TLS.
# usage: xrdp_ini FILE LISTEN SECURITY_LAYER CRYPT_LEVEL CERT KEY TLS_PROTOCOLS
#        CIPHERS LOG_FILE LOG_LEVEL [CHANNEL...]  (channels beyond the four
#        every client asks for; CIPHERS empty: OpenSSL's default)
xrdp_ini() {
    local file=$1 listen=$2 sec=$3 crypt=$4 crt=$5 key=$6 tls=$7 ciphers=$8 log=$9 level=${10}
    shift 10
    {
        cat <<INI
[Globals]
ini_version=1
fork=true
allow_channels=true
port=$listen
security_layer=$sec
crypt_level=$crypt
certificate=$crt
key_file=$key
ssl_protocols=$tls
${ciphers:+tls_ciphers=$ciphers}
[Logging]
LogFile=$log
LogLevel=$level
EnableSyslog=false
[Channels]
rdpdr=true
rdpsnd=true
drdynvc=true
cliprdr=true
INI
        local channel
        for channel in "$@"; do
            printf '%s=true\n' "$channel"
        done
        cat <<INI
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
INI
    } >"$file"
}
