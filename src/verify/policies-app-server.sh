#!/usr/bin/env bash
# k3s-sites verification: the stand-in for a declared app, for the policies check. It runs in the app's namespace
# with the app's pod labels, so the app's own NetworkPolicy (and nginx's rule to it) applies to it, and is never
# Ready, so no Service of the app sends it traffic. It listens on the app's port and on a port the app does not
# declare; it ends once policies-app.sh (standing in for nginx) has connected to the app's port twice: once to prove
# the rule lets it in, once to say it has finished, after its attempt on the other port.
# Environment: APP, APP_PORT, DENIED_PORT.
set -u

socat "TCP4-LISTEN:$DENIED_PORT,fork,reuseaddr" "SYSTEM:echo $APP-stand-in" &
# One connection per socat: the client's lines (policies-app.sh) are the check's result, whatever socat returns here.
for connection in proof release; do
  status=0
  socat "TCP4-LISTEN:$APP_PORT,reuseaddr" "SYSTEM:echo $APP-stand-in" || status=$?
  printf 'policies app %s stand-in: connection (%s) on port %s, socat ended with status %s\n' "$APP" "$connection" "$APP_PORT" "$status"
done
exit 0
