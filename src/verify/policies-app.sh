#!/usr/bin/env bash
# k3s-sites verification: a declared app's rule holds. This pod stands in for nginx (nginx's namespace and pod
# labels, never Ready so that no Service sends it traffic) and calls the app's stand-in (policies-app-server.sh):
# the app's port must connect, allowed by the program's rules for the app (the app's policy lets nginx in, nginx's
# lets it out to the app), and a port the app does not declare must not. It waits for the stand-in to start, tries
# the other port while the stand-in is known to listen, then releases it.
# Environment: APP, SERVER (the stand-in's headless Service name), APP_PORT, DENIED_PORT, TIMEOUT and INTERVAL
# (seconds).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

outcome() {
  if nc -z -w 3 "$1" "$2" </dev/null >/dev/null 2>&1; then echo connected; else echo "refused or timed out"; fi
}

waited=0
address=""
seen="no address for $SERVER"
while :; do
  address="$(lookup "$SERVER" A | head -n 1)"
  if [ -n "$address" ]; then
    seen="$(outcome "$address" "$APP_PORT")"
    [ "$seen" = connected ] && break
  fi
  [ "$waited" -ge "$TIMEOUT" ] && break
  sleep "$INTERVAL"
  waited=$((waited + INTERVAL))
done
result "policies app $APP rule: nginx to port $APP_PORT" "connected" "$seen" "$(is test "$seen" = connected)"

if [ "$seen" = connected ]; then
  seen="$(outcome "$address" "$DENIED_PORT")"
  result "policies app $APP: nginx to port $DENIED_PORT, which no rule allows" "refused or timed out" "$seen" "$(is test "$seen" != connected)"
  # Releases the stand-in, whose Job then completes (its listener may be restarting for a moment).
  for _ in 1 2 3; do
    [ "$(outcome "$address" "$APP_PORT")" = connected ] && break
    sleep 1
  done
fi

finish
