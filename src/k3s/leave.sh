#!/usr/bin/env bash
# k3s-sites: takes one node out of the cluster before its machine goes. It cordons and drains the node, then
# deletes its Node; for a server, k3s removes the server's etcd member before the Node is gone. It runs on another
# server with the admin kubeconfig, as the delete of the node's membership command, so only when the node leaves the
# site (a node's own kubelet credentials may not evict or delete). Values come from the generated header that
# replaces the @values line below.
set -euo pipefail

# @values

: "${NODE:?}" "${ROLE:?}" "${DRAIN_TIMEOUT:?}" "${DELETE_TIMEOUT:?}" "${TOMBSTONE_WAIT:?}"

ROOT="${K3S_SITES_ROOT:-}"

log() { printf 'k3s-sites %s: %s\n' "$NODE" "$*" >&2; }
fail() { log "$*"; exit 1; }
kubectl() { "$ROOT/usr/local/bin/k3s" kubectl --kubeconfig "$ROOT/etc/rancher/k3s/k3s.yaml" "$@"; }

# A server removed from etcd writes this file when its etcd learns it (k3s-io/k3s pkg/executor/embed/etcd/etcd.go,
# on rafthttp.ErrMemberRemoved; the etcd data dir is <data-dir>/server/db/etcd, pkg/etcd/etcd.go dbDir). This server
# has then left the cluster itself: the cluster is being taken down around it (pulumi destroy removes every node,
# and the program refuses a scale-down that removes a server together with the server its removal runs on).
TOMBSTONE="$ROOT/var/lib/rancher/k3s/server/db/etcd/tombstone"
torn_down() {
  log "this server has left the cluster itself, so the cluster is being taken down: nothing to remove $NODE from"
  exit 0
}
[ ! -f "$TOMBSTONE" ] || torn_down

# A node that is not in the cluster has nothing to remove; any other error (the API does not answer) stops the run
# here, before Pulumi deletes the machine undrained. A server that has just left etcd writes its tombstone a moment
# later, and its API stops answering before that: it gets TOMBSTONE_WAIT seconds to do so.
# kubectl's warnings (an aggregated API briefly unavailable) go to stderr even when it succeeds: only stdout is the
# answer, and stderr is shown when it fails.
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
if ! found="$(kubectl get node "$NODE" --ignore-not-found -o name 2>"$errors")"; then
  deadline=$((SECONDS + TOMBSTONE_WAIT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    sleep 2
    [ ! -f "$TOMBSTONE" ] || torn_down
  done
  fail "cannot reach the Kubernetes API to take $NODE out of the cluster ($(tr '\n' ' ' <"$errors" | sed 's/ $//')); the run stops before its machine is deleted. See journalctl -u k3s on this server, then run pulumi up again"
fi
if [ -z "$found" ]; then
  log "not in the cluster: nothing to remove"
  exit 0
fi

# The last etcd member cannot leave: k3s's member controller refuses to remove the leader when no other member is
# left (pkg/etcd/etcd.go RemovePeer: rpctypes.ErrMemberNotEnoughStarted), so its Node would never go. Only a teardown
# removes it (the program never lets a run remove every server): the cluster goes with it.
# The member controller acts on Nodes that carry the etcd role label, whatever its value (pkg/etcd/member_controller.go).
members="$(kubectl get nodes -l node-role.kubernetes.io/etcd -o name 2>"$errors")" ||
  fail "cannot list the cluster's etcd members to take $NODE out of the cluster ($(tr '\n' ' ' <"$errors" | sed 's/ $//')); see journalctl -u k3s on this server, then run pulumi up again"
if [ "$members" = "node/$NODE" ]; then
  log "the cluster's last etcd member: the cluster goes with it, nothing to remove"
  exit 0
fi

log "draining: $NODE leaves the cluster"
kubectl cordon "$NODE" >/dev/null
kubectl drain "$NODE" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s" >&2 ||
  fail "the drain of $NODE did not finish within ${DRAIN_TIMEOUT}s (a PodDisruptionBudget or a pod that does not stop); the run stops before its machine is deleted. See kubectl get pods -A --field-selector spec.nodeName=$NODE, then run pulumi up again"

# The delete waits until the Node is gone. On a server, k3s's etcd member controller holds the Node (its finalizer
# wrangler.cattle.io/managed-etcd-controller) until it has removed the server's etcd member.
if ! kubectl delete node "$NODE" --timeout="${DELETE_TIMEOUT}s" >&2; then
  if [ "$ROLE" = server ]; then
    fail "the Node $NODE was not deleted within ${DELETE_TIMEOUT}s: k3s removes its etcd member first; see journalctl -u k3s on the servers (managed-etcd-controller), then run pulumi up again"
  fi
  fail "the Node $NODE was not deleted within ${DELETE_TIMEOUT}s; see kubectl describe node $NODE, then run pulumi up again"
fi
log "removed from the cluster"
