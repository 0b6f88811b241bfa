#!/usr/bin/env bash
# k3s-sites verification: the echo server of one node (the verify-echo DaemonSet). It answers every connection on
# ECHO_PORT and on DENIED_PORT with the node's name, over IPv4 and, when FAMILIES has 6, IPv6. The namespace's
# policies let connections reach ECHO_PORT only: policies.sh expects DENIED_PORT to stay silent.
# Environment: NODE_NAME, ECHO_PORT, DENIED_PORT, FAMILIES ("4" or "4 6").
set -eu

# listen <TCP4|TCP6> <port> [socat options]: serve until socat stops, then say which listener stopped.
listen() {
  local status=0
  socat "$1-LISTEN:$2,fork,reuseaddr${3:-}" "SYSTEM:echo $NODE_NAME" || status=$?
  printf 'FAIL echo %s port %s on %s: expected a listener, saw it stop with status %s\n' "$1" "$2" "$NODE_NAME" "$status"
  return 1
}

for port in "$ECHO_PORT" "$DENIED_PORT"; do
  listen TCP4 "$port" &
  case " $FAMILIES " in
    *" 6 "*) listen TCP6 "$port" ",ipv6only=1" & ;;
  esac
done
# Any listener that stops ends the pod, so the DaemonSet restarts it (and the pods check misses the node meanwhile).
wait -n || true
exit 1
