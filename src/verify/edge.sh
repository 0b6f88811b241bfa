#!/usr/bin/env bash
# k3s-sites verification: the edge. nginx answers on every node's hostPort (with a PROXY protocol header when
# the site's nginx expects one), and on the site's load-balancer addresses: the Hetzner load balancer's public
# addresses (its PROXY header added by the load balancer), or the LoadBalancer Service's addresses on the LAN, IPv4
# and IPv6 alike. On a Hetzner site the load balancer's IPv6 is tried by a second Job on the host network, since the
# pods have no IPv6 there (src/verify/jobs.ts EDGE_IPV6_JOB).
# Environment: NODE_TARGETS ("address ..."), PROXY_PROTOCOL (1 or 0), LB_TARGETS ("address ..."),
# LB_SERVICE ("namespace/name" of a LoadBalancer Service whose address is looked up, or "").
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

if [ "$tried" -eq 0 ] && [ -z "$LB_SERVICE" ]; then
  skip "edge" "no address to try (the load balancer has none of this family)"
fi

finish
