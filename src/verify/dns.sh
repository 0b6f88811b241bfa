#!/usr/bin/env bash
# k3s-sites verification: the cluster DNS answers, for a Service name and for a name outside the cluster, from a
# pod under default-deny whose only egress rule for this is the allow-dns policy. It asks again every INTERVAL
# seconds for up to TIMEOUT seconds (a new pod's policies take a moment to be enforced on Flannel sites).
# Environment: API_SERVICE_IP (the kubernetes Service's ClusterIP), EXTERNAL_NAME, TIMEOUT and INTERVAL (seconds).
# shellcheck disable=SC2329 # the functions run through until_ok (lib.sh)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

api_answer() {
  SEEN="$(lookup kubernetes.default A | head -n 1)"
  test "$SEEN" = "$API_SERVICE_IP"
}
external_answer() {
  SEEN="$(words "$(lookup "$EXTERNAL_NAME" A)" "$(lookup "$EXTERNAL_NAME" AAAA)")"
  test "$SEEN" != none
}

until_ok "$TIMEOUT" "$INTERVAL" api_answer
status=$?
result "dns kubernetes.default (from this pod to CoreDNS in kube-system)" "$API_SERVICE_IP within ${TIMEOUT}s" "${SEEN:-no answer}" "$status" \
  "CoreDNS is not running (kubectl -n kube-system get pods -l k8s-app=kube-dns), or the policy verify-dns-dns does not let this pod reach it"

until_ok "$TIMEOUT" "$INTERVAL" external_answer
status=$?
result "dns $EXTERNAL_NAME (CoreDNS forwarding outside the cluster)" "an address within ${TIMEOUT}s" "$SEEN" "$status" \
  "CoreDNS cannot reach the upstream resolvers of the node's /etc/resolv.conf, or the node has no route out"

finish
