#!/usr/bin/env bash
# k3s-sites verification: certificates. Each ClusterIssuer of the site reports Ready (its ACME account is
# registered); when certificates.verifyHost is set, the staging issuer's certificate for it becomes Ready (the
# whole challenge path works: DNS, the edge, the solver). Polls until TIMEOUT seconds have passed.
# Environment: ISSUERS (names), CERTIFICATE ("namespace/name" or ""), TIMEOUT (seconds), INTERVAL (seconds).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ready <api path>: one look; READY is the object's Ready status ("True", "False", or "none").
ready() {
  READY="$(api_get "$1" | ready_status)"
  test "$READY" = True
}

# wait_ready <api path>: READY is the last Ready status seen before it became True or time ran out (until_ok).
wait_ready() {
  until_ok "$TIMEOUT" "$INTERVAL" ready "$1" || true
}

for issuer in $ISSUERS; do
  wait_ready "/apis/cert-manager.io/v1/clusterissuers/$issuer"
  seen="$READY"
  result "certificates ClusterIssuer $issuer" "Ready True within ${TIMEOUT}s" "Ready $seen" "$(is test "$seen" = True)" \
    "the ACME account cannot be registered: cert-manager's controller cannot reach the ACME server over HTTPS, or the email is refused (kubectl describe clusterissuer $issuer)"
done

if [ -n "$CERTIFICATE" ]; then
  wait_ready "/apis/cert-manager.io/v1/namespaces/${CERTIFICATE%%/*}/certificates/${CERTIFICATE#*/}"
  seen="$READY"
  result "certificates Certificate $CERTIFICATE" "Ready True within ${TIMEOUT}s" "Ready $seen" "$(is test "$seen" = True)" \
    "the challenge fails: the name does not resolve to the site, the edge does not reach the solver, or cert-manager's self-check cannot reach the ingress controller (kubectl -n ${CERTIFICATE%%/*} describe challenges)"
fi

finish
