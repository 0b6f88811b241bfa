#!/usr/bin/env bash
# k3s-sites verification: network policies hold. This pod's namespace denies everything by default. Its
# policies let it reach the echo servers on ECHO_PORT and on DENIED_PORT, and let the echo servers accept
# ECHO_PORT only: so a connection to DENIED_PORT must fail (ingress denied where no rule allows), one to
# ECHO_PORT must succeed (allowed where a rule does), one to OUTSIDE (no egress rule) must fail, and a name
# must still resolve (DNS egress under default-deny). A declared app's own rules are checked by policies-app.sh, in
# a Job of its own (APP_RULE_JOB), or skipped for the reason in APP_RULE_SKIP.
# Environment: ECHO_SERVICE, ECHO_PORT, DENIED_PORT, OUTSIDE ("address port"), EXTERNAL_NAME, APP_RULE_JOB,
# APP_RULE_SKIP.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

outcome() {
  if nc -z -w 3 "$1" "$2" </dev/null >/dev/null 2>&1; then echo connected; else echo "refused or timed out"; fi
}

address="$(lookup "$ECHO_SERVICE" A | head -n 1)"
if [ -z "$address" ]; then
  result "policies echo server address" "an address for $ECHO_SERVICE" "no answer" 1
  finish
fi

seen="$(outcome "$address" "$ECHO_PORT")"
result "policies allowed port $ECHO_PORT" "connected" "$seen" "$(is test "$seen" = connected)"

seen="$(outcome "$address" "$DENIED_PORT")"
result "policies ingress to port $DENIED_PORT without a rule" "refused or timed out" "$seen" "$(is test "$seen" != connected)"

read -r outside_address outside_port <<<"$OUTSIDE"
seen="$(outcome "$outside_address" "$outside_port")"
result "policies egress to $outside_address:$outside_port without a rule" "refused or timed out" "$seen" "$(is test "$seen" != connected)"

seen="$(words "$(lookup "$EXTERNAL_NAME" A)")"
result "policies dns under default-deny" "an address for $EXTERNAL_NAME" "$seen" "$(is test "$seen" != none)"

if [ -n "$APP_RULE_SKIP" ]; then
  skip "policies app rule" "$APP_RULE_SKIP"
else
  printf 'see  policies app rule: checked by Job %s\n' "$APP_RULE_JOB"
fi

finish
