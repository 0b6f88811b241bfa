/**
 * The bootstrap script of a node: one bash script that brings a host from nothing (or from any earlier run) to k3s
 * running the configured version with the configured settings. It is idempotent: a second run with the same inputs
 * writes no file, installs nothing and restarts nothing. Secrets arrive on stdin, never in the script, so the
 * script can be shown in `pulumi preview`, written by `npm run plan` and kept in golden files.
 */
import { addressAt, formatIp, parseCidr, type Cidr } from "../net/cidr";
import type { SiteConfig } from "../config/site";
import { K3S_PATHS, renderNodeConfig, type NodeDeployment } from "./config";

/** How long a node waits for the Kubernetes API after a (re)start before the run fails. */
export const API_TIMEOUT_SECONDS = 300;

/** The k3s installer of exactly this release: the install.sh in the release's tag. */
export function installerUrl(version: string): string {
  return `https://raw.githubusercontent.com/k3s-io/k3s/${encodeURIComponent(version)}/install.sh`;
}

/**
 * Settings the kubelet checks when protect-kernel-defaults is on (it refuses to start instead of changing them), and
 * the forwarding and bridge settings pod networking needs. Values as the kubelet expects them.
 */
export const SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.ip_forward": "1",
  "net.bridge.bridge-nf-call-iptables": "1",
  "net.bridge.bridge-nf-call-ip6tables": "1",
  "vm.overcommit_memory": "1",
  "vm.panic_on_oom": "0",
  "kernel.panic": "10",
  "kernel.panic_on_oops": "1",
  "kernel.keys.root_maxkeys": "1000000",
  "kernel.keys.root_maxbytes": "25000000",
};

/** Modules loaded at boot and before k3s starts: the bridge sysctls above only exist once br_netfilter is loaded. */
export const KERNEL_MODULES = ["br_netfilter", "overlay"] as const;

/** A string as one shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Hetzner nodes without a public IPv4 send IPv4 traffic through the network's gateway (the first address of the
 * network), which the network route hands to the NAT server. Hetzner's DHCP installs no default route on the
 * private interface, so the node needs one that survives reboots.
 */
export function defaultRouteVia(config: SiteConfig): string | undefined {
  const site = config.site;
  if (site.kind !== "hetzner" || site.publicIpv4) return undefined;
  return formatIp(addressAt(parseCidr(site.network.cidr) as Cidr, 1n));
}

/** The order of the secret lines the script reads from stdin. */
export interface NodeSecrets {
  readonly token: string;
  readonly etcdS3?: { readonly accessKey: string; readonly secretKey: string };
}

/** What the node command writes to the script's stdin: one secret per line, in the order the script reads them. */
export function nodeStdin(secrets: NodeSecrets): string {
  const lines = [secrets.token, ...(secrets.etcdS3 ? [secrets.etcdS3.accessKey, secrets.etcdS3.secretKey] : [])];
  for (const line of lines) {
    if (line.includes("\n")) throw new Error("a node secret contains a line break: it cannot travel as one stdin line");
  }
  return `${lines.join("\n")}\n`;
}

function routeUnit(gateway: string): string {
  return `[Unit]
Description=k3s-sites: IPv4 default route through the Hetzner network gateway
Wants=network-online.target
After=network-online.target
Before=k3s.service k3s-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/ip route replace default via ${gateway}

[Install]
WantedBy=multi-user.target
`;
}

/** The bootstrap script of one node. */
export function nodeScript(config: SiteConfig, deployment: NodeDeployment): string {
  const { node } = deployment;
  const server = node.role === "server";
  const service = server ? "k3s" : "k3s-agent";
  const gateway = defaultRouteVia(config);
  const s3 = server && config.k3s.datastore === "etcd" && config.k3s.etcdSnapshots.s3 !== undefined;
  const servers = config.nodes.filter((n) => n.role === "server").length;
  const sysctl = Object.entries(SYSCTLS)
    .map(([k, v]) => `${k} = ${v}`)
    .join("\n");

  const lines = [
    "#!/usr/bin/env bash",
    `# k3s-sites: bootstrap of ${node.name} (${node.role}), k3s ${config.k3s.version}. Generated; edits are overwritten.`,
    "# Idempotent: a second run with the same inputs changes nothing. Reads the cluster token" +
      (s3 ? " and the S3 keys" : "") +
      " from stdin.",
    "# K3S_SITES_ROOT prefixes every path the script writes (tests run it in a sandbox).",
    "set -euo pipefail",
    "umask 022",
    "",
    'ROOT="${K3S_SITES_ROOT:-}"',
    `NODE=${shellQuote(node.name)}`,
    `ROLE=${node.role}`,
    `SERVICE=${service}`,
    `K3S_VERSION=${shellQuote(config.k3s.version)}`,
    `INSTALLER_URL=${shellQuote(installerUrl(config.k3s.version))}`,
    `K3S="$ROOT${K3S_PATHS.binary}"`,
    `API_TIMEOUT=${API_TIMEOUT_SECONDS} # seconds`,
    "",
    'log() { printf "k3s-sites %s: %s\\n" "$NODE" "$*" >&2; }',
    'fail() { log "$*"; exit 1; }',
    "",
    "# put PATH MODE: writes stdin to $ROOT/PATH atomically; succeeds only when the content changed.",
    "put() {",
    '  local path="$ROOT$1" mode="$2" tmp',
    '  mkdir -p "$(dirname "$path")"',
    '  tmp="$(mktemp "$path.XXXXXX")"',
    '  cat >"$tmp"',
    '  chmod "$mode" "$tmp"',
    '  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then',
    '    rm -f "$tmp"',
    '    chmod "$mode" "$path"',
    "    return 1",
    "  fi",
    '  mv -f "$tmp" "$path"',
    "}",
    "",
    "# Secrets, one per line on stdin; never echoed, never in the command line.",
    "IFS= read -r TOKEN || true",
    '[ -n "$TOKEN" ] || fail "no cluster token on stdin"',
    ...(s3
      ? [
          "IFS= read -r S3_ACCESS_KEY || true",
          "IFS= read -r S3_SECRET_KEY || true",
          'if [ -z "$S3_ACCESS_KEY" ] || [ -z "$S3_SECRET_KEY" ]; then fail "no S3 keys on stdin"; fi',
        ]
      : []),
    "",
    "# Kernel modules and settings, before k3s starts: protect-kernel-defaults makes the kubelet refuse to run",
    "# without them.",
    `put ${K3S_PATHS.modules} 0644 <<'K3S_SITES_EOF' || true`,
    ...KERNEL_MODULES,
    "K3S_SITES_EOF",
    `for module in ${KERNEL_MODULES.join(" ")}; do`,
    '  [ -d "$ROOT/sys/module/$module" ] || modprobe "$module"',
    "done",
    `if put ${K3S_PATHS.sysctl} 0644 <<'K3S_SITES_EOF'`,
    sysctl,
    "K3S_SITES_EOF",
    "then",
    `  sysctl -q -p "$ROOT${K3S_PATHS.sysctl}"`,
    "fi",
    ...(gateway
      ? [
          "",
          "# No public IPv4: IPv4 leaves through the network gateway and the site's NAT server.",
          `if put ${K3S_PATHS.routeUnit} 0644 <<'K3S_SITES_EOF'`,
          routeUnit(gateway).trimEnd(),
          "K3S_SITES_EOF",
          "then",
          "  systemctl daemon-reload",
          "  systemctl enable k3s-sites-default-route.service",
          "  systemctl restart k3s-sites-default-route.service",
          "fi",
        ]
      : []),
    "",
    "restart=0",
    `if put ${K3S_PATHS.config} 0600 <<'K3S_SITES_EOF'`,
    renderNodeConfig(config, deployment).trimEnd(),
    "K3S_SITES_EOF",
    "then",
    "  restart=1",
    "fi",
    "if {",
    `  printf 'token: %s\\n' "$TOKEN"`,
    ...(s3
      ? [
          "  # YAML single quotes: a quote inside is written twice.",
          `  q="'"`,
          `  printf 'etcd-s3-access-key: %s\\n' "$q\${S3_ACCESS_KEY//$q/$q$q}$q"`,
          `  printf 'etcd-s3-secret-key: %s\\n' "$q\${S3_SECRET_KEY//$q/$q$q}$q"`,
        ]
      : []),
    `} | put ${K3S_PATHS.secrets} 0600; then`,
    "  restart=1",
    "fi",
    "",
    'installed=""',
    'if [ -x "$K3S" ]; then',
    `  installed="$("$K3S" --version | awk 'NR == 1 { print $3 }')"`,
    "fi",
    'if [ "$installed" != "$K3S_VERSION" ]; then',
    ...(server
      ? []
      : [
          "  # An upgrade: agents follow the servers, so wait until every server runs the new version.",
          '  if [ -n "$installed" ]; then',
          `    deadline=$((SECONDS + API_TIMEOUT * ${servers}))`,
          "    while :; do",
          `      versions="$("$K3S" kubectl --kubeconfig "$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig" get nodes \\`,
          "        -l node-role.kubernetes.io/control-plane=true \\",
          `        -o jsonpath='{range .items[*]}{.status.nodeInfo.kubeletVersion}{"\\n"}{end}' 2>/dev/null || true)"`,
          '      if [ -n "$versions" ] && ! printf "%s\\n" "$versions" | grep -qvxF "$K3S_VERSION"; then break; fi',
          '      [ "$SECONDS" -lt "$deadline" ] || fail "the servers did not all reach $K3S_VERSION in time; upgrade them first"',
          "      sleep 10",
          "    done",
          "  fi",
        ]),
    '  log "installing k3s $K3S_VERSION (installed: ${installed:-none})"',
    '  installer="$(mktemp)"',
    "  trap 'rm -f \"$installer\"' EXIT",
    '  curl -sfL --retry 3 -o "$installer" "$INSTALLER_URL" || fail "cannot download the k3s installer from $INSTALLER_URL"',
    '  INSTALL_K3S_VERSION="$K3S_VERSION" INSTALL_K3S_EXEC="$ROLE" INSTALL_K3S_SKIP_START=true sh "$installer" >&2',
    "  restart=1",
    "fi",
    "",
    'if [ "$restart" = 1 ]; then',
    '  log "restarting $SERVICE"',
    '  systemctl restart "$SERVICE"',
    'elif ! systemctl is-active --quiet "$SERVICE"; then',
    '  systemctl start "$SERVICE"',
    "fi",
    "",
    "# Wait for the API server through this node's own path to it (node Ready waits for the CNI, which comes later).",
    ...(server ? ['kubeconfig="$ROOT' + K3S_PATHS.kubeconfig + '"'] : ['kubeconfig="$ROOT/var/lib/rancher/k3s/agent/kubelet.kubeconfig"']),
    "deadline=$((SECONDS + API_TIMEOUT))",
    'until "$K3S" kubectl --kubeconfig "$kubeconfig" get --raw=/readyz >/dev/null 2>&1; do',
    '  [ "$SECONDS" -lt "$deadline" ] || fail "the Kubernetes API did not answer /readyz within ${API_TIMEOUT}s; see journalctl -u $SERVICE on $NODE"',
    "  sleep 5",
    "done",
    'log "k3s $K3S_VERSION is up"',
    "",
  ];
  return lines.join("\n");
}

/**
 * The command line that runs a script on the node: as root, through `sudo -n` for other users (who need
 * passwordless sudo), with stdin passed through for the secrets. The script travels in a quoted here-document, so
 * no character of it is interpreted by the login shell.
 */
export function remoteCommand(script: string, user: string): string {
  const delimiter = "K3S_SITES_SCRIPT";
  if (script.split("\n").includes(delimiter)) throw new Error(`the script contains the line ${delimiter}`);
  const run = user === "root" ? "bash" : "sudo -n bash";
  return `${run} -c "$(cat <<'${delimiter}'\n${script}${script.endsWith("\n") ? "" : "\n"}${delimiter}\n)" k3s-sites\n`;
}
