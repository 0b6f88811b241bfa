#!/usr/bin/env bash
# k3s-sites verification: pod networking. An echo server runs on every node (a DaemonSet behind a headless
# Service) and answers a connection with its node's name; this pod connects to each one, over each IP family of
# the site, and expects an answer from every node. It tries again every INTERVAL seconds for up to TIMEOUT seconds:
# on Flannel sites k3s's policy controller (kube-router) rejects a new pod's traffic until it has seen the pod's
# address, and an echo server that has just started is not in the Service's answer yet.
# Environment: ECHO_SERVICE (headless Service name), ECHO_PORT, NODES (node names), FAMILIES ("4" or "4 6"),
# TIMEOUT and INTERVAL (seconds).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# answered_all <record>: one pass over the Service's addresses; sets ADDRESSES and ANSWERED, 0 when every node
# answered.
answered_all() {
  local address node
  ADDRESSES="$(lookup "$ECHO_SERVICE" "$1")"
  ANSWERED=""
  for address in $ADDRESSES; do
    node="$(nc -w 3 "$address" "$ECHO_PORT" </dev/null 2>/dev/null | head -n 1)"
    [ -n "$node" ] && ANSWERED="$ANSWERED $node"
  done
  for node in $NODES; do
    case " $ANSWERED " in *" $node "*) ;; *) return 1 ;; esac
  done
}

for family in $FAMILIES; do
  record=A
  [ "$family" = 6 ] && record=AAAA
  until_ok "$TIMEOUT" "$INTERVAL" answered_all "$record" || true
  for node in $NODES; do
    case " $ANSWERED " in
      *" $node "*) status=0 ;;
      *) status=1 ;;
    esac
    # shellcheck disable=SC2086 # word splitting of the answers is meant
    result "pods ipv$family to $node (echo server port $ECHO_PORT via $ECHO_SERVICE)" "an answer from $node within ${TIMEOUT}s" \
      "answers from $(words $ANSWERED) at addresses $(words $ADDRESSES)" "$status" \
      "the echo pod on $node is not Ready (kubectl -n k3s-sites-verify get pods -o wide), or pod traffic to $node does not arrive (the CNI's pods on $node, the nodes' firewall for the overlay)"
  done
done

finish
