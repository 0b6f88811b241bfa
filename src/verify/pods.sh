#!/usr/bin/env bash
# k3s-sites verification: pod networking. An echo server runs on every node (a DaemonSet behind a headless
# Service) and answers a connection with its node's name; this pod connects to each one, over each IP family of
# the site, and expects an answer from every node.
# Environment: ECHO_SERVICE (headless Service name), ECHO_PORT, NODES (node names), FAMILIES ("4" or "4 6").
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for family in $FAMILIES; do
  record=A
  [ "$family" = 6 ] && record=AAAA
  answered=""
  for address in $(lookup "$ECHO_SERVICE" "$record"); do
    node="$(nc -w 3 "$address" "$ECHO_PORT" </dev/null 2>/dev/null | head -n 1)"
    [ -n "$node" ] && answered="$answered $node"
  done
  for node in $NODES; do
    case " $answered " in
      *" $node "*) status=0 ;;
      *) status=1 ;;
    esac
    # shellcheck disable=SC2086 # word splitting of the answers is meant
    result "pods ipv$family to $node" "an answer from $node" "answers from $(words $answered)" "$status"
  done
done

finish
