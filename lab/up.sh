#!/usr/bin/env bash
# Start every scenario of lab/scenarios.tsv and wait until each one is reachable.
#
# usage: lab/up.sh [--reuse]
#   (default)  stop any running lab first, then start everything afresh
#   --reuse    keep a running lab if every server is alive and accepting; else restart
#
# State: ${RDPDOCTOR_LAB_DIR:-/tmp/rdpdoctor-lab}; $RDPDOCTOR_LAB_DIR/env is written
# last and means "the lab is up". Needs root (netns, nft, /etc/xrdp/rsakeys.ini).
# Env knobs: RDPDOCTOR_LAB_DISPLAY (default :99), RDPDOCTOR_LAB_NO_NETNS=1 (skip the
# namespaces), RDPDOCTOR_LAB_REQUIRE_NETNS=1 (fail instead of skipping them),
# RDPDOCTOR_LAB_CACHE (default /var/cache/rdpdoctor: where install.sh built IronRDP).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$EPOCHREALTIME
REUSE=0
case ${1-} in
    --reuse) REUSE=1 ;;
    "") ;;
    *) die "usage: up.sh [--reuse]" ;;
esac

CERTS=$LAB/certs
LOGS=$LAB/logs
XRDP=/usr/sbin/xrdp
START_TIMEOUT=20
NETNS=0
NETNS_WHY=""
CERTS_STATE=cached
declare -A PIDS=()

# ---------------------------------------------------------------- scenarios
# Columns: name address port server what config x224 tls netns (see scenarios.tsv).
ROWS=()
while IFS=$'\t' read -r name addr port server _what config _rest; do
    [[ -z $name || $name == \#* ]] && continue
    ROWS+=("$name"$'\t'"$addr"$'\t'"$port"$'\t'"$server"$'\t'"${config:--}")
done <"$LAB_SCENARIOS"
((${#ROWS[@]})) || die "no scenarios in $LAB_SCENARIOS"

# cfg CONFIG KEY DEFAULT: value of KEY in a "k=v,k=v" config cell.
cfg() {
    local kv kvs
    IFS=, read -ra kvs <<<"$1"
    for kv in "${kvs[@]}"; do
        if [[ $kv == "$2="* ]]; then
            printf '%s' "${kv#*=}"
            return
        fi
    done
    printf '%s' "$3"
}

# Rows whose server is a process we start (everything but "none" and nft-only rows).
is_listener() { # SERVER CONFIG
    case $1 in
        xrdp | freerdp-shadow | fake | ironrdp) return 0 ;;
        netns) [[ $(cfg "$2" sec "") != "" ]] ;;
        *) return 1 ;;
    esac
}

# ---------------------------------------------------------------- reuse
# Healthy = env file present, every listener's pid alive and its port accepting.
lab_healthy() {
    local row name addr port server config pid specs=() ns_specs=()
    [[ -f $LAB_ENV ]] || return 1
    for row in "${ROWS[@]}"; do
        IFS=$'\t' read -r name addr port server config <<<"$row"
        is_listener "$server" "$config" || continue
        # A lab that came up without namespaces has no pid for the ns-* rows.
        if [[ $server == netns ]] && ! grep -qx 'RDPDOCTOR_LAB_NETNS=1' "$LAB_ENV"; then
            continue
        fi
        pid=$(cat "$LAB/pids/$name.pid" 2>/dev/null) || return 1
        if [[ $server == netns ]]; then
            ns_specs+=("$name=$addr:$port@$pid")
        else
            specs+=("$name=$addr:$port@$pid")
        fi
    done
    "$PY" "$LAB_SRC/check.py" wait --timeout 1 "${specs[@]}" >/dev/null 2>&1 || return 1
    if ((${#ns_specs[@]})); then
        # 3 s, not 1: through ns-lossy's 10 % loss a connect may need SYN retransmits.
        ip netns exec "$NS_C" "$PY" "$LAB_SRC/check.py" wait --timeout 3 "${ns_specs[@]}" \
            >/dev/null 2>&1 || return 1
    fi
}

lab_lock
if ((REUSE)) && lab_healthy; then
    printf 'lab: already up, reused (%s); env: %s\n' "$LAB" "$LAB_ENV"
    exit 0
fi

# Whatever happens below, never leave a half-started lab behind.
UP_OK=0
CERTS_BUSY=0
on_exit() {
    if ((CERTS_BUSY)); then
        tail -n 20 "$LOGS/certs.log" >&2 || true
        note "certificate generation failed (log: $LOGS/certs.log)"
    fi
    if ((UP_OK == 0)); then
        note "up failed: stopping what was started (logs stay in $LOGS)"
        lab_down 0 || true
    fi
}
trap on_exit EXIT

lab_down 0
mkdir -p "$CERTS" "$LOGS" "$LAB/pids" "$LAB/xrdp" "$LAB/shadow" "$LAB/netns"
rm -f "$LOGS"/*.log

# ---------------------------------------------------------------- certificates
# A lab CA (valid 2000-2049, so only the leaf is ever the problem) and leaves whose
# validity windows come from `openssl ca -startdate/-enddate` (no faketime needed).
# Cached: regenerated only if incomplete or the good cert expires within 30 days.
make_certs() {
    local c=$CERTS now_m1 end_good
    if [[ -f $c/.complete && -f $c/weak.crt ]] &&
        openssl x509 -checkend 2592000 -noout -in "$c/good.crt" >/dev/null 2>&1; then
        return
    fi
    CERTS_STATE=generated
    rm -rf "$c"
    mkdir -p "$c/db/new"
    : >"$c/db/index.txt"
    echo 1000 >"$c/db/serial"
    # Several leaves share CN=localhost, hence unique_subject = no.
    echo 'unique_subject = no' >"$c/db/index.txt.attr"
    cat >"$c/ca.cnf" <<EOF
[ ca ]
default_ca = labca
[ labca ]
dir = $c/db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leaf_localhost ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
[ leaf_wrongname ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong-name.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
EOF
    # Keys and requests in parallel (RSA key generation dominates the cost).
    openssl req -new -newkey rsa:2048 -nodes -keyout "$c/ca.key" -out "$c/ca.csr" \
        -subj "/CN=rdpdoctor lab CA" &
    local leaf
    for leaf in good expired notyet; do
        openssl req -new -newkey rsa:2048 -nodes -keyout "$c/$leaf.key" -out "$c/$leaf.csr" \
            -subj /CN=localhost &
    done
    # An old server's certificate: RSA 1024, signed with SHA-1 (below).
    openssl req -new -newkey rsa:1024 -nodes -keyout "$c/weak.key" -out "$c/weak.csr" \
        -subj /CN=localhost &
    openssl req -new -newkey rsa:2048 -nodes -keyout "$c/wrongname.key" \
        -out "$c/wrongname.csr" -subj /CN=wrong-name.example &
    # OpenSSL 3 refuses negative -days, so the expired self-signed cert is made "in 2020".
    faketime '2020-01-01 00:00:00' openssl req -x509 -newkey rsa:2048 -nodes \
        -keyout "$c/selfsigned-expired.key" -out "$c/selfsigned-expired.crt" -days 30 \
        -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
        -addext extendedKeyUsage=serverAuth &
    local job
    for job in $(jobs -p); do wait "$job"; done # each wait fails (set -e) if its job did
    [[ -s $c/selfsigned-expired.crt ]] || die "faketime/openssl failed to make the self-signed expired cert"

    openssl ca -batch -notext -selfsign -config "$c/ca.cnf" -keyfile "$c/ca.key" \
        -in "$c/ca.csr" -out "$c/ca.crt" -extensions v3_ca \
        -startdate 20000101000000Z -enddate 20491231235959Z
    sign() { # NAME EXTENSIONS START END
        openssl ca -batch -notext -config "$c/ca.cnf" -cert "$c/ca.crt" -keyfile "$c/ca.key" \
            -in "$c/$1.csr" -out "$c/$1.crt" -extensions "$2" -startdate "$3" -enddate "$4"
    }
    # "Good" starts a day back so a slightly slow clock does not make it not-yet-valid.
    now_m1=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
    end_good=$(date -u -d '+2 years' +%Y%m%d%H%M%SZ)
    sign good leaf_localhost "$now_m1" "$end_good"
    sign expired leaf_localhost 20200101000000Z 20200201000000Z
    sign notyet leaf_localhost 20350101000000Z 20360101000000Z
    sign wrongname leaf_wrongname "$now_m1" "$end_good"
    openssl ca -batch -notext -config "$c/ca.cnf" -cert "$c/ca.crt" -keyfile "$c/ca.key" \
        -in "$c/weak.csr" -out "$c/weak.crt" -extensions leaf_localhost -md sha1 \
        -startdate "$now_m1" -enddate "$end_good"
    rm -f "$c"/*.csr
    chmod 600 "$c"/*.key
    touch "$c/.complete"
}
# Not called in an `||` list: that would switch off set -e inside the function.
CERTS_BUSY=1
make_certs >"$LOGS/certs.log" 2>&1
CERTS_BUSY=0

# Lab-only secret: tests read it from a file; nothing of ours takes it in argv.
(umask 077 && printf '%s' "$LAB_PASSWORD" >"$LAB/password")

# ---------------------------------------------------------------- process helpers
# spawn NAME DIR CMD...: start CMD detached (own session, so a Ctrl-C or a test
# harness killing its process group does not take the lab down), in DIR, with the
# owner marker that down.sh looks for, stdout+stderr to logs/NAME.log.
# Every step execs, so $! is the server's own pid.
spawn() {
    local name=$1 dir=$2
    shift 2
    (
        # Close every inherited fd above 2: the lab lock (fd 9) and any pipe of
        # whoever called up.sh (a test harness waiting for EOF would hang forever).
        local fd
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then exec {fd}>&-; fi
        done
        cd "$dir"
        exec setsid env RDPDOCTOR_LAB_OWNER="$LAB" "$@" </dev/null >"$LOGS/$name.log" 2>&1
    ) &
    PIDS[$name]=$!
    printf '%s\n' "$!" >"$LAB/pids/$name.pid"
}

# xrdp reads rsakeys.ini from /etc/xrdp whatever --config says; the Debian package
# makes it at install time, but be safe on a half-configured machine.
ensure_rsakeys() {
    [[ -s /etc/xrdp/rsakeys.ini ]] && return
    note "/etc/xrdp/rsakeys.ini missing: generating it with xrdp-keygen"
    xrdp-keygen xrdp auto >"$LOGS/xrdp-keygen.log" 2>&1 ||
        die "xrdp-keygen failed (log: $LOGS/xrdp-keygen.log)"
}

start_xrdp() { # NAME ADDR PORT CONFIG [NETNS]
    local name=$1 addr=$2 port=$3 config=$4 ns=${5-} sec crypt cert tls ciphers crt key ini
    sec=$(cfg "$config" sec negotiate)
    crypt=$(cfg "$config" crypt high)
    cert=$(cfg "$config" cert good)
    tls=$(cfg "$config" tls 'TLSv1.2, TLSv1.3')
    # xrdp's OpenSSL refuses to load a 1024-bit or SHA-1 certificate at the
    # default security level; `ciphers=DEFAULT:@SECLEVEL=0` lets it (xrdp-weakcert).
    ciphers=$(cfg "$config" ciphers "")
    crt=$CERTS/$cert.crt
    key=$CERTS/$cert.key
    if [[ $cert == missing ]]; then
        crt=$LAB/xrdp/does-not-exist.crt # -> RDP_NEG_FAILURE SSL_CERT_NOT_ON_SERVER
        key=$LAB/xrdp/does-not-exist.key
    elif [[ ! -f $crt ]]; then
        die "scenario $name: unknown cert '$cert'"
    fi
    ini=$LAB/xrdp/$name.ini
    # Without allow_channels and [Channels], xrdp grants 0 of the client's static
    # channels and xfreerdp fails after TLS (rc 147, "requested 4 channels, got 0").
    rm -f "$LOGS/$name.xrdp.log"
    xrdp_ini "$ini" "tcp://$addr:$port" "$sec" "$crypt" "$crt" "$key" "$tls" "$ciphers" \
        "$LOGS/$name.xrdp.log" DEBUG rail xrdpvr tcutils
    if [[ -n $ns ]]; then
        # `ip netns exec` execs (no fork) without -batch, so the pid stays xrdp's.
        spawn "$name" "$LAB/xrdp" ip netns exec "$ns" "$XRDP" --nodaemon --config "$ini"
    else
        spawn "$name" "$LAB/xrdp" "$XRDP" --nodaemon --config "$ini"
    fi
}

# Each shadow server gets its own HOME/XDG_CONFIG_HOME holding the lab's good
# certificate as freerdp/shadow/shadow.{crt,key}. shadow-skew uses the same good
# cert on purpose: a cert generated under the fake clock would be dated 2035 and
# add a second, unrelated fault; this way the skew shows only in NTLM's System_Time.
start_shadow() { # NAME ADDR PORT CONFIG
    local name=$1 addr=$2 port=$3 config=$4 home args pre=() ft
    home=$LAB/shadow/$name
    rm -rf "$home"
    mkdir -p "$home/freerdp/shadow"
    cp "$CERTS/good.crt" "$home/freerdp/shadow/shadow.crt"
    cp "$CERTS/good.key" "$home/freerdp/shadow/shadow.key"
    args=(/bind-address:"$addr" /port:"$port")
    case $(cfg "$config" sec default) in
        nla) args+=(/sec:nla /sam-file:"$LAB/shadow/sam.txt") ;;
        default) ;;
        *) die "scenario $name: unknown shadow sec in '$config'" ;;
    esac
    ft=$(cfg "$config" faketime "")
    if [[ -n $ft ]]; then
        # LD_PRELOAD, not the faketime wrapper: killing the wrapper leaves the server.
        # Monotonic clocks stay real so the server's timers and polls behave.
        pre=(LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$ft" FAKETIME_DONT_FAKE_MONOTONIC=1)
    fi
    spawn "$name" "$home" env DISPLAY="$LAB_DISPLAY" HOME="$home" XDG_CONFIG_HOME="$home" \
        "${pre[@]}" freerdp-shadow-cli "${args[@]}"
}

# IronRDP's example server, built by lab/build-ironrdp.sh (install.sh). It takes the
# password only in argv (lab-only secret). IRONRDP_LOG=info logs each connection's
# error in a few lines to logs/NAME.log (debug would log every frame); without
# RUST_BACKTRACE=0 every refused connection would add a 100-line backtrace.
start_ironrdp() { # NAME ADDR PORT CONFIG
    local name=$1 addr=$2 port=$3 config=$4 sec
    sec=$(cfg "$config" sec "")
    [[ $sec == hybrid || $sec == tls ]] || die "scenario $name: unknown ironrdp sec in '$config'"
    [[ -x $IRONRDP_BIN ]] ||
        die "scenario $name: $IRONRDP_BIN missing; run lab/install.sh (builds it once, 2-8 min)"
    spawn "$name" "$LAB" env IRONRDP_LOG=info RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 NO_COLOR=1 \
        "$IRONRDP_BIN" --bind-addr "$addr:$port" --sec "$sec" \
        --cert "$CERTS/good.crt" --key "$CERTS/good.key" --user "$LAB_USER" --pass "$LAB_PASSWORD"
}

start_fake() { # NAME ADDR PORT CONFIG
    spawn "$1" "$LAB" "$PY" "$LAB_SRC/fakesrv.py" "$(cfg "$4" mode "")" "$2" "$3"
}

start_xvfb() {
    local n=${LAB_DISPLAY#:} owner
    if [[ -f /tmp/.X$n-lock ]]; then
        owner=$(tr -dc 0-9 <"/tmp/.X$n-lock")
        if [[ -n $owner ]] && _lab_alive "$owner"; then
            die "display $LAB_DISPLAY is taken by pid $owner (not this lab); set RDPDOCTOR_LAB_DISPLAY"
        fi
    fi
    spawn xvfb "$LAB" Xvfb "$LAB_DISPLAY" -screen 0 1024x768x24 -nolisten tcp -noreset
}

# ---------------------------------------------------------------- namespaces
# rdplab-c (10.77.0.1) <-veth-> rdplab-s (10.77.0.2); nft rules in rdplab-s (and, for
# ns-lossy's return direction, in rdplab-c).
# Nothing is routed: the only link of each namespace is the veth (plus lo).
netns_up() { # RULES_S RULES_C: input-chain rules for rdplab-s and rdplab-c
    local rules=$1 rules_c=$2 err=$LOGS/netns.log
    if [[ ${RDPDOCTOR_LAB_NO_NETNS:-0} == 1 ]]; then
        NETNS_WHY="RDPDOCTOR_LAB_NO_NETNS=1"
        return 1
    fi
    if ! ip netns add "$NS_C" 2>"$err"; then
        NETNS_WHY="ip netns add failed: $(head -n 1 "$err")"
        return 1
    fi
    {
        ip netns add "$NS_S" &&
            ip link add rdplab-vc netns "$NS_C" type veth peer name rdplab-vs netns "$NS_S" &&
            ip -n "$NS_C" addr add "$NS_C_ADDR/24" dev rdplab-vc &&
            ip -n "$NS_S" addr add "$NS_S_ADDR/24" dev rdplab-vs &&
            ip -n "$NS_C" link set lo up &&
            ip -n "$NS_S" link set lo up &&
            ip -n "$NS_C" link set rdplab-vc up &&
            ip -n "$NS_S" link set rdplab-vs up
    } 2>>"$err" || {
        NETNS_WHY="veth/address setup failed: $(tail -n 1 "$err")"
        return 1
    }
    nft_input "$NS_S" "$rules" "$err" || return 1
    rm -f "$LAB/netns/$NS_C.nft"
    [[ -n $rules_c ]] || return 0
    # Server-to-client loss is dropped where the client receives it: a drop in the
    # server's own output hook is not loss on the wire (the local TCP sees an error).
    nft_input "$NS_C" "$rules_c" "$err"
}

# nft_input NS RULES ERR: loads RULES (nft lines) as the input chain of table
# inet rdplab in NS, kept in $LAB/netns/NS.nft; on failure says why in
# NETNS_WHY (nft's last line; its errors appended to ERR).
nft_input() {
    local ns=$1 rules=$2 err=$3
    cat >"$LAB/netns/$ns.nft" <<EOF
table inet rdplab {
    chain input {
        type filter hook input priority filter; policy accept;
$rules    }
}
EOF
    ip netns exec "$ns" nft -f "$LAB/netns/$ns.nft" 2>>"$err" || {
        NETNS_WHY="nft failed in $ns: $(tail -n 1 "$err")"
        return 1
    }
}

# ---------------------------------------------------------------- start
FAKETIME_LIB=""
for f in /usr/lib/*/faketime/libfaketime.so.1; do
    if [[ -f $f ]]; then FAKETIME_LIB=$f; fi
done
[[ -n $FAKETIME_LIB ]] || die "libfaketime.so.1 not found (run lab/install.sh)"
ensure_rsakeys
# The SAM file holds only the NT hash; winpr-hash is the reference implementation.
winpr-hash -u "$LAB_USER" -p "$LAB_PASSWORD" -f sam >"$LAB/shadow/sam.txt" ||
    die "winpr-hash failed"

NFT_RULES=""
NFT_RULES_C=""
NEED_NETNS=0
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r name addr port server config <<<"$row"
    [[ $server == netns ]] || continue
    NEED_NETNS=1
    case $(cfg "$config" nft "") in
        drop) NFT_RULES+="        tcp dport $port drop"$'\n' ;;
        reset) NFT_RULES+="        tcp dport $port reject with tcp reset"$'\n' ;;
        icmp) NFT_RULES+="        tcp dport $port reject with icmpx type admin-prohibited"$'\n' ;;
        # A TLS record (content type 0x16 first) never reaches the server; the
        # X.224 exchange before it does (TPKT starts with 0x03).
        tls-drop) NFT_RULES+="        tcp dport $port @ih,0,8 0x16 drop"$'\n' ;;
        # About 10 % of the segments of this port's connections vanish, each way
        # (tc netem is not available on these kernels; nft numgen is).
        lossy)
            NFT_RULES+="        tcp dport $port numgen random mod 10 == 0 drop"$'\n'
            NFT_RULES_C+="        ip saddr $addr tcp sport $port numgen random mod 10 == 0 drop"$'\n'
            ;;
        "") ;;
        *) die "scenario $name: unknown nft action in '$config'" ;;
    esac
done
if ((NEED_NETNS)); then
    if netns_up "$NFT_RULES" "$NFT_RULES_C"; then
        NETNS=1
    else
        # Remove whatever half of the namespace setup did get created.
        for ns in "$NS_C" "$NS_S"; do ip netns delete "$ns" 2>/dev/null || true; done
        [[ ${RDPDOCTOR_LAB_REQUIRE_NETNS:-0} != 1 ]] ||
            die "network namespaces required but unavailable: $NETNS_WHY"
        note "SKIPPING the ns-* scenarios: $NETNS_WHY"
    fi
fi

start_xvfb
SPECS=()
NS_SPECS=()
SHADOWS=()
CLOSED=()
declare -A COUNT=()
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r name addr port server config <<<"$row"
    case $server in
        xrdp) start_xrdp "$name" "$addr" "$port" "$config" ;;
        fake) start_fake "$name" "$addr" "$port" "$config" ;;
        ironrdp) start_ironrdp "$name" "$addr" "$port" "$config" ;;
        freerdp-shadow) SHADOWS+=("$row") ;; # after Xvfb is ready
        none) CLOSED+=("$name=$addr:$port") ;;
        netns)
            if ((NETNS)) && is_listener "$server" "$config"; then
                start_xrdp "$name" "$addr" "$port" "$config" "$NS_S"
            fi
            ;;
        *) die "scenario $name: unknown server kind '$server'" ;;
    esac
done

# Shadow servers need the X display up first.
X_SOCKET=/tmp/.X11-unix/X${LAB_DISPLAY#:}
fail_names=$("$PY" "$LAB_SRC/check.py" wait --timeout "$START_TIMEOUT" \
    "xvfb=unix:$X_SOCKET@${PIDS[xvfb]}") || true
for row in "${SHADOWS[@]}"; do
    IFS=$'\t' read -r name addr port server config <<<"$row"
    start_shadow "$name" "$addr" "$port" "$config"
done

for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r name addr port server config <<<"$row"
    [[ -n ${PIDS[$name]-} ]] || continue
    COUNT[$server]=$((${COUNT[$server]-0} + 1))
    if [[ $server == netns ]]; then
        NS_SPECS+=("$name=$addr:$port@${PIDS[$name]}")
    else
        SPECS+=("$name=$addr:$port@${PIDS[$name]}")
    fi
done

# ---------------------------------------------------------------- wait
if [[ -z $fail_names ]]; then
    fail_names=$("$PY" "$LAB_SRC/check.py" wait --timeout "$START_TIMEOUT" "${SPECS[@]}") || true
fi
if [[ -z $fail_names ]] && ((${#NS_SPECS[@]})); then
    # Checked from the client namespace: proves the veth path, not just the listener.
    fail_names=$(ip netns exec "$NS_C" "$PY" "$LAB_SRC/check.py" wait \
        --timeout "$START_TIMEOUT" "${NS_SPECS[@]}") || true
fi
if [[ -n $fail_names ]]; then
    for name in $fail_names; do
        for log in "$LOGS/$name.log" "$LOGS/$name.xrdp.log"; do
            [[ -s $log ]] || continue
            printf -- '--- tail of %s\n' "$log" >&2
            tail -n 15 "$log" >&2
        done
    done
    die "scenario(s) did not come up within ${START_TIMEOUT} s: ${fail_names//$'\n'/ }"
fi
if ((${#CLOSED[@]})); then
    bad=$("$PY" "$LAB_SRC/check.py" refused "${CLOSED[@]}") ||
        die "scenario(s) meant to be closed have a listener: ${bad//$'\n'/ } (see: ss -ltnp)"
fi

# ---------------------------------------------------------------- env file
{
    echo "RDPDOCTOR_LAB_DIR=$LAB"
    echo "RDPDOCTOR_LAB_SRC=$LAB_SRC"
    echo "RDPDOCTOR_LAB_SCENARIOS=$LAB_SCENARIOS"
    echo "DISPLAY=$LAB_DISPLAY"
    echo "RDPDOCTOR_LAB_CA=$CERTS/ca.crt"
    echo "RDPDOCTOR_LAB_CERTS=$CERTS"
    echo "RDPDOCTOR_LAB_USER=$LAB_USER"
    echo "RDPDOCTOR_LAB_PASSWORD_FILE=$LAB/password"
    echo "RDPDOCTOR_LAB_NETNS=$NETNS"
    echo "RDPDOCTOR_LAB_NETNS_CLIENT=$NS_C"
    echo "RDPDOCTOR_LAB_NETNS_SERVER=$NS_S"
    echo "RDPDOCTOR_LAB_XFREERDP=$LAB_SRC/xfreerdp.sh"
    echo "RDPDOCTOR_LAB_LOGS=$LOGS"
} >"$LAB_ENV.tmp"
mv "$LAB_ENV.tmp" "$LAB_ENV"
UP_OK=1

us=$((${EPOCHREALTIME//[!0-9]/} - ${T0//[!0-9]/}))
elapsed=$(printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)))
summary="${COUNT[xrdp]-0} xrdp, ${COUNT[freerdp-shadow]-0} shadow, ${COUNT[ironrdp]-0} ironrdp"
summary+=", ${COUNT[fake]-0} fake"
if ((NETNS)); then
    summary+=", netns up (${COUNT[netns]-0} xrdp + nft rules)"
else
    summary+=", netns SKIPPED ($NETNS_WHY)"
fi
printf 'lab: up in %s s (%s; certs %s); env: %s\n' "$elapsed" "$summary" "$CERTS_STATE" "$LAB_ENV"
