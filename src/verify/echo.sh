#!/usr/bin/env bash
# k3s-sites verification: the echo server of one node (the verify-echo DaemonSet). It answers every connection on
# ECHO_PORT and on DENIED_PORT with the node's name, over IPv4 and, when FAMILIES has 6, IPv6. The namespace's
# policies let connections reach ECHO_PORT only: policies.sh expects DENIED_PORT to stay silent.
# Environment: NODE_NAME, ECHO_PORT, DENIED_PORT, FAMILIES ("4" or "4 6").
set -eu

for port in "$ECHO_PORT" "$DENIED_PORT"; do
  socat "TCP4-LISTEN:$port,fork,reuseaddr" "SYSTEM:echo $NODE_NAME" &
  case " $FAMILIES " in
    *" 6 "*) socat "TCP6-LISTEN:$port,fork,reuseaddr,ipv6only=1" "SYSTEM:echo $NODE_NAME" & ;;
  esac
done
# Any listener that stops ends the pod, so the DaemonSet restarts it.
wait -n
exit 1
