#!/usr/bin/env bash
# k3s-sites: bootstrap of pi-1 (agent), k3s v1.33.5+k3s1. Generated; edits are overwritten.
# Idempotent: a second run with the same inputs changes nothing. Reads the cluster token from stdin.
# K3S_SITES_ROOT prefixes every path the script writes (tests run it in a sandbox).
set -euo pipefail
umask 022

ROOT="${K3S_SITES_ROOT:-}"
NODE='pi-1'
ROLE=agent
SERVICE=k3s-agent
K3S_VERSION='v1.33.5+k3s1'
INSTALLER_URL='https://raw.githubusercontent.com/k3s-io/k3s/v1.33.5%2Bk3s1/install.sh'
K3S="$ROOT/usr/local/bin/k3s"
API_TIMEOUT=300 # seconds

log() { printf "k3s-sites %s: %s\n" "$NODE" "$*" >&2; }
fail() { log "$*"; exit 1; }

# put PATH MODE: writes stdin to $ROOT/PATH atomically; succeeds only when the content changed.
put() {
  local path="$ROOT$1" mode="$2" tmp
  mkdir -p "$(dirname "$path")"
  tmp="$(mktemp "$path.XXXXXX")"
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    chmod "$mode" "$path"
    return 1
  fi
  mv -f "$tmp" "$path"
}

# Secrets, one per line on stdin; never echoed, never in the command line.
IFS= read -r TOKEN || true
[ -n "$TOKEN" ] || fail "no cluster token on stdin"

# Kernel modules and settings, before k3s starts: protect-kernel-defaults makes the kubelet refuse to run
# without them.
put /etc/modules-load.d/k3s-sites.conf 0644 <<'K3S_SITES_EOF' || true
br_netfilter
overlay
K3S_SITES_EOF
for module in br_netfilter overlay; do
  [ -d "$ROOT/sys/module/$module" ] || modprobe "$module"
done
if put /etc/sysctl.d/90-k3s-sites.conf 0644 <<'K3S_SITES_EOF'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
K3S_SITES_EOF
then
  sysctl -q -p "$ROOT/etc/sysctl.d/90-k3s-sites.conf"
fi

restart=0
if put /etc/rancher/k3s/config.yaml 0600 <<'K3S_SITES_EOF'
# Written by k3s-sites for pi-1; changes here are overwritten on the next pulumi up.
node-name: pi-1
node-ip: 192.168.1.21,fd00:1::21
protect-kernel-defaults: true
server: https://192.168.1.10:6443
K3S_SITES_EOF
then
  restart=1
fi
if {
  printf 'token: %s\n' "$TOKEN"
} | put /etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml 0600; then
  restart=1
fi

installed=""
if [ -x "$K3S" ]; then
  installed="$("$K3S" --version | awk 'NR == 1 { print $3 }')"
fi
if [ "$installed" != "$K3S_VERSION" ]; then
  # An upgrade: agents follow the servers, so wait until every server runs the new version.
  if [ -n "$installed" ]; then
    deadline=$((SECONDS + API_TIMEOUT * 1))
    while :; do
      versions="$("$K3S" kubectl --kubeconfig "$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig" get nodes \
        -l node-role.kubernetes.io/control-plane=true \
        -o jsonpath='{range .items[*]}{.status.nodeInfo.kubeletVersion}{"\n"}{end}' 2>/dev/null || true)"
      if [ -n "$versions" ] && ! printf "%s\n" "$versions" | grep -qvxF "$K3S_VERSION"; then break; fi
      [ "$SECONDS" -lt "$deadline" ] || fail "the servers did not all reach $K3S_VERSION in time; upgrade them first"
      sleep 10
    done
  fi
  log "installing k3s $K3S_VERSION (installed: ${installed:-none})"
  installer="$(mktemp)"
  trap 'rm -f "$installer"' EXIT
  curl -sfL --retry 3 -o "$installer" "$INSTALLER_URL" || fail "cannot download the k3s installer from $INSTALLER_URL"
  INSTALL_K3S_VERSION="$K3S_VERSION" INSTALL_K3S_EXEC="$ROLE" INSTALL_K3S_SKIP_START=true sh "$installer" >&2
  restart=1
fi

if [ "$restart" = 1 ]; then
  log "restarting $SERVICE"
  systemctl restart "$SERVICE"
elif ! systemctl is-active --quiet "$SERVICE"; then
  systemctl start "$SERVICE"
fi

# Wait for the API server through this node's own path to it (node Ready waits for the CNI, which comes later).
kubeconfig="$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig"
deadline=$((SECONDS + API_TIMEOUT))
until "$K3S" kubectl --kubeconfig "$kubeconfig" get --raw=/readyz >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the Kubernetes API did not answer /readyz within ${API_TIMEOUT}s; see journalctl -u $SERVICE on $NODE"
  sleep 5
done
log "k3s $K3S_VERSION is up"
