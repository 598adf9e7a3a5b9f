# Sourced by the bench scripts that need a slow link: two network namespaces
# (rdpbench-c, rdpbench-s) joined by bench/netdelay.py, a user-space wire that
# holds every packet ONE_WAY_MS in each direction (SYNs included; this kernel
# has no `tc netem`). Traffic never leaves the two namespaces.
#
#   . bench/wire.sh
#   wire_up ONE_WAY_MS TMPDIR    # -> $NS_C $NS_S $ADDR_C $ADDR_S; needs root
#   ...                          # servers: ip netns exec $NS_S ...; clients: in_c ...
#   wire_down                    # from the caller's EXIT trap
# The caller keeps its own pids in the array `pids` (wire_up adds the wire's);
# wire_down kills what runs in the namespaces, then those pids, then removes
# the namespaces.

NS_C=rdpbench-c NS_S=rdpbench-s TUN_C=rdpbench-tc TUN_S=rdpbench-ts
ADDR_C=10.78.0.1 ADDR_S=10.78.0.2

wire_check() {
    ((EUID == 0)) || { echo "needs root (network namespaces, /dev/net/tun)" >&2; exit 2; }
    local ns
    for ns in $NS_C $NS_S; do
        [[ ! -e /run/netns/$ns ]] || { echo "netns $ns exists: another bench running? (ip netns del $ns)" >&2; exit 2; }
    done
}

wire_up() {
    local one_way=$1 tmp=$2
    /usr/bin/python3 bench/netdelay.py "$TUN_C" "$TUN_S" "$one_way" >"$tmp/netdelay.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do grep -q ready "$tmp/netdelay.out" && break; sleep 0.1; done
    grep -q ready "$tmp/netdelay.out" || { cat "$tmp/netdelay.out" >&2; exit 1; }
    ip netns add $NS_C
    ip netns add $NS_S
    ip link set "$TUN_C" netns $NS_C
    ip link set "$TUN_S" netns $NS_S
    ip -n $NS_C link set lo up
    ip -n $NS_S link set lo up
    ip -n $NS_C addr add $ADDR_C/32 peer $ADDR_S dev "$TUN_C"
    ip -n $NS_S addr add $ADDR_S/32 peer $ADDR_C dev "$TUN_S"
    ip -n $NS_C link set "$TUN_C" up
    ip -n $NS_S link set "$TUN_S" up
}

wire_down() {
    local pid sig ns
    # The servers (xrdp forks one child per connection), then the wire and Xvfb.
    # A child busy with a connection may ignore TERM: KILL what is left.
    for sig in TERM KILL; do
        for ns in $NS_S $NS_C; do
            if [[ -e /run/netns/$ns ]]; then
                for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -s $sig "$pid" 2>/dev/null || true; done
            fi
        done
        [[ $sig == TERM ]] && sleep 0.5
    done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in $NS_S $NS_C; do
        [[ -e /run/netns/$ns ]] && ip netns del "$ns"
    done
    return 0
}

in_c() { ip netns exec $NS_C "$@"; }
