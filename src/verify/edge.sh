#!/usr/bin/env bash
# k3s-sites verification: the edge. Run from two places (src/verify/jobs.ts):
# - from every node's host network (Job verify-edge-host, one pod per node), nginx answers on that node's own
#   hostPort (HOST_IP when NODE_TARGETS is empty), with a PROXY protocol header when the site's nginx expects one;
#   on a Hetzner site it also calls the load balancer's public IPv6 (the pods have no IPv6 there). Its own node:
#   that connection reaches nginx's pod on the node through the hostPort DNAT, and a NetworkPolicy never refuses
#   traffic from a pod's own node, so no policy has to let a node address in to nginx (docs/checks.md).
# - from a pod (Job verify-edge), nginx answers on the site's load-balancer addresses: the Hetzner load balancer's
#   public IPv4 (its PROXY header added by the load balancer), or the LoadBalancer Service's addresses on the LAN,
#   with a PROXY header when ingress.proxyProtocol is on (LB_PROXY: nothing adds one between this pod and nginx).
#   From inside the cluster the Service's address is captured by kube-proxy (or Cilium) on this pod's own node, so
#   this proves nginx answers through the Service, not that the address is announced on the LAN: the announcement
#   is checked by announce.sh.
# Every address is tried again every INTERVAL seconds for up to TIMEOUT seconds.
# With LOG_NAMESPACE set (Hetzner, PROXY protocol on), the request to the load balancer's first address carries a
# marker in its path, and nginx's access log must show it with a client address that is not the load balancer's
# private one: nginx took the client from the PROXY header (NGINX Ingress Controller v5.5.4's default log format
# starts with $remote_addr, which the real-ip keys set from the header; src/verify/jobs.ts proxyLogOf).
# Environment: EDGE_NAME (the ingress controller, for messages), EDGE_ANSWERS (a case pattern on the Server header
# of its answers: nginx*, envoy*, or "no Server header" for Traefik), NODE_TARGETS ("address ...", or "" for HOST_IP: the pod's node), PROXY_PROTOCOL (1 or 0), LB_TARGETS ("address ..."), LB_PROXY (1 or 0),
# LB_SERVICE ("namespace/name" of a LoadBalancer Service whose address is looked up, or ""), LOG_NAMESPACE,
# LOG_SELECTOR (a URL-encoded label selector), LOG_CONTAINER, LB_PRIVATE_IP, LOG_TIMEOUT, TIMEOUT and INTERVAL
# (seconds): the log check, off when LOG_NAMESPACE is "" (LOG_SKIP: why, when it is off on a site with a load
# balancer).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# server_of <url> [curl options]: the Server header of the answer, or what went wrong.
server_of() {
  local url="$1"
  shift
  local headers
  # A node that drops packets costs 2 s a try, not 5: a round over every node stays short on a large site.
  if ! headers="$(curl -sS --connect-timeout 2 -m 5 "$@" -o /dev/null -D - "$url" 2>&1)"; then
    printf 'no answer (%s)' "$(printf '%s' "$headers" | head -n 1)"
    return
  fi
  printf '%s' "$headers" | tr -d '\r' | awk 'tolower($1) == "server:" { print $2; found = 1 } END { if (!found) print "no Server header" }'
}

# url_of <address>: an http URL, IPv6 literals in brackets.
url_of() {
  printf 'http://%s/' "$(host_of "$1")"
}

# host_of <address>: the address as in a URL, IPv6 literals in brackets.
host_of() {
  case "$1" in
    *:*) printf '[%s]' "$1" ;;
    *) printf '%s' "$1" ;;
  esac
}

# client_in_log <marker>: the first field (the client address) of the first log line of an nginx pod (one of the
# DaemonSet's) that has the marker's request, or nothing.
client_in_log() {
  local pods pod
  pods="$(api_get "/api/v1/namespaces/$LOG_NAMESPACE/pods?labelSelector=$LOG_SELECTOR" |
    jq -r '.items[]? | select(any(.metadata.ownerReferences[]?; .kind == "DaemonSet")) | .metadata.name' 2>/dev/null)"
  for pod in $pods; do
    api_get "/api/v1/namespaces/$LOG_NAMESPACE/pods/$pod/log?container=$LOG_CONTAINER&sinceSeconds=$((LOG_TIMEOUT + 60))" |
      awk -v request="\"GET /$1 " 'index($0, request) { print $1; exit }'
  done | head -n 1
}

# edge_answers <address> <proxy 1|0>: one try; SEEN is what answered.
edge_answers() {
  if [ "$2" = 1 ]; then
    SEEN="$(server_of "$(url_of "$1")" --haproxy-protocol)"
  else
    SEEN="$(server_of "$(url_of "$1")")"
  fi
  # shellcheck disable=SC2254 # EDGE_ANSWERS is a pattern on purpose
  case "$SEEN" in $EDGE_ANSWERS) return 0 ;; *) return 1 ;; esac
}

# header_note <proxy 1|0>: how the request was sent, for the check's name.
header_note() {
  if [ "$1" = 1 ]; then printf 'with a PROXY header'; else printf 'without a PROXY header'; fi
}

tried=0

# The hostPorts, in rounds: each round tries the ones that have not answered yet, until all have or TIMEOUT has
# passed, so a site of many nodes takes no longer than a small one.
declare -A SEEN_AT=()
NODE_TARGETS="${NODE_TARGETS:-${HOST_IP:-}}"
PENDING="$NODE_TARGETS"
nodes_answer() {
  local address left=""
  for address in $PENDING; do
    edge_answers "$address" "$PROXY_PROTOCOL" || left="$left $address"
    SEEN_AT[$address]="$SEEN"
  done
  PENDING="$left"
  test -z "$PENDING"
}
[ -n "$NODE_TARGETS" ] && { until_ok "$TIMEOUT" "$INTERVAL" nodes_answer || true; }
for address in $NODE_TARGETS; do
  case " $PENDING " in *" $address "*) status=1 ;; *) status=0 ;; esac
  result "edge hostPort $(host_of "$address"):80 from ${NODE_NAME:-this node}'s host network, $(header_note "$PROXY_PROTOCOL")" \
    "an answer from $EDGE_NAME within ${TIMEOUT}s" "${SEEN_AT[$address]}" "$status" \
    "$EDGE_NAME's pod on the node with address $address is not running or not Ready (kubectl get pods -A -o wide), or the hostPort DNAT is missing on that node (the CNI's portmap, or Cilium's hostPort support)"
  tried=$((tried + 1))
done

targets="$LB_TARGETS"
ASSIGNED=""
if [ -n "$LB_SERVICE" ]; then
  assigned_address() {
    ASSIGNED="$(api_get "/api/v1/namespaces/${LB_SERVICE%%/*}/services/${LB_SERVICE#*/}" |
      jq -r '.status.loadBalancer.ingress[]?.ip // empty' 2>/dev/null | tr '\n' ' ')"
    test -n "${ASSIGNED// /}"
  }
  until_ok "$TIMEOUT" "$INTERVAL" assigned_address
  status=$?
  # shellcheck disable=SC2086 # word splitting of the addresses is meant
  result "edge $LB_SERVICE address" "an address assigned within ${TIMEOUT}s" "$(words $ASSIGNED)" "$status" \
    "no pool hands out an address to the Service (MetalLB's controller or Cilium's LB-IPAM: kubectl -n ${LB_SERVICE%%/*} describe service ${LB_SERVICE#*/})"
  targets="$targets $ASSIGNED"
fi

for address in $targets; do
  # The Service's addresses take LB_PROXY; the Hetzner load balancer adds its own header.
  # From inside the cluster a Service's address is answered on this pod's own node (kube-proxy or Cilium): the line
  # says so, and announce.sh checks the LAN.
  proxy=0
  what="edge load balancer $(host_of "$address"):80"
  case " $ASSIGNED " in
    *" $address "*)
      proxy="${LB_PROXY:-0}"
      what="edge LoadBalancer Service $LB_SERVICE at $(host_of "$address"):80 from inside the cluster"
      ;;
  esac
  until_ok "$TIMEOUT" "$INTERVAL" edge_answers "$address" "$proxy"
  status=$?
  result "$what, $(header_note "$proxy")" "an answer from $EDGE_NAME within ${TIMEOUT}s" "$SEEN" "$status" \
    "the load balancer does not forward to $EDGE_NAME's nodes (Hetzner: its targets and health checks in the console; a LoadBalancer Service: its endpoints), or nginx expects a PROXY header the load balancer does not send (ingress.proxyProtocol)"
  tried=$((tried + 1))
done

if [ -n "${LOG_SKIP:-}" ]; then
  skip "edge client address from the PROXY header" "$LOG_SKIP"
elif [ -n "${LOG_NAMESPACE:-}" ]; then
  # shellcheck disable=SC2086 # word splitting of the addresses is meant
  set -- $targets
  if [ $# -eq 0 ]; then
    result "edge client address from the PROXY header" "a load balancer address to call" "none" 1 \
      "the load balancer has no IPv4 address yet (the Hetzner console, or pulumi refresh)"
  else
    # The pod's name (from the downward API: the image sets HOSTNAME=netshoot, which the runtime keeps): a new one
    # for every run of the Job, so a line of an earlier run never counts.
    marker="k3s-sites-verify/$POD_NAME"
    curl -sS -m 5 -o /dev/null "$(url_of "$1")$marker" >/dev/null 2>&1 || true
    client=""
    logged() {
      client="$(client_in_log "$marker")"
      test -n "$client"
    }
    until_ok "$LOG_TIMEOUT" "$INTERVAL" logged || true
    result "edge client address from the PROXY header (GET /$marker via $1)" \
      "a client address other than the load balancer's $LB_PRIVATE_IP in nginx's log" "${client:-no log line for the request}" \
      "$(is test -n "$client" -a "$client" != "$LB_PRIVATE_IP")" \
      "nginx does not take the client from the PROXY header (its ConfigMap's real-ip keys), or its access log is off"
  fi
fi

if [ "$tried" -eq 0 ] && [ -z "$LB_SERVICE" ]; then
  skip "edge" "no address to try (the load balancer has none of this family)"
fi

finish
