#!/usr/bin/env bash
# k3s-sites verification: nginx's LoadBalancer address is announced on the LAN. Two pods of one Job run on two
# nodes' host networks (src/verify/names.ts EDGE_ANNOUNCE_JOB). Each reads which node announces the address where the
# concern that hands it out says (ANNOUNCER_PATH, filtered by ANNOUNCER_FILTER; src/verify/announcement.ts). The pod on
# the announcing node says so and passes: its own request would never come back to it. The other one opens a
# connection to the address on PROBE_PORT, a port the Service does not serve (so neither kube-proxy nor Cilium
# captures it and the packet goes out on the LAN), whatever the connection's outcome, and then watches its
# neighbour table: a REACHABLE entry means a node answered ARP (IPv4) or NDP (IPv6) for the address on this node's
# LAN just now, which is what a client on the LAN needs (an older entry does not count, see neighbour). A connection through the Service from inside the cluster
# would not show this: the local datapath answers it before any packet leaves the node.
# Every step is tried again every INTERVAL seconds for up to TIMEOUT seconds.
# Environment: LB_SERVICE ("namespace/name"), ANNOUNCER_PATH (an API path), ANNOUNCER_FILTER (a jq filter printing the
# announcing node's name, given $ns and $name of the Service), ANNOUNCER_WHERE (the object, for messages),
# ANNOUNCER_FIX (what to check when no node is elected), INTERFACES_KEY (the config key of the announcing
# interfaces), PROBE_PORT, NODE_NAME, TIMEOUT, INTERVAL and NEIGH_WAIT (seconds).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

service_namespace="${LB_SERVICE%%/*}"
service_name="${LB_SERVICE#*/}"

assigned_address() {
  ADDRESSES="$(api_get "/api/v1/namespaces/$service_namespace/services/$service_name" |
    jq -r '.status.loadBalancer.ingress[]?.ip // empty' 2>/dev/null)"
  test -n "$ADDRESSES"
}

announcing_node() {
  ANNOUNCING="$(api_get "$ANNOUNCER_PATH" |
    jq -r --arg ns "$service_namespace" --arg name "$service_name" "$ANNOUNCER_FILTER" 2>/dev/null)"
  test -n "$ANNOUNCING"
}

# neighbour <address>: one probe; NEIGHBOUR is the neighbour table's entry for the address ("" when none). Only a
# REACHABLE entry counts: the kernel's neighbour state machine (net/core/neighbour.c, neigh_timer_handler) keeps an
# entry of an earlier reply as STALE for minutes, and the connection's first packet moves it to DELAY, then after
# delay_first_probe_time (5 s) to PROBE, with up to ucast_solicit (3) unicast probes retrans_time (1 s) apart, and
# only then to REACHABLE (a reply) or FAILED (none). STALE, DELAY and PROBE carry whoever answered last time,
# perhaps a node that announces nothing now; a new entry is INCOMPLETE until mcast_solicit (3) broadcasts have had
# their answer. So the probe polls the entry once a second, for up to NEIGH_WAIT seconds, until it is REACHABLE
# (pass) or FAILED (fail). Deleting the entry first would need NET_ADMIN, which the pod does not have.
neighbour() {
  local end
  nc -z -w 2 "$1" "$PROBE_PORT" </dev/null >/dev/null 2>&1 || true
  end=$(($(now) + NEIGH_WAIT))
  while :; do
    NEIGHBOUR="$(ip neigh show to "$1" 2>/dev/null | head -n 1 | sed 's/ *$//')"
    case " $NEIGHBOUR " in
      *" lladdr "*" REACHABLE "*) return 0 ;;
      "  " | *" FAILED "*) return 1 ;;
    esac
    # STALE, DELAY, PROBE, INCOMPLETE: the kernel has not decided yet.
    [ "$(now)" -ge "$end" ] && return 1
    sleep 1
  done
}

if ! until_ok "$TIMEOUT" "$INTERVAL" assigned_address; then
  result "edge announcement: $LB_SERVICE address" "an address assigned within ${TIMEOUT}s" "none" 1 \
    "no pool hands out an address to the Service (kubectl -n $service_namespace describe service $service_name)"
  finish
fi

until_ok "$TIMEOUT" "$INTERVAL" announcing_node
status=$?
# shellcheck disable=SC2086 # word splitting of the addresses is meant
result "edge announcement: the node announcing $(words $ADDRESSES) ($ANNOUNCER_WHERE)" "a node within ${TIMEOUT}s" "${ANNOUNCING:-none}" "$status" \
  "no node is elected to announce the address: check $ANNOUNCER_FIX"
[ "$status" -eq 0 ] || finish

if [ "$ANNOUNCING" = "$NODE_NAME" ]; then
  # shellcheck disable=SC2086 # word splitting of the addresses is meant
  skip "edge announcement of $(words $ADDRESSES) from $NODE_NAME" "this node announces it; the Job's other pod, on another node, looks for the reply"
  finish
fi

for address in $ADDRESSES; do
  until_ok "$TIMEOUT" "$INTERVAL" neighbour "$address"
  status=$?
  result "edge announcement of $address seen from $NODE_NAME's host network (announced by $ANNOUNCING)" \
    "a REACHABLE neighbour entry (an ARP or NDP reply now, not an earlier one) within ${TIMEOUT}s" "${NEIGHBOUR:-no entry}" "$status" \
    "$ANNOUNCING does not answer for $address on the LAN $NODE_NAME is on: the announcing interfaces ($INTERFACES_KEY) do not include that LAN's interface, or the address is outside the LAN's subnet"
done

finish
