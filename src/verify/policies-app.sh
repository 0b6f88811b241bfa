#!/usr/bin/env bash
# k3s-sites verification: a declared app's rule holds. This pod stands in for the site's ingress controller (its
# namespace and pod labels, never Ready so that no Service sends it traffic) and calls the app's stand-in
# (policies-app-server.sh): the app's port must connect, allowed by the program's rules for the app (the app's policy
# lets the controller in, the controller's lets it out to the app), and a port the app does not declare must not.
# It waits for the stand-in to start, tries the other port while the stand-in is known to listen, then, when both
# held, releases it.
# Environment: EDGE_NAME and EDGE_NAMESPACE (the controller, as messages name it, and its namespace), APP, SERVER
# (the stand-in's headless Service name), APP_PORT, DENIED_PORT, TIMEOUT, INTERVAL and DENY_WAIT (seconds).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

outcome() {
  if nc -z -w 3 "$1" "$2" </dev/null >/dev/null 2>&1; then echo connected; else echo "refused or timed out"; fi
}

address=""
seen="no address for $SERVER"
app_connects() {
  address="$(lookup "$SERVER" A | head -n 1)"
  [ -n "$address" ] || return 1
  seen="$(outcome "$address" "$APP_PORT")"
  [ "$seen" = connected ]
}
until_ok "$TIMEOUT" "$INTERVAL" app_connects || true
result "policies app $APP rule: $EDGE_NAME to port $APP_PORT ($SERVER)" "connected within ${TIMEOUT}s" "$seen" "$(is test "$seen" = connected)" \
  "the app's policy app-$APP or $EDGE_NAME's policy to its backends (kubectl -n $EDGE_NAMESPACE get networkpolicy) does not admit $EDGE_NAME on port $APP_PORT, or the stand-in for $APP is not running (kubectl get pods -A -l k3s-sites/check=policies-app-server)"

if [ "$seen" = connected ]; then
  # A new pod's policies may take a moment to be enforced (k3s's network policy controller on Flannel sites): the
  # other port passes as soon as it is refused, and fails only if it still connects after DENY_WAIT seconds.
  denied() {
    seen="$(outcome "$address" "$DENIED_PORT")"
    [ "$seen" != connected ]
  }
  until_ok "$DENY_WAIT" 2 denied || true
  result "policies app $APP: $EDGE_NAME to port $DENIED_PORT ($address), which no rule allows" "refused or timed out within ${DENY_WAIT}s" "$seen" "$(is test "$seen" != connected)" \
    "the CNI does not enforce the app's policy app-$APP, or a policy in the app's namespace allows port $DENIED_PORT"
  # Only a run that passed releases the stand-in, whose Job then completes: after a failure both Jobs fail, and the
  # next pulumi up replaces both (pulumi.com/replaceUnready), never one without the other.
  if [ "$FAILURES" -eq 0 ]; then
    released="not connected"
    for _ in 1 2 3 4 5; do
      if [ "$(outcome "$address" "$APP_PORT")" = connected ]; then released=connected; break; fi
      sleep 1
    done
    result "policies app $APP: stand-in released on port $APP_PORT" "connected" "$released" "$(is test "$released" = connected)" \
      "the stand-in for $APP stopped listening between the two connections (its Job's log)"
  fi
fi

finish
