/**
 * The bootstrap script of a node: one bash script that brings a host from nothing (or from any earlier run) to k3s
 * running the configured version with the configured settings. It is idempotent: a second run with the same inputs
 * writes no file, installs nothing and restarts nothing. Secrets arrive on stdin, never in the script, so the
 * script can be shown in `pulumi preview`, written by `npm run plan` and kept in golden files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { addressAt, checkedCidr, formatIp } from "../net/cidr";
import type { NodeSpec, SiteConfig } from "../config/site";
import { cniPluginValues } from "../multus/plugins";
import { serverSecretFilesOf } from "../concerns/registry";
import { SERVER_SECRETS_DIR } from "./secret-files";
import { renderNodeConfig, type NodeDeployment } from "./config";

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
  return formatIp(addressAt(checkedCidr(site.network.cidr), 1n));
}

/** The secret lines the script reads from stdin, in this order. */
export interface NodeSecrets {
  /** The server token (servers) or the agent token (agents). */
  readonly token: string;
  /** Servers only: the agent token they accept from agents (k3s `agent-token`). */
  readonly agentToken?: string;
  readonly etcdS3?: { readonly accessKey: string; readonly secretKey: string };
  /** Servers only: the values of the site's secret files (serverSecretFilesOf), in their order. */
  readonly files?: readonly string[];
}

/** What the node command writes to the script's stdin: one secret per line, in the order the script reads them. */
export function nodeStdin(secrets: NodeSecrets): string {
  const lines = [
    secrets.token,
    ...(secrets.agentToken !== undefined ? [secrets.agentToken] : []),
    ...(secrets.etcdS3 ? [secrets.etcdS3.accessKey, secrets.etcdS3.secretKey] : []),
    ...(secrets.files ?? []),
  ];
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
WantedBy=multi-user.target`;
}

/** How long a new Hetzner server may take to get its private network address after SSH answers. */
export const PRIVATE_IP_WAIT_SECONDS = 300;
/** How long cloud-init may still run on a new server after SSH answers. */
export const CLOUD_INIT_TIMEOUT_SECONDS = 600;
/** How long one attempt of a download in the node script may take (curl --max-time; three retries). */
export const DOWNLOAD_TIMEOUT_SECONDS = 300;
/** How long k3s's install.sh may take, its own downloads included (they have no time limit). */
export const INSTALL_TIMEOUT_SECONDS = 900;
/** How long a blocking systemctl start or stop, or k3s certificate rotate, may take. */
export const UNIT_TIMEOUT_SECONDS = 300;

/** The committed node script; the line `# @values` is where the generated header goes. */
export const NODE_SCRIPT_TEMPLATE = readFileSync(join(__dirname, "node.sh"), "utf8");
const VALUES_LINE = "# @values";

/** `K10<hash>::` needs the hex sha256 of the cluster CA (k3s pkg/clientaccess/token.go: caHashLength). */
const CA_HASH = /^[0-9a-f]{64}$/;

/** The SSH public keys as `type base64` (comments dropped), for comparing keys. */
function keyId(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(" ");
}

/**
 * The values of a node's script, in header order. Everything the script decides on is here, as data: the script
 * itself (src/k3s/node.sh) is the same for every node.
 */
export function nodeScriptValues(config: SiteConfig, deployment: NodeDeployment): [string, string][] {
  const { node, joinServer } = deployment;
  const server = node.role === "server";
  const first = joinServer === undefined;
  const gateway = defaultRouteVia(config);
  const s3 = server && config.k3s.datastore === "etcd" && config.k3s.etcdSnapshots.s3 !== undefined;
  const caHash = first ? undefined : deployment.caHash;
  if (caHash !== undefined && !CA_HASH.test(caHash)) {
    throw new Error(`the cluster CA hash ${JSON.stringify(caHash)} read from ${joinServer?.name ?? node.name} is not 64 hex digits`);
  }
  const site = config.site;
  // Hetzner nodes are reached as root with the site's key; home hosts keep the keys their owner installed.
  const keys = site.kind === "hetzner" ? [site.sshPublicKey, ...(deployment.connectKey ? [deployment.connectKey] : [])] : [];
  // One line per key: the connect key is often the site's key itself.
  const sshKeys = [...new Map(keys.map((k) => [keyId(k), k.trim()])).values()];
  return [
    ["NODE", node.name],
    ["ROLE", node.role],
    ["SERVICE", server ? "k3s" : "k3s-agent"],
    ["K3S_VERSION", config.k3s.version],
    ["INSTALLER_URL", installerUrl(config.k3s.version)],
    ["EXPECTED_ARCH", node.arch],
    ["SITE_KIND", site.kind],
    ["PRIVATE_IP", node.privateIp],
    // Hetzner attaches the private interface after boot; a home host's address is there or the config is wrong.
    ["PRIVATE_IP_WAIT", String(site.kind === "hetzner" ? PRIVATE_IP_WAIT_SECONDS : 0)],
    ["CLOUD_INIT_TIMEOUT", String(CLOUD_INIT_TIMEOUT_SECONDS)],
    ["API_TIMEOUT", String(API_TIMEOUT_SECONDS)],
    ["DOWNLOAD_TIMEOUT", String(DOWNLOAD_TIMEOUT_SECONDS)],
    ["INSTALL_TIMEOUT", String(INSTALL_TIMEOUT_SECONDS)],
    ["UNIT_TIMEOUT", String(UNIT_TIMEOUT_SECONDS)],
    ["SECRET_LINES", String(server ? 2 : 1)],
    ["S3_KEYS", s3 ? "1" : "0"],
    // Agents keep none: a file there from an earlier run is removed, as on a server whose site no longer gives it.
    ["SECRETS_DIR", SERVER_SECRETS_DIR],
    ["SECRET_FILES", server ? serverSecretFilesOf(config).map((f) => f.path).join("\n") : ""],
    ["JOIN_USER", first ? "" : server ? "server" : "node"],
    ["CA_HASH", caHash ?? ""],
    ["SSH_HOME", sshKeys.length > 0 ? "/root" : ""],
    ["SSH_KEYS", sshKeys.join("\n")],
    ["SSH_PRUNE", sshKeys.length > 0 && deployment.connectKey ? "1" : "0"],
    ["MODULES", KERNEL_MODULES.join("\n")],
    ["SYSCTL_CONF", Object.entries(SYSCTLS).map(([k, v]) => `${k} = ${v}`).join("\n")],
    ["ROUTE_UNIT", gateway ? routeUnit(gateway) : ""],
    ["CONFIG_YAML", renderNodeConfig(config, deployment).trimEnd()],
    // Only on sites with Multus networks, so other sites' scripts stay as they were.
    ...cniPluginValues(config, node.arch),
  ];
}

/** The committed script with its header of quoted assignments in place of the `# @values` line. */
export function withValues(template: string, title: string, values: readonly [string, string][]): string {
  const lines = template.split("\n");
  const at = lines.indexOf(VALUES_LINE);
  if (at < 0 || lines.indexOf(VALUES_LINE, at + 1) >= 0) throw new Error(`the script template needs one line ${VALUES_LINE}`);
  const header = [`# ${title}. Generated by k3s-sites; edits are overwritten.`];
  for (const [name, value] of values) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`invalid script variable name ${name}`);
    header.push(`${name}=${shellQuote(value)}`);
  }
  return [...lines.slice(0, at), ...header, ...lines.slice(at + 1)].join("\n");
}

/** The bootstrap script of one node: src/k3s/node.sh with this node's values. */
export function nodeScript(config: SiteConfig, deployment: NodeDeployment): string {
  const { node } = deployment;
  return withValues(
    NODE_SCRIPT_TEMPLATE,
    `Values for ${node.name} (${node.role}), k3s ${config.k3s.version}`,
    nodeScriptValues(config, deployment),
  );
}

/**
 * The script that renews a node's certificates: the node's own bootstrap script, which also restarts k3s, since
 * k3s renews certificates only when it starts (src/cluster/certificates.ts). `expires` is the admin client
 * certificate's expiry that makes the renewal due.
 */
export function renewScript(config: SiteConfig, deployment: NodeDeployment, expires: string): string {
  const { node } = deployment;
  return withValues(
    NODE_SCRIPT_TEMPLATE,
    `Values for ${node.name} (${node.role}), k3s ${config.k3s.version}: certificate renewal`,
    [...nodeScriptValues(config, deployment), ["RENEW", `the admin client certificate expires at ${expires}`]],
  );
}

/** The committed drain script; the line `# @values` is where the generated header goes. */
export const DRAIN_SCRIPT_TEMPLATE = readFileSync(join(__dirname, "drain.sh"), "utf8");
/** How long one node's drain may take before the run fails. */
export const DRAIN_TIMEOUT_SECONDS = 600;

/**
 * The script that drains `node` before its upgrade, or uncordons it after; it runs on the join server with the
 * admin kubeconfig. The version is in the script, so a version change re-runs it.
 */
export function drainScript(config: SiteConfig, node: NodeSpec, action: "drain" | "uncordon"): string {
  return withValues(DRAIN_SCRIPT_TEMPLATE, `Values: ${action} ${node.name} for k3s ${config.k3s.version}`, [
    ["ACTION", action],
    ["NODE", node.name],
    ["K3S_VERSION", config.k3s.version],
    ["DRAIN_TIMEOUT", String(DRAIN_TIMEOUT_SECONDS)],
    ["REQUEST_TIMEOUT", String(KUBECTL_REQUEST_TIMEOUT_SECONDS)],
  ]);
}

/** The etcd restore docs/day2.md's recipe runs on the init server (no generated values: it reads the node's config). */
export const RESTORE_SCRIPT = readFileSync(join(__dirname, "restore.sh"), "utf8");

/** The committed removal script; the line `# @values` is where the generated header goes. */
export const LEAVE_SCRIPT_TEMPLATE = readFileSync(join(__dirname, "leave.sh"), "utf8");
/** How long the deletion of a Node may take: for a server, k3s removes its etcd member first. */
export const NODE_DELETE_TIMEOUT_SECONDS = 300;
/** How long a removal waits, when the API does not answer, for the sign that this server has just left etcd. */
export const TOMBSTONE_WAIT_SECONDS = 30;
/** How long the drain of a node that is not Ready may take: its pods are deleted, nobody waits for its kubelet. */
export const DEAD_DRAIN_TIMEOUT_SECONDS = 120;
/** How long one kubectl request of a drain or removal script may take (kubectl's own default is no limit). */
export const KUBECTL_REQUEST_TIMEOUT_SECONDS = 30;

/**
 * The script that takes `node` out of the cluster when it leaves the site: drain, then delete its Node (k3s then
 * removes a server's etcd member). It runs on another server with the admin kubeconfig. No version in it: an
 * upgrade leaves it alone.
 *
 * k3s facts, read at k3s-io/k3s 24fc436e ("Update to v1.34.1", 2025-09-10, from the k3s-vip/k3s mirror; the files'
 * last changes predate v1.33.0): pkg/etcd/member_controller.go registers `nodes.OnRemove("managed-etcd-controller")`,
 * whose onRemove calls RemovePeer for a Node labelled node-role.kubernetes.io/etcd; pkg/etcd/etcd.go runs that
 * controller leader-elected (LeaderElectedClusterControllerStarts) and RemovePeer allows removing the local member;
 * wrangler's OnRemove holds the object with the finalizer `wrangler.cattle.io/<name>` until the handler succeeds
 * (rancher/wrangler pkg/generic/remove.go at 1e956f16), so `kubectl delete node` returns once the member is gone;
 * pkg/daemons/executor/etcd.go: a removed member writes a tombstone and stops its etcd, and rejoins only when k3s
 * restarts (which is why a home host that leaves should have k3s stopped).
 */
export function leaveScript(node: NodeSpec): string {
  return withValues(LEAVE_SCRIPT_TEMPLATE, `Values: ${node.name} (${node.role}) leaves the cluster`, [
    ["NODE", node.name],
    ["ROLE", node.role],
    ["DRAIN_TIMEOUT", String(DRAIN_TIMEOUT_SECONDS)],
    ["DEAD_DRAIN_TIMEOUT", String(DEAD_DRAIN_TIMEOUT_SECONDS)],
    ["DELETE_TIMEOUT", String(NODE_DELETE_TIMEOUT_SECONDS)],
    ["TOMBSTONE_WAIT", String(TOMBSTONE_WAIT_SECONDS)],
    ["REQUEST_TIMEOUT", String(KUBECTL_REQUEST_TIMEOUT_SECONDS)],
    // A Hetzner node's server, and its disk with any local-path volume on it, is deleted once the node has left.
    ["DISK_GOES", node.hetzner ? "1" : ""],
  ]);
}

/** The cluster CA hash the first server's script prints (`ca-hash=<hex>`), or undefined before it has. */
export function caHashFrom(stdout: string | undefined): string | undefined {
  return /^ca-hash=([0-9a-f]{64})$/m.exec(stdout ?? "")?.[1];
}

/** The digest of the admin kubeconfig the first server's script prints, or undefined before it has. */
export function kubeconfigDigestFrom(stdout: string | undefined): string | undefined {
  return /^kubeconfig-sha256=([0-9a-f]{64})$/m.exec(stdout ?? "")?.[1];
}

/**
 * The command line that runs a script on the node: as root, through `sudo -n` for other users (who need
 * passwordless sudo, checked first so that a password prompt becomes a clear error), with stdin passed through for
 * the secrets. The script travels in a quoted here-document, so no character of it is interpreted by the login
 * shell.
 */
export function remoteCommand(script: string, user: string, node = "this host"): string {
  const delimiter = "K3S_SITES_SCRIPT";
  if (script.split("\n").includes(delimiter)) throw new Error(`the script contains the line ${delimiter}`);
  const body = `"$(cat <<'${delimiter}'\n${script}${script.endsWith("\n") ? "" : "\n"}${delimiter}\n)" k3s-sites\n`;
  if (user === "root") return `bash -c ${body}`;
  const message =
    `k3s-sites: ${user} cannot run sudo without a password on ${node}: ` +
    `allow it with a line '${user} ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/k3s-sites (visudo -f), or connect as root`;
  return `sudo -n true 2>/dev/null || { echo ${shellQuote(message)} >&2; exit 1; }\nsudo -n bash -c ${body}`;
}
