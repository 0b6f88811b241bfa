#!/usr/bin/env bash
# k3s-sites: cordons and drains one node before its k3s is upgraded (ACTION=drain), and uncordons it afterwards
# (ACTION=uncordon). Runs on the first server with the admin kubeconfig: a node's own kubelet credentials may not
# list, cordon or evict (the Node authorizer). Values come from the generated header that replaces the @values
# line below. Only a node that is in the cluster and runs another version is drained, and only a node this script
# cordoned is uncordoned, so a run with nothing to upgrade changes nothing and a manual cordon stays.
set -euo pipefail

# @values

: "${ACTION:?}" "${NODE:?}" "${K3S_VERSION:?}" "${DRAIN_TIMEOUT:?}" "${REQUEST_TIMEOUT:?}"

ROOT="${K3S_SITES_ROOT:-}"
MARK="k3s-sites.io/drained-for"

log() { printf 'k3s-sites %s: %s\n' "$NODE" "$*" >&2; }
fail() { log "$*"; exit 1; }
# kubectl waits for an answer without limit by default (--request-timeout 0): each call gets REQUEST_TIMEOUT, and
# the drain, which waits on its own (--timeout), DRAIN_TIMEOUT plus REQUEST_TIMEOUT from outside.
kubectl() { "$ROOT/usr/local/bin/k3s" kubectl --kubeconfig "$ROOT/etc/rancher/k3s/k3s.yaml" "$@" --request-timeout="${REQUEST_TIMEOUT}s"; }
kubectl_within() {
  local bound=$(($1 + REQUEST_TIMEOUT))
  shift
  timeout "$bound" "$ROOT/usr/local/bin/k3s" kubectl --kubeconfig "$ROOT/etc/rancher/k3s/k3s.yaml" "$@"
}

# Before the first install the join server has no k3s yet, and so no cluster to drain anything in.
if [ ! -x "$ROOT/usr/local/bin/k3s" ]; then
  log "k3s is not installed on this server yet, so $NODE is not in a cluster: nothing to $ACTION"
  exit 0
fi
# A node that is not in the cluster prints nothing; an API that does not answer stops the run here, before the node
# is upgraded undrained.
# kubectl's warnings (an aggregated API briefly unavailable) go to stderr even when it succeeds: only stdout is the
# answer, and stderr is shown when it fails.
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
if ! running="$(kubectl get node "$NODE" --ignore-not-found -o 'jsonpath={.status.nodeInfo.kubeletVersion}' 2>"$errors")"; then
  fail "cannot reach the Kubernetes API to $ACTION $NODE ($(tr '\n' ' ' <"$errors" | sed 's/ $//')); see journalctl -u k3s on this server, then run pulumi up again (or set k3s.upgrade.drain to false)"
fi
if [ -z "$running" ]; then
  log "not in the cluster: nothing to $ACTION"
  exit 0
fi

case "$ACTION" in
  drain)
    # k3s nodes report the k3s release as their kubelet version, e.g. v1.33.5+k3s1.
    if [ "$running" = "$K3S_VERSION" ]; then exit 0; fi
    log "draining before the upgrade from $running to $K3S_VERSION"
    kubectl annotate --overwrite node "$NODE" "$MARK=$K3S_VERSION" >/dev/null
    kubectl cordon "$NODE" >/dev/null
    kubectl_within "$DRAIN_TIMEOUT" drain "$NODE" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s" >&2 ||
      fail "the drain of $NODE did not finish within ${DRAIN_TIMEOUT}s (a PodDisruptionBudget or a pod that does not stop); see kubectl get pods -A --field-selector spec.nodeName=$NODE, then run pulumi up again or set k3s.upgrade.drain to false"
    ;;
  uncordon)
    # Read on its own line: set -e does not stop at a failure inside [ ]'s argument, which would leave the node
    # cordoned and the step recorded as done.
    mark="$(kubectl get node "$NODE" -o "jsonpath={.metadata.annotations.k3s-sites\.io/drained-for}" 2>"$errors")" ||
      fail "cannot read whether k3s-sites drained $NODE, to uncordon it after the upgrade ($(tr '\n' ' ' <"$errors" | sed 's/ $//')); it may still be cordoned: see journalctl -u k3s on this server, then run pulumi up again"
    if [ -z "$mark" ]; then exit 0; fi
    kubectl uncordon "$NODE" >/dev/null
    kubectl annotate node "$NODE" "$MARK-" >/dev/null
    log "uncordoned after the upgrade to $running"
    ;;
  *) fail "unknown ACTION $ACTION" ;;
esac
