#!/usr/bin/env bash
# k3s-sites verification: the cluster DNS answers, for a Service name and for a name outside the cluster, from a
# pod under default-deny whose only egress rule for this is the allow-dns policy.
# Environment: API_SERVICE_IP (the kubernetes Service's ClusterIP), EXTERNAL_NAME.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

seen="$(lookup kubernetes.default A | head -n 1)"
result "dns kubernetes.default" "$API_SERVICE_IP" "${seen:-no answer}" "$(is test "$seen" = "$API_SERVICE_IP")"

seen="$(words "$(lookup "$EXTERNAL_NAME" A)" "$(lookup "$EXTERNAL_NAME" AAAA)")"
result "dns $EXTERNAL_NAME" "an address" "$seen" "$(is test "$seen" != none)"

finish
