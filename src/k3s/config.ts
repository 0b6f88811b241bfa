/**
 * /etc/rancher/k3s/config.yaml of each node. k3s reads it on every start; every key is the long form of a
 * `k3s server` or `k3s agent` flag (docs.k3s.io, "Configuration File"). Secrets never appear here: the token and
 * the S3 credentials go into a separate drop-in file that the node script writes from stdin.
 */
import { stringify } from "yaml";
import { SEGMENT_LABEL } from "../cni/calico/resources";
import { cniOf, concernsInUse } from "../concerns/registry";
import type { NodeSpec, SiteConfig } from "../config/site";
import { API_PORT } from "../hetzner/model";

/** Where k3s and the node script keep their files on a node. */
export const K3S_PATHS = {
  config: "/etc/rancher/k3s/config.yaml",
  /** k3s merges /etc/rancher/k3s/config.yaml.d/*.yaml after config.yaml, in name order. */
  secrets: "/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml",
  kubeconfig: "/etc/rancher/k3s/k3s.yaml",
  binary: "/usr/local/bin/k3s",
  sysctl: "/etc/sysctl.d/90-k3s-sites.conf",
  modules: "/etc/modules-load.d/k3s-sites.conf",
  routeUnit: "/etc/systemd/system/k3s-sites-default-route.service",
} as const;

/** What a node's config depends on beyond the site config: values only known at deploy time. */
export interface NodeDeployment {
  readonly node: NodeSpec;
  /**
   * The member this node joins through (src/cluster/membership.ts, joinTargetOf).
   * @default - none: this node initializes the cluster (`cluster-init` with etcd)
   */
  readonly joinServer?: NodeSpec;
  /**
   * Extra addresses for this server's API certificate, known once the server exists: its public addresses, which
   * the operator may reach the API on.
   * @default [] - the private addresses and k3s.apiHost only
   */
  readonly tlsSans?: readonly string[];
  /**
   * The hex sha256 of the cluster CA, as the join server reports it: joining nodes then use the full token
   * `K10<hash>::<user>:<secret>` and verify the server before they send their credentials.
   * @default - the bare token (the init server, and every node before the join server has reported)
   */
  readonly caHash?: string;
  /**
   * The public key of the private key the program connects with (`type base64`), kept in authorized_keys while
   * the site's key changes, so that a rotation never locks the program out.
   * @default - only the site's key
   */
  readonly connectKey?: string;
}

/**
 * The settings every server must agree on, from one place: k3s refuses to join a server whose cluster-wide flags
 * differ from the cluster's ("critical configuration value mismatch"), and the CIDRs, the CNI switches and the
 * datastore can never change afterwards.
 */
export function clusterWideServerConfig(config: SiteConfig): Record<string, unknown> {
  const k3s = config.k3s;
  const others = concernServerFlags(config);
  const dual = k3s.ipFamilies === "dual-stack";
  return {
    "cluster-cidr": dual ? `${k3s.clusterCidr},${k3s.clusterCidrV6}` : k3s.clusterCidr,
    "service-cidr": dual ? `${k3s.serviceCidr},${k3s.serviceCidrV6}` : k3s.serviceCidr,
    "cluster-dns": k3s.clusterDns,
    "cluster-domain": k3s.clusterDomain,
    // The CNI's flags: k3s's own Flannel and network policy controller off for a CNI the site installs, or
    // Flannel's settings (src/concerns/contract.ts). Traefik and servicelb are replaced by nginx and the load
    // balancer (or Cilium's LB-IPAM).
    ...cniOf(config).k3s.server(config),
    // The other concerns' flags (storage: k3s's local-path provisioner's path, or local-storage disabled), their
    // `disable` lists added to the site's.
    disable: ["traefik", "servicelb", ...others.disable],
    ...others.flags,
    ...(cniOf(config).k3s.replacesKubeProxy(config) ? { "disable-kube-proxy": true } : {}),
    "secrets-encryption": k3s.secretsEncryption,
    ...(k3s.datastore === "etcd" ? etcdSnapshotConfig(config) : {}),
  };
}

/** The server flags of the concerns in use besides the CNI, with their `disable` entries gathered in one list. */
function concernServerFlags(config: SiteConfig): { flags: Record<string, unknown>; disable: string[] } {
  const cni = cniOf(config);
  const flags: Record<string, unknown> = {};
  const disable: string[] = [];
  for (const concern of concernsInUse(config)) {
    if (concern === cni) continue;
    const { disable: off, ...rest } = concern.k3s.server(config) as { disable?: readonly string[] };
    disable.push(...(off ?? []));
    Object.assign(flags, rest);
  }
  return { flags, disable };
}

function etcdSnapshotConfig(config: SiteConfig): Record<string, unknown> {
  const snapshots = config.k3s.etcdSnapshots;
  const s3 = snapshots.s3;
  return {
    "etcd-snapshot-schedule-cron": snapshots.schedule,
    "etcd-snapshot-retention": snapshots.retention,
    ...(s3
      ? {
          "etcd-s3": true,
          "etcd-s3-endpoint": s3.endpoint,
          "etcd-s3-bucket": s3.bucket,
          ...(s3.region ? { "etcd-s3-region": s3.region } : {}),
          ...(s3.folder ? { "etcd-s3-folder": s3.folder } : {}),
        }
      : {}),
  };
}

function serverUrl(server: NodeSpec): string {
  return `https://${server.privateIp}:${API_PORT}`;
}

/** The config.yaml of one node, as an ordered mapping. */
export function nodeConfig(config: SiteConfig, deployment: NodeDeployment): Record<string, unknown> {
  const { node, joinServer } = deployment;
  const initializes = joinServer === undefined;
  const nodeIps = node.privateIpv6 ? `${node.privateIp},${node.privateIpv6}` : node.privateIp;
  const common: Record<string, unknown> = {
    "node-name": node.name,
    // Without node-ip, k3s takes the address of the default route's interface: the public NIC on Hetzner.
    "node-ip": nodeIps,
    ...(node.externalIp ? { "node-external-ip": node.externalIp } : {}),
    // Calico's BGPPeers select a segment's nodes by this label (src/cni/calico/resources.ts). The kubelet sets
    // node labels when the node registers.
    ...(node.segment !== undefined ? { "node-label": [`${SEGMENT_LABEL}=${node.segment}`] } : {}),
    // The kubelet refuses to start when a kernel setting differs from what it needs, instead of changing it; the
    // node script writes those settings before k3s starts.
    "protect-kernel-defaults": true,
    ...cniOf(config).k3s.node(config, node),
    ...(joinServer ? { server: serverUrl(joinServer) } : {}),
  };
  if (node.role === "agent") return common;

  // Only this server's own names: adding a server then changes no other server's config (and restarts none).
  const sans = [
    ...(config.k3s.apiHost ? [config.k3s.apiHost] : []),
    node.privateIp,
    ...(node.privateIpv6 ? [node.privateIpv6] : []),
    ...(deployment.tlsSans ?? []),
  ];
  return {
    ...common,
    ...(initializes && config.k3s.datastore === "etcd" ? { "cluster-init": true } : {}),
    "advertise-address": node.privateIp,
    "tls-san": [...new Set(sans)],
    "write-kubeconfig-mode": "0600",
    ...clusterWideServerConfig(config),
  };
}

/** config.yaml as written to the node. */
export function renderNodeConfig(config: SiteConfig, deployment: NodeDeployment): string {
  return `# Written by k3s-sites for ${deployment.node.name}; changes here are overwritten on the next pulumi up.\n${stringify(
    nodeConfig(config, deployment),
    { lineWidth: 0 },
  )}`;
}
