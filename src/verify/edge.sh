#!/usr/bin/env bash
# k3s-sites verification: the edge. nginx answers on every node's hostPort (with a PROXY protocol header when
# the site's nginx expects one), and on the site's load-balancer addresses: the Hetzner load balancer's public
# addresses (its PROXY header added by the load balancer), or the LoadBalancer Service's addresses on the LAN, IPv4
# and IPv6 alike. On a Hetzner site the load balancer's IPv6 is tried by a second Job on the host network, since the
# pods have no IPv6 there (src/verify/jobs.ts EDGE_IPV6_JOB).
# With LOG_NAMESPACE set (Hetzner, PROXY protocol on), the request to the load balancer's first address carries a
# marker in its path, and nginx's access log must show it with a client address that is not the load balancer's
# private one: nginx took the client from the PROXY header (NGINX Ingress Controller v5.5.4's default log format
# starts with $remote_addr, which the real-ip keys set from the header; src/verify/jobs.ts proxyLogOf).
# Environment: NODE_TARGETS ("address ..."), PROXY_PROTOCOL (1 or 0), LB_TARGETS ("address ..."),
# LB_SERVICE ("namespace/name" of a LoadBalancer Service whose address is looked up, or ""), LOG_NAMESPACE,
# LOG_SELECTOR (a URL-encoded label selector), LOG_CONTAINER, LB_PRIVATE_IP, LOG_TIMEOUT and INTERVAL (seconds):
# the log check, off when LOG_NAMESPACE is "" (LOG_SKIP: why, when it is off on a site with a load balancer).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# server_of <url> [curl options]: the Server header of the answer, or what went wrong.
server_of() {
  local url="$1"
  shift
  local headers
  if ! headers="$(curl -sS -m 5 "$@" -o /dev/null -D - "$url" 2>&1)"; then
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

tried=0

for address in $NODE_TARGETS; do
  if [ "$PROXY_PROTOCOL" = 1 ]; then
    seen="$(server_of "$(url_of "$address")" --haproxy-protocol)"
  else
    seen="$(server_of "$(url_of "$address")")"
  fi
  case "$seen" in nginx*) status=0 ;; *) status=1 ;; esac
  result "edge hostPort $(host_of "$address"):80" "an answer from nginx" "$seen" "$status"
  tried=$((tried + 1))
done

targets="$LB_TARGETS"
if [ -n "$LB_SERVICE" ]; then
  service="$(api_get "/api/v1/namespaces/${LB_SERVICE%%/*}/services/${LB_SERVICE#*/}")"
  assigned="$(printf '%s' "$service" | jq -r '.status.loadBalancer.ingress[]?.ip // empty' 2>/dev/null)"
  # shellcheck disable=SC2086 # word splitting of the addresses is meant
  result "edge $LB_SERVICE address" "an address assigned" "$(words $assigned)" "$(is test -n "$assigned")"
  targets="$targets $assigned"
fi

for address in $targets; do
  seen="$(server_of "$(url_of "$address")")"
  case "$seen" in nginx*) status=0 ;; *) status=1 ;; esac
  result "edge load balancer $(host_of "$address"):80" "an answer from nginx" "$seen" "$status"
  tried=$((tried + 1))
done

if [ -n "${LOG_SKIP:-}" ]; then
  skip "edge client address from the PROXY header" "$LOG_SKIP"
elif [ -n "${LOG_NAMESPACE:-}" ]; then
  # shellcheck disable=SC2086 # word splitting of the addresses is meant
  set -- $targets
  if [ $# -eq 0 ]; then
    result "edge client address from the PROXY header" "a load balancer address to call" "none" 1
  else
    # The pod's name (from the downward API: the image sets HOSTNAME=netshoot, which the runtime keeps): a new one
    # for every run of the Job, so a line of an earlier run never counts.
    marker="k3s-sites-verify/$POD_NAME"
    curl -sS -m 5 -o /dev/null "$(url_of "$1")$marker" >/dev/null 2>&1 || true
    waited=0
    while :; do
      client="$(client_in_log "$marker")"
      [ -n "$client" ] || [ "$waited" -ge "$LOG_TIMEOUT" ] && break
      sleep "$INTERVAL"
      waited=$((waited + INTERVAL))
    done
    result "edge client address from the PROXY header (GET /$marker via $1)" \
      "a client address other than the load balancer's $LB_PRIVATE_IP in nginx's log" "${client:-no log line for the request}" \
      "$(is test -n "$client" -a "$client" != "$LB_PRIVATE_IP")"
  fi
fi

if [ "$tried" -eq 0 ] && [ -z "$LB_SERVICE" ]; then
  skip "edge" "no address to try (the load balancer has none of this family)"
fi

finish
