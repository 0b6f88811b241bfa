#!/usr/bin/env bash
# k3s-sites: takes one node out of the cluster before its machine goes. It cordons and drains the node, then
# deletes its Node; for a server, k3s removes the server's etcd member before the Node is gone. It runs on another
# server with the admin kubeconfig, as the delete of the node's membership command, so only when the node leaves the
# site (a node's own kubelet credentials may not evict or delete). Values come from the generated header that
# replaces the @values line below.
set -euo pipefail

# @values

: "${NODE:?}" "${ROLE:?}" "${DRAIN_TIMEOUT:?}" "${DEAD_DRAIN_TIMEOUT:?}" "${DELETE_TIMEOUT:?}" "${TOMBSTONE_WAIT:?}"
: "${REQUEST_TIMEOUT:?}"
# DISK_GOES: "1" when the node's machine and its disk are deleted after it leaves (Hetzner), "" when the host stays.
DISK_GOES="${DISK_GOES:-}"

ROOT="${K3S_SITES_ROOT:-}"

log() { printf 'k3s-sites %s: %s\n' "$NODE" "$*" >&2; }
fail() { log "$*"; exit 1; }
# kubectl waits for an answer without limit by default (--request-timeout 0): an API that accepts the connection and
# never answers would hold the run for ever. Each call gets REQUEST_TIMEOUT; a drain or a delete, which wait on their
# own (--timeout), gets its own bound plus REQUEST_TIMEOUT from outside.
kubectl() { "$ROOT/usr/local/bin/k3s" kubectl --kubeconfig "$ROOT/etc/rancher/k3s/k3s.yaml" "$@" --request-timeout="${REQUEST_TIMEOUT}s"; }
kubectl_within() {
  local bound=$(($1 + REQUEST_TIMEOUT))
  shift
  timeout "$bound" "$ROOT/usr/local/bin/k3s" kubectl --kubeconfig "$ROOT/etc/rancher/k3s/k3s.yaml" "$@"
}

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

# k3s's local-path volumes are directories on the node's own disk: the provisioner pins each PersistentVolume to its
# node (nodeAffinity kubernetes.io/hostname) and keeps the data under the volume's path there (rancher/local-path-
# provisioner, as k3s packages it in manifests/local-storage.yaml; PVs annotated pv.kubernetes.io/provisioned-by
# rancher.io/local-path). When the machine is deleted with the node, so is that data: the removal is refused, naming
# the claims. When the host stays, the data stays on its disk but no pod can use it through the cluster: a warning.
if ! pvs="$(kubectl get pv -o 'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}{"\t"}{.spec.nodeAffinity.required.nodeSelectorTerms[*].matchExpressions[*].values[*]}{"\t"}{.spec.claimRef.namespace}/{.spec.claimRef.name}{"\t"}{.spec.hostPath.path}{.spec.local.path}{"\n"}{end}' 2>"$errors")"; then
  fail "cannot list the cluster's PersistentVolumes to see whether $NODE holds local-path data ($(tr '\n' ' ' <"$errors" | sed 's/ $//')); see journalctl -u k3s on this server, then run pulumi up again"
fi
held="$(printf '%s\n' "$pvs" | awk -F '\t' -v node="$NODE" '$2 == "rancher.io/local-path" && index(" " $3 " ", " " node " ") > 0 { printf "%s%s (%s at %s)", sep, $4, $1, $5; sep = ", " }')"
if [ -n "$held" ]; then
  if [ -n "$DISK_GOES" ]; then
    fail "holds local-path volumes whose data is deleted with its machine: $held. Copy out what you need, then delete those claims (kubectl delete pvc -n <namespace> <name>) and run pulumi up again; or keep the node"
  fi
  log "holds local-path volumes: $held. Their data stays on this host's disk at those paths, but no pod can use it once the node has left; copy it out, or add the host back"
fi

# A node whose kubelet does not answer (Ready False or Unknown: the machine is dead, powered off or cut off) cannot
# confirm that its pods have stopped, and a drain would wait for them until it timed out, on this run and every
# later one. Its pods are then deleted without eviction and without waiting for a kubelet: kubectl drain
# --disable-eviction deletes instead of evicting (no PodDisruptionBudget holds a pod that is already gone), and
# --skip-wait-for-delete-timeout=N stops waiting for a pod whose deletionTimestamp is more than N seconds old
# (kubernetes/kubectl pkg/drain/filters.go, shouldSkipPod and skipDeletedFilter, and drain.go, waitForDelete; both
# flags since Kubernetes 1.18, kubernetes/kubernetes#85571 and #85577, unchanged at v1.33 and v1.34). A live node is
# drained as before. --force on both: a pod no controller owns (a bare pod) fails a drain without it, on every
# run; the node leaves and such a pod goes with it anyway. Whatever a dead node's drain leaves behind, Kubernetes'
# pod garbage collector deletes once the Node is gone (kubernetes pkg/controller/podgc/gc_controller.go,
# gcOrphaned).
if ! ready="$(kubectl get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>"$errors")"; then
  fail "cannot read the state of $NODE to take it out of the cluster ($(tr '\n' ' ' <"$errors" | sed 's/ $//')); see journalctl -u k3s on this server, then run pulumi up again"
fi
kubectl cordon "$NODE" >/dev/null
if [ "$ready" = True ]; then
  log "draining: $NODE leaves the cluster"
  kubectl_within "$DRAIN_TIMEOUT" drain "$NODE" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT}s" >&2 ||
    fail "the drain of $NODE did not finish within ${DRAIN_TIMEOUT}s (a PodDisruptionBudget or a pod that does not stop); the run stops before its machine is deleted. See kubectl get pods -A --field-selector spec.nodeName=$NODE, then run pulumi up again"
else
  log "not Ready (Ready: ${ready:-no condition}): its kubelet does not answer, so its pods are deleted without waiting for it"
  kubectl_within "$DEAD_DRAIN_TIMEOUT" drain "$NODE" --ignore-daemonsets --delete-emptydir-data --force --disable-eviction \
    --grace-period=1 --skip-wait-for-delete-timeout=1 --timeout="${DEAD_DRAIN_TIMEOUT}s" >&2 ||
    log "the drain of $NODE did not finish within ${DEAD_DRAIN_TIMEOUT}s; its Node is deleted anyway, and Kubernetes deletes the pods left on it"
fi

# The delete waits until the Node is gone. On a server, k3s's etcd member controller holds the Node (its finalizer
# wrangler.cattle.io/managed-etcd-controller) until it has removed the server's etcd member. That controller runs on
# the live servers and removes the member through their own etcd, with the member's name and address from the
# Node's annotations (k3s-io/k3s pkg/etcd/member_controller.go, onRemove, RemovePeer): a dead server's member goes
# too, and nothing needs to run on the dead machine.
if ! kubectl_within "$DELETE_TIMEOUT" delete node "$NODE" --timeout="${DELETE_TIMEOUT}s" >&2; then
  if [ "$ROLE" = server ]; then
    fail "the Node $NODE was not deleted within ${DELETE_TIMEOUT}s: k3s removes its etcd member first; see journalctl -u k3s on the servers (managed-etcd-controller), then run pulumi up again"
  fi
  fail "the Node $NODE was not deleted within ${DELETE_TIMEOUT}s; see kubectl describe node $NODE, then run pulumi up again"
fi
log "removed from the cluster"
