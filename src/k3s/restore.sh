#!/usr/bin/env bash
# k3s-sites: rolls the cluster back to an etcd snapshot, on the server that initialized it (docs/day2.md, "Restoring from an
# etcd snapshot"). Run it as root on that server, with k3s stopped on every server:
#
#   bash restore.sh <snapshot>
#
# <snapshot> is, with S3 uploads on (k3s.etcdSnapshots.s3), the snapshot's name as `k3s etcd-snapshot list` shows
# it; or, with S3 on or off, the path of a snapshot file on this server (by default in
# /var/lib/rancher/k3s/server/db/snapshots).
#
# k3s reads --cluster-reset-restore-path as an S3 object key whenever etcd-s3 is on, which the config k3s-sites
# writes sets: it downloads that key into the snapshot directory and restores the download (k3s-io/k3s
# pkg/etcd/etcd.go, ETCD.Reset: `if e.config.EtcdS3 ...`, "Retrieving etcd snapshot %s from S3"; the S3 settings
# must come from the CLI or the config file, which /etc/rancher/k3s/config.yaml and its config.yaml.d drop-in with
# the keys are; k3s-io/k3s#8169 restores with `k3s server --cluster-reset --cluster-reset-restore-path=<name>`). A
# path of a local file is therefore restored with --etcd-s3=false, which overrides the config file (a flag given on
# the command line wins over the config file, k3s-io/k3s pkg/configfilearg). The restore moves the old etcd data
# aside and exits once the one-member cluster is written; k3s is then started normally.
# (k3s facts read in the reference store's copies of k3s-io/k3s, not at the v1.33.5+k3s1 tag, which it lacks; the
# S3 branch of ETCD.Reset is the same in the copies from before and after the S3 client rework.)
set -euo pipefail

SNAPSHOT="${1:-}"
ROOT="${K3S_SITES_ROOT:-}"
K3S="$ROOT/usr/local/bin/k3s"
CONFIG="$ROOT/etc/rancher/k3s/config.yaml"
# The restore downloads the snapshot (with S3) and rewrites etcd: bounded, generously.
RESTORE_TIMEOUT="${RESTORE_TIMEOUT:-1800}"

log() { printf 'k3s-sites restore: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

[ -n "$SNAPSHOT" ] ||
  fail "usage: bash restore.sh <snapshot>: the snapshot's name as k3s etcd-snapshot list shows it (S3), or the path of a snapshot file on this server"
[ -f "$CONFIG" ] || fail "no $CONFIG: run this on a server of the site (the one whose config has cluster-init: true)"
[ -x "$K3S" ] || fail "k3s is not installed on this host"
if systemctl is-active --quiet k3s; then
  fail "k3s is running on this server: stop it on every server first (systemctl stop k3s), then run this again"
fi

s3=0
if grep -qx 'etcd-s3: true' "$CONFIG"; then s3=1; fi

args=(server --cluster-reset "--cluster-reset-restore-path=$SNAPSHOT")
if [ -f "$SNAPSHOT" ]; then
  # A local file: never read as an S3 key.
  if [ "$s3" = 1 ]; then args+=(--etcd-s3=false); fi
  log "restoring the local snapshot $SNAPSHOT"
elif [ "$s3" = 1 ]; then
  case "$SNAPSHOT" in
    */*) fail "$SNAPSHOT is not a file on this server; with S3 uploads on, give the snapshot's name as k3s etcd-snapshot list shows it, without a directory" ;;
  esac
  log "restoring the snapshot $SNAPSHOT from S3 (the bucket and keys of $CONFIG and its config.yaml.d)"
else
  found="$(find "$ROOT/var/lib/rancher/k3s/server/db/snapshots" -maxdepth 1 -type f -printf '%f ' 2>/dev/null | head -c 300 || true)"
  fail "$SNAPSHOT is not a file on this server, and S3 uploads are off (k3s.etcdSnapshots.s3): give the path of a snapshot file, e.g. one of ${found:-(none here)} in /var/lib/rancher/k3s/server/db/snapshots (k3s etcd-snapshot list)"
fi

status=0
timeout "$RESTORE_TIMEOUT" "$K3S" "${args[@]}" || status=$?
[ "$status" != 124 ] || fail "the restore did not finish within ${RESTORE_TIMEOUT}s; see the output above"
[ "$status" = 0 ] || fail "k3s server --cluster-reset failed (exit $status); see the output above. Nothing was started"

timeout 300 systemctl start k3s || fail "the restore is done but k3s did not start within 300s; see journalctl -u k3s"
log "restored from $SNAPSHOT and k3s started; on each other server now: systemctl stop k3s; rm -rf /var/lib/rancher/k3s/server/db/; systemctl start k3s"
