#!/usr/bin/env bash
# k3s-sites: the bootstrap of one node. It brings a host from nothing (or from any earlier run, finished or not) to
# k3s running the configured version with the configured settings, and changes nothing on a second run with the
# same inputs. Every value comes from the generated header that replaces the @values line below: quoted
# assignments computed by src/k3s/script.ts, never control flow. Secrets arrive on stdin, one per line.
# K3S_SITES_ROOT prefixes every path the script reads or writes (tests run it in a sandbox).
set -euo pipefail
umask 022

# @values

: "${NODE:?}" "${ROLE:?}" "${SERVICE:?}" "${K3S_VERSION:?}" "${INSTALLER_URL:?}" "${EXPECTED_ARCH:?}"
: "${PRIVATE_IP:?}" "${PRIVATE_IP_WAIT:?}" "${API_TIMEOUT:?}" "${CLOUD_INIT_TIMEOUT:?}" "${SITE_KIND:?}"
: "${CONFIG_YAML:?}" "${SYSCTL_CONF:?}" "${MODULES:?}" "${SECRET_LINES:?}"
: "${DOWNLOAD_TIMEOUT:?}" "${INSTALL_TIMEOUT:?}" "${UNIT_TIMEOUT:?}" "${SECRETS_DIR:?}"
ROUTE_UNIT="${ROUTE_UNIT:-}" CA_HASH="${CA_HASH:-}" SSH_HOME="${SSH_HOME:-}" SSH_KEYS="${SSH_KEYS:-}"
S3_KEYS="${S3_KEYS:-0}" JOIN_USER="${JOIN_USER:-}" SSH_PRUNE="${SSH_PRUNE:-0}" RENEW="${RENEW:-}"
CNI_PLUGINS="${CNI_PLUGINS:-}" CNI_PLUGINS_URL="${CNI_PLUGINS_URL:-}" CNI_PLUGINS_SHA256="${CNI_PLUGINS_SHA256:-}"
CNI_BIN_DIR="${CNI_BIN_DIR:-}"
SECRET_FILES="${SECRET_FILES:-}"

ROOT="${K3S_SITES_ROOT:-}"
K3S="$ROOT/usr/local/bin/k3s"
# install.sh writes the unit here (k3s-io/k3s install.sh: SYSTEMD_DIR=/etc/systemd/system, ${SYSTEM_NAME}.service,
# SYSTEM_NAME k3s or k3s-agent). Facts from install.sh and pkg/clientaccess/token.go are read at commits 0136cf25
# and 0566d457 of k3s-io/k3s; the tag v1.33.5+k3s1 itself was not in the reference store.
UNIT="$ROOT/etc/systemd/system/$SERVICE.service"
LOOK="journalctl -u $SERVICE on $NODE"

log() { printf 'k3s-sites %s: %s\n' "$NODE" "$*" >&2; }
fail() { log "$*"; exit 1; }

# download URL FILE: curl has no time limit of its own, and a stalled transfer would hold this node's command, and
# the run, for ever. Each connection gets 30 s, each attempt DOWNLOAD_TIMEOUT, and a timed-out attempt is retried
# (curl retries timeouts and 408/429/5xx answers) three times, within four times DOWNLOAD_TIMEOUT in all.
download() {
  curl -sfL --connect-timeout 30 --max-time "$DOWNLOAD_TIMEOUT" --retry 3 --retry-delay 5 \
    --retry-max-time "$((DOWNLOAD_TIMEOUT * 4))" -o "$2" "$1"
}

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

# --- Secrets: one per line on stdin; never echoed, never on a command line. ---
TOKEN="" AGENT_TOKEN="" S3_ACCESS_KEY="" S3_SECRET_KEY=""
IFS= read -r TOKEN || true
[ -n "$TOKEN" ] || fail "no cluster token on stdin"
if [ "$SECRET_LINES" -ge 2 ]; then
  IFS= read -r AGENT_TOKEN || true
  [ -n "$AGENT_TOKEN" ] || fail "no agent token on stdin"
fi
if [ "$S3_KEYS" = 1 ]; then
  IFS= read -r S3_ACCESS_KEY || true
  IFS= read -r S3_SECRET_KEY || true
  if [ -z "$S3_ACCESS_KEY" ] || [ -z "$S3_SECRET_KEY" ]; then fail "no S3 keys on stdin"; fi
fi
# Secrets other components read from this host (src/k3s/secret-files.ts): one line each, in SECRET_FILES order.
secret_paths=() secret_values=()
if [ -n "$SECRET_FILES" ]; then
  while IFS= read -r path; do secret_paths+=("$path"); done <<<"$SECRET_FILES"
fi
for path in ${secret_paths[@]+"${secret_paths[@]}"}; do
  value=""
  IFS= read -r value || true
  [ -n "$value" ] || fail "no value for $SECRETS_DIR/$path on stdin"
  secret_values+=("$value")
done

# --- Pre-flight: what k3s needs from the host, each with the fix. ---
[ -d "$ROOT/run/systemd/system" ] ||
  fail "systemd is not running as PID 1 on $NODE (no /run/systemd/system): k3s-sites installs k3s as a systemd unit; use a host that boots with systemd"

case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch="$(uname -m)" ;;
esac
[ "$arch" = "$EXPECTED_ARCH" ] ||
  fail "$NODE is $arch but the config says $EXPECTED_ARCH: set the arch of $NODE to $arch (site.hosts[].arch, or the pool's serverType)"

# k3s's installer only warns when the memory cgroup is missing; the kubelet then fails later with less to go on.
memory_cgroup() {
  if [ -f "$ROOT/sys/fs/cgroup/cgroup.controllers" ]; then
    grep -qw memory "$ROOT/sys/fs/cgroup/cgroup.controllers"
  else
    awk '$1 == "memory" && $4 == 1 { found = 1 } END { exit !found }' "$ROOT/proc/cgroups" 2>/dev/null
  fi
}
memory_cgroup ||
  fail "the memory cgroup is disabled on $NODE: k3s needs it. On Raspberry Pi OS add 'cgroup_memory=1 cgroup_enable=memory' to the kernel command line (/boot/firmware/cmdline.txt, or /boot/cmdline.txt before Bookworm) and reboot"

# A new cloud server is still being set up by cloud-init when SSH first answers.
if command -v cloud-init >/dev/null 2>&1; then
  status=0
  timeout "$CLOUD_INIT_TIMEOUT" cloud-init status --wait >/dev/null 2>&1 || status=$?
  case "$status" in
    0 | 2) ;; # 2: finished with recoverable errors (cloud-init 23.4 and later); k3s does not depend on them
    124) fail "cloud-init did not finish within ${CLOUD_INIT_TIMEOUT}s on $NODE; see cloud-init status --long and /var/log/cloud-init-output.log on $NODE" ;;
    *) fail "cloud-init failed on $NODE (exit $status); see cloud-init status --long and /var/log/cloud-init-output.log on $NODE" ;;
  esac
fi

has_private_ip() { ip -o addr show | awk '{ sub("/.*", "", $4); print $4 }' | grep -qxF "$PRIVATE_IP"; }
deadline=$((SECONDS + PRIVATE_IP_WAIT))
until has_private_ip; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    addresses="$(ip -o addr show | awk '{ sub("/.*", "", $4); print $4 }' | tr '\n' ' ')"
    if [ "$SITE_KIND" = ssh ]; then
      fail "privateIp $PRIVATE_IP is not an address of $NODE (it has: $addresses): set site.hosts[].privateIp of $NODE to its address on site.network.cidr"
    fi
    fail "the private network address $PRIVATE_IP did not appear on $NODE within ${PRIVATE_IP_WAIT}s (it has: $addresses); see ip addr and journalctl -b on $NODE"
  fi
  sleep 2
done

# --- SSH keys: the site's key is added before any key k3s-sites installed earlier is removed. ---
if [ -n "$SSH_KEYS" ]; then
  keys="$ROOT$SSH_HOME/.ssh/authorized_keys"
  record="/etc/k3s-sites/ssh-keys"
  mkdir -p "$(dirname "$keys")"
  chmod 0700 "$(dirname "$keys")"
  touch "$keys"
  # Keys compare by type and key material, not by comment.
  wanted="$(printf '%s\n' "$SSH_KEYS" | awk 'NF >= 2 { print $1 " " $2 }')"
  previous=""
  # Only when the program knows which key it connects with (SSH_PRUNE=1) can an old key go without locking it out.
  if [ "$SSH_PRUNE" = 1 ]; then
    previous="$(awk 'NF >= 2 { print $1 " " $2 }' "$ROOT$record" 2>/dev/null || true)"
  fi
  current="$(cat "$keys")"
  while IFS= read -r key; do
    id="$(printf '%s\n' "$key" | awk '{ print $1 " " $2 }')"
    if ! printf '%s\n' "$current" | awk -v k="$id" '($1 " " $2) == k { f = 1 } END { exit !f }'; then
      current="$(printf '%s\n%s' "$current" "$key")"
    fi
  done <<<"$SSH_KEYS"
  # Keys this script installed before and the site no longer lists go only now, with the wanted keys in place.
  if printf '%s\n' "$current" | awk -v wanted="$wanted" -v previous="$previous" '
    BEGIN {
      n = split(wanted, w, "\n"); for (i = 1; i <= n; i++) keep[w[i]] = 1
      n = split(previous, p, "\n"); for (i = 1; i <= n; i++) if (!(p[i] in keep)) drop[p[i]] = 1
    }
    NF > 0 && !(($1 " " $2) in drop) { print }
  ' | put "$SSH_HOME/.ssh/authorized_keys" 0600; then
    log "authorized_keys of $SSH_HOME updated"
  fi
  printf '%s\n' "$wanted" | put "$record" 0600 || true
fi

# --- Kernel modules and settings, before k3s starts: protect-kernel-defaults makes the kubelet refuse to run
# without them. ---
printf '%s\n' "$MODULES" | put /etc/modules-load.d/k3s-sites.conf 0644 || true
for module in $MODULES; do
  [ -d "$ROOT/sys/module/$module" ] || modprobe "$module"
done
if printf '%s\n' "$SYSCTL_CONF" | put /etc/sysctl.d/90-k3s-sites.conf 0644; then
  sysctl -q -p "$ROOT/etc/sysctl.d/90-k3s-sites.conf"
fi

# --- No public IPv4: IPv4 leaves through the network gateway and the site's NAT server. ---
if [ -n "$ROUTE_UNIT" ]; then
  if printf '%s\n' "$ROUTE_UNIT" | put /etc/systemd/system/k3s-sites-default-route.service 0644; then
    systemctl daemon-reload
    systemctl enable k3s-sites-default-route.service
    timeout "$UNIT_TIMEOUT" systemctl restart k3s-sites-default-route.service ||
      fail "the default route unit did not start within ${UNIT_TIMEOUT}s on $NODE; see journalctl -u k3s-sites-default-route on $NODE"
  fi
fi

# --- CNI plugins the site's Multus networks run and k3s does not bundle (src/multus/plugins.ts): taken from the
# pinned containernetworking/plugins archive once its sha256 matches, and only those plugins. A stamp beside them
# records what was installed, so a second run downloads nothing. After the default route above: a node without
# public IPv4 downloads through the NAT gateway. ---
if [ -n "$CNI_PLUGINS" ]; then
  stamp="$ROOT$CNI_BIN_DIR/.k3s-sites-plugins"
  wanted="$CNI_PLUGINS_SHA256 $CNI_PLUGINS"
  present=1
  for plugin in $CNI_PLUGINS; do [ -x "$ROOT$CNI_BIN_DIR/$plugin" ] || present=0; done
  if [ "$present" = 0 ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    log "installing CNI plugins $CNI_PLUGINS into $CNI_BIN_DIR"
    work="$(mktemp -d)"
    download "$CNI_PLUGINS_URL" "$work/plugins.tgz" ||
      { rm -rf "$work"; fail "cannot download the CNI plugins from $CNI_PLUGINS_URL"; }
    got="$(sha256sum <"$work/plugins.tgz" | cut -d' ' -f1)"
    if [ "$got" != "$CNI_PLUGINS_SHA256" ]; then
      rm -rf "$work"
      fail "$CNI_PLUGINS_URL has sha256 $got, not the pinned $CNI_PLUGINS_SHA256: nothing was installed; check the download (a proxy?) or the pin in src/multus/plugins.ts"
    fi
    members=()
    for plugin in $CNI_PLUGINS; do members+=("./$plugin"); done
    tar -xzf "$work/plugins.tgz" -C "$work" "${members[@]}" ||
      { rm -rf "$work"; fail "$CNI_PLUGINS_URL lacks one of $CNI_PLUGINS"; }
    mkdir -p "$ROOT$CNI_BIN_DIR"
    for plugin in $CNI_PLUGINS; do
      install -m 0755 "$work/$plugin" "$ROOT$CNI_BIN_DIR/.$plugin.k3s-sites"
      mv -f "$ROOT$CNI_BIN_DIR/.$plugin.k3s-sites" "$ROOT$CNI_BIN_DIR/$plugin"
    done
    printf '%s\n' "$wanted" >"$stamp"
    rm -rf "$work"
  fi
fi

# --- k3s settings and secrets. ---
restart=0
if printf '%s\n' "$CONFIG_YAML" | put /etc/rancher/k3s/config.yaml 0600; then
  restart=1
fi
# A joining node verifies the server with the full token, K10<sha256 of the cluster CA>::<user>:<secret>
# (k3s-io/k3s pkg/clientaccess/token.go: tokenPrefix "K10", parseToken, validateCAHash).
join_token="$TOKEN"
if [ -n "$CA_HASH" ] && [ -n "$JOIN_USER" ]; then
  join_token="K10$CA_HASH::$JOIN_USER:$TOKEN"
fi
q="'" # YAML single quotes: a quote inside is written twice.
if {
  printf 'token: %s\n' "$q${join_token//$q/$q$q}$q"
  if [ -n "$AGENT_TOKEN" ]; then printf 'agent-token: %s\n' "$q${AGENT_TOKEN//$q/$q$q}$q"; fi
  if [ "$S3_KEYS" = 1 ]; then
    printf 'etcd-s3-access-key: %s\n' "$q${S3_ACCESS_KEY//$q/$q$q}$q"
    printf 'etcd-s3-secret-key: %s\n' "$q${S3_SECRET_KEY//$q/$q$q}$q"
  fi
} | put /etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml 0600; then
  restart=1
fi

# --- Secret files: root's alone, written without a line break; any other file there is one the site no longer
# gives this node (a driver switched away, an agent), removed with its empty folders. ---
if [ "${#secret_paths[@]}" -gt 0 ]; then
  mkdir -p "$ROOT$SECRETS_DIR"
  chmod 0700 "$ROOT$SECRETS_DIR"
fi
for i in ${secret_paths[@]+"${!secret_paths[@]}"}; do
  printf '%s' "${secret_values[$i]}" | put "$SECRETS_DIR/${secret_paths[$i]}" 0600 || true
done
if [ -d "$ROOT$SECRETS_DIR" ]; then
  while IFS= read -r -d '' file; do
    keep=0
    for path in ${secret_paths[@]+"${secret_paths[@]}"}; do
      if [ "$file" = "$ROOT$SECRETS_DIR/$path" ]; then keep=1; fi
    done
    if [ "$keep" = 0 ]; then rm -f "$file"; fi
  done < <(find "$ROOT$SECRETS_DIR" -type f -print0)
  find "$ROOT$SECRETS_DIR" -mindepth 1 -type d -empty -delete
fi

# --- The binary and its unit: installed when the version differs or the unit is missing. install.sh removes the
# unit before it writes it again (systemd_disable, then create_service_file), so an interrupted run leaves the
# right binary without a unit; that is repaired here instead of failing on every later run. ---
installed=""
if [ -x "$K3S" ]; then
  installed="$("$K3S" --version | awk 'NR == 1 { print $3 }')"
fi
# An agent never runs a kubelet newer than the API server it talks to (Kubernetes' version skew policy). The program
# orders an upgrade so that every server goes first; this is the node's own check of that fact, for a run whose
# order was decided from a record that does not hold (a stack output a failed run of an older version left
# behind). /version is open to every client (system:public-info-viewer), so the kubelet's credentials may ask it;
# no answer (the API is down, or this is the first install) decides nothing here.
minor() { sed -n 's/^v1\.\([0-9][0-9]*\)\..*/\1/p' <<<"$1"; }
# Never down a minor (the version skew policy upgrades one minor at a time and never back: the API server has
# stored objects in the newer minor's versions). The program's rule (src/k3s/rules-upgrade.ts) compares k3s.version
# with the version the stack recorded, which a failed run leaves at the old minor while some nodes already run the
# new one: setting k3s.version back would then install the older minor here.
if [ -n "$installed" ] && [ -n "$(minor "$installed")" ] && [ -n "$(minor "$K3S_VERSION")" ] &&
  [ "$(minor "$K3S_VERSION")" -lt "$(minor "$installed")" ]; then
  fail "$NODE runs k3s $installed (Kubernetes 1.$(minor "$installed")), and k3s.version $K3S_VERSION is Kubernetes 1.$(minor "$K3S_VERSION"): Kubernetes does not go down a minor. Set k3s.version to a v1.$(minor "$installed") release ($installed or a later patch) and run pulumi up again, which finishes the upgrade on the other nodes"
fi
# A server moves one minor per run (the API server and etcd's stored objects go through each minor); the program's
# rule cannot compare when the stack recorded no version (a deployment of an older k3s-sites). An agent may catch up
# more than one: a kubelet up to three minors older than the API server is supported, and it keeps no cluster state.
if [ "$ROLE" = server ] && [ -n "$installed" ] && [ -n "$(minor "$installed")" ] && [ -n "$(minor "$K3S_VERSION")" ] &&
  [ "$(minor "$K3S_VERSION")" -gt "$(($(minor "$installed") + 1))" ]; then
  path="v1.$(minor "$installed")"
  for ((m = $(minor "$installed") + 1; m <= $(minor "$K3S_VERSION"); m++)); do path="$path -> v1.$m"; done
  fail "$NODE runs k3s $installed (Kubernetes 1.$(minor "$installed")), and k3s.version $K3S_VERSION is Kubernetes 1.$(minor "$K3S_VERSION"): Kubernetes upgrades one minor at a time ($path). Set k3s.version to a v1.$(($(minor "$installed") + 1)) release, run pulumi up, and repeat with the next minor"
fi
kubelet_kubeconfig="$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig"
if [ "$ROLE" = agent ] && [ -n "$installed" ] && [ "$installed" != "$K3S_VERSION" ] && [ -f "$kubelet_kubeconfig" ]; then
  api="$("$K3S" kubectl --kubeconfig "$kubelet_kubeconfig" get --raw=/version --request-timeout=10s 2>/dev/null |
    sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n 1 || true)"
  if [ -n "$api" ] && [ -n "$(minor "$api")" ] && [ -n "$(minor "$K3S_VERSION")" ] &&
    [ "$(minor "$K3S_VERSION")" -gt "$(minor "$api")" ]; then
    fail "the API server answers with $api, older than $K3S_VERSION: an agent's kubelet must never be newer than the API server, so $NODE waits for the servers' upgrade. Run pulumi up again once every server runs $K3S_VERSION"
  fi
fi

if [ "$installed" != "$K3S_VERSION" ] || [ ! -f "$UNIT" ]; then
  log "installing k3s $K3S_VERSION (installed: ${installed:-none}, unit: $([ -f "$UNIT" ] && echo present || echo missing))"
  installer="$(mktemp)"
  trap 'rm -f "$installer"' EXIT
  download "$INSTALLER_URL" "$installer" || fail "cannot download the k3s installer from $INSTALLER_URL"
  # install.sh downloads the k3s binary and its checksums with curl and no time limit of its own (k3s-io/k3s
  # install.sh, download): the whole install is bounded from outside.
  status=0
  timeout "$INSTALL_TIMEOUT" env INSTALL_K3S_VERSION="$K3S_VERSION" INSTALL_K3S_EXEC="$ROLE" INSTALL_K3S_SKIP_START=true \
    sh "$installer" >&2 || status=$?
  [ "$status" != 124 ] ||
    fail "the k3s installer did not finish within ${INSTALL_TIMEOUT}s on $NODE (a stalled download from github.com?); run pulumi up again"
  [ "$status" = 0 ] || fail "the k3s installer failed on $NODE (exit $status); see its output above"
  [ -f "$UNIT" ] || fail "the k3s installer did not write $SERVICE.service; see its output above"
  restart=1
fi

# --- A certificate renewal (src/cluster/certificates.ts). A server renews its certificates at start only when they
# are near their expiry, so it rotates them all, with k3s stopped, and each server's then expire with the others'. An
# agent gets new certificates at every start. Stopping k3s leaves the pods running (the unit's KillMode=process). ---
if [ -n "$RENEW" ]; then
  if [ "$ROLE" = server ]; then
    log "rotating the certificates of $SERVICE ($RENEW)"
    timeout "$UNIT_TIMEOUT" systemctl stop "$SERVICE" ||
      fail "$SERVICE did not stop within ${UNIT_TIMEOUT}s on $NODE; see $LOOK, then run pulumi up again"
    timeout "$UNIT_TIMEOUT" "$K3S" certificate rotate >&2 ||
      fail "k3s certificate rotate failed on $NODE (see its output above); k3s is stopped: start it with systemctl start $SERVICE, then run pulumi up again"
  else
    log "restarting $SERVICE to renew its certificates ($RENEW)"
  fi
  restart=1
fi

# --- Start without blocking: the unit is Type=notify with TimeoutStartSec=0 (install.sh,
# create_systemd_service_file), so a blocking restart waits for ever when k3s cannot reach its server. ---
if [ "$restart" = 1 ]; then
  log "restarting $SERVICE"
  systemctl restart --no-block "$SERVICE"
elif ! systemctl is-active --quiet "$SERVICE"; then
  systemctl start --no-block "$SERVICE"
fi

# Ready: the unit is active (k3s has notified systemd) and the API server answers through this node's own path
# to it. /readyz is open to every client (the system:public-info-viewer role), so the kubelet's credentials may
# ask it. Node Ready waits for the CNI, which comes later.
if [ "$ROLE" = server ]; then
  kubeconfig="$ROOT/etc/rancher/k3s/k3s.yaml"
else
  kubeconfig="$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig"
fi
deadline=$((SECONDS + API_TIMEOUT))
until systemctl is-active --quiet "$SERVICE" &&
  "$K3S" kubectl --kubeconfig "$kubeconfig" get --raw=/readyz --request-timeout=10s >/dev/null 2>&1; do
  if systemctl is-failed --quiet "$SERVICE"; then
    fail "$SERVICE failed to start on $NODE; see $LOOK"
  fi
  [ "$SECONDS" -lt "$deadline" ] ||
    fail "$SERVICE on $NODE was not ready within ${API_TIMEOUT}s (waited for the unit to be active and the Kubernetes API to answer /readyz); see $LOOK"
  sleep 5
done
log "k3s $K3S_VERSION is up"

# What the program reads back on stdout (no secret): the cluster CA's hash, for the full join token of the other
# nodes (the server's token file holds K10<hash>::server:<secret>; k3s-io/k3s pkg/clientaccess/token.go,
# FormatToken), and a digest of the admin kubeconfig, so that a renewed client certificate is read again.
if [ "$ROLE" = server ]; then
  if [ -f "$ROOT/var/lib/rancher/k3s/server/token" ]; then
    hash="$(sed -n 's/^K10\([0-9a-f]\{64\}\)::.*/\1/p' "$ROOT/var/lib/rancher/k3s/server/token")"
    if [ -n "$hash" ]; then printf 'ca-hash=%s\n' "$hash"; fi
  fi
  if [ -f "$kubeconfig" ]; then
    printf 'kubeconfig-sha256=%s\n' "$(sha256sum <"$kubeconfig" | cut -d' ' -f1)"
  fi
fi
