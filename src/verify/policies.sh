#!/usr/bin/env bash
# k3s-sites verification: network policies hold. This pod's namespace denies everything by default. Its
# policies let it reach the echo servers on ECHO_PORT and on DENIED_PORT, and let the echo servers accept
# ECHO_PORT only: so a connection to DENIED_PORT must fail (ingress denied where no rule allows), one to
# ECHO_PORT must succeed (allowed where a rule does), one to OUTSIDE (no egress rule) must fail, and a name
# must still resolve (DNS egress under default-deny). A declared app's own rules are checked by policies-app.sh, in
# a Job of its own (APP_RULE_JOB), or skipped for the reason in APP_RULE_SKIP.
# Order matters. On Flannel sites k3s's policy controller (kube-router) rejects a new pod's traffic until it has
# seen the pod's address: a refusal then says nothing about the rules. So the allowed port is tried first, again
# and again for up to TIMEOUT seconds, and the refusals count only once it connected (the pod's rules are in
# force); a port that should be refused is tried for up to DENY_WAIT seconds before it counts as open.
# Environment: ECHO_SERVICE, ECHO_PORT, DENIED_PORT, OUTSIDE ("address port"), EXTERNAL_NAME, APP_RULE_JOB,
# APP_RULE_SKIP, TIMEOUT, INTERVAL and DENY_WAIT (seconds).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

outcome() {
  if nc -z -w 3 "$1" "$2" </dev/null >/dev/null 2>&1; then echo connected; else echo "refused or timed out"; fi
}
echo_address() {
  ADDRESS="$(lookup "$ECHO_SERVICE" A | head -n 1)"
  test -n "$ADDRESS"
}
connects() {
  SEEN="$(outcome "$1" "$2")"
  test "$SEEN" = connected
}
refused() {
  SEEN="$(outcome "$1" "$2")"
  test "$SEEN" != connected
}
resolves() {
  SEEN="$(words "$(lookup "$EXTERNAL_NAME" A)")"
  test "$SEEN" != none
}

if ! until_ok "$TIMEOUT" "$INTERVAL" echo_address; then
  result "policies echo server address ($ECHO_SERVICE)" "an address within ${TIMEOUT}s" "no answer" 1 \
    "no echo pod is Ready (kubectl -n k3s-sites-verify get pods), or this pod's DNS egress (verify-policies-dns) is blocked"
  finish
fi

until_ok "$TIMEOUT" "$INTERVAL" connects "$ADDRESS" "$ECHO_PORT"
status=$?
result "policies allowed port $ECHO_PORT (this pod to echo server $ADDRESS)" "connected within ${TIMEOUT}s" "$SEEN" "$status" \
  "the policies verify-policies-to-echo and verify-echo-from-clients are not enforced as written, or the echo pod at $ADDRESS is not listening"
if [ "$status" -ne 0 ]; then
  skip "policies refusals" "not tried: the allowed port never connected, so a refusal would prove nothing"
  finish
fi

until_ok "$DENY_WAIT" 2 refused "$ADDRESS" "$DENIED_PORT"
status=$?
result "policies ingress to port $DENIED_PORT without a rule (echo server $ADDRESS)" "refused or timed out within ${DENY_WAIT}s" "$SEEN" "$status" \
  "the CNI does not enforce NetworkPolicies (its policy controller is off or failing), or a policy in k3s-sites-verify allows port $DENIED_PORT"

read -r outside_address outside_port <<<"$OUTSIDE"
until_ok "$DENY_WAIT" 2 refused "$outside_address" "$outside_port"
status=$?
result "policies egress to $outside_address:$outside_port without a rule" "refused or timed out within ${DENY_WAIT}s" "$SEEN" "$status" \
  "the CNI does not enforce egress policies, or a policy in k3s-sites-verify allows egress to $outside_address"

until_ok "$TIMEOUT" "$INTERVAL" resolves
status=$?
result "policies dns under default-deny ($EXTERNAL_NAME)" "an address within ${TIMEOUT}s" "$SEEN" "$status" \
  "the policy verify-policies-dns does not reach CoreDNS, or CoreDNS cannot resolve names outside the cluster"

if [ -n "$APP_RULE_SKIP" ]; then
  skip "policies app rule" "$APP_RULE_SKIP"
else
  printf 'see  policies app rule: checked by Job %s\n' "$APP_RULE_JOB"
fi

finish
