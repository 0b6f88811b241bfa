/**
 * SiteConfig: the stack config with every default filled in, including the defaults that depend on other settings
 * (the network zone of a location, the CNI of a site kind, the cluster DNS address of the service range), and the
 * site's nodes with their planned addresses. Everything downstream reads this, never the raw stack config.
 */
import { addressAt, checkedCidr, formatIp, sizeOf } from "../net/cidr";
import { planNetwork, type NetworkPlan } from "../net/plan";
import type { CniName } from "../cni/section";
import { defaultStorageDriver, type StorageConfig } from "../storage/section";
import type { Problem } from "./problems";
import { HETZNER_LOCATIONS, type NetworkZone } from "../hetzner/schema";
import type { HetznerSiteConfig, SshSiteConfig, StackConfig } from "./schema";

export type Role = "server" | "agent";
export type { Arch } from "./fields";
import type { Arch } from "./fields";

export interface SshEndpoint {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly jumpHost?: {
    readonly address: string;
    readonly port: number;
    readonly user: string;
    readonly hostKey?: string;
  };
  readonly hostKey?: string;
}

/** One node of the site, cloud or home, with its planned (hetzner) or declared (ssh) private address. */
export interface NodeSpec {
  readonly name: string;
  readonly role: Role;
  readonly privateIp: string;
  /** Home nodes on dual-stack sites: the node's IPv6 address (k3s needs a node-ip of each family). */
  readonly privateIpv6?: string;
  /** Home nodes: the address other networks reach the node on, when configured. */
  readonly externalIp?: string;
  readonly arch: Arch;
  /** Hetzner nodes: the pool and server settings. */
  readonly hetzner?: { readonly pool: string; readonly number: number; readonly serverType: string; readonly image: string };
  /** Home nodes on sites with site.segments: the segment the node is on (its node label k3s-sites/segment). */
  readonly segment?: string;
  /** Home nodes: how SSH reaches the host. Hetzner nodes are reached on their public address, known at deploy time. */
  readonly ssh?: SshEndpoint;
}

export type HetznerSite = HetznerSiteConfig & { readonly networkZone: NetworkZone; readonly plan: NetworkPlan };
export type SshSite = SshSiteConfig;

export interface SiteConfig {
  readonly site: HetznerSite | SshSite;
  readonly k3s: StackConfig["k3s"] & { readonly clusterDns: string };
  readonly cni: StackConfig["cni"] & { readonly plugin: CniName };
  readonly ingress: StackConfig["ingress"] & { readonly proxyProtocol: boolean };
  readonly certificates: StackConfig["certificates"];
  readonly networkPolicies: StackConfig["networkPolicies"];
  /** Multus networks. */
  readonly networks: StackConfig["networks"];
  /** Storage, with its driver chosen: hcloud-csi on hetzner, local-path on ssh sites unless set. */
  readonly storage: StorageConfig;
  /** Whether the in-cluster checks run (components/verify). */
  readonly verify: boolean;
  /** The node network: the Hetzner private network, or the home LAN. */
  readonly nodeCidr: string;
  readonly nodes: readonly NodeSpec[];
}

/** Offset of the CoreDNS address k3s picks when none is set: the 10th address of the service range. */
export const DEFAULT_CLUSTER_DNS_OFFSET = 10n;

/**
 * The CoreDNS address k3s picks when none is set: the 10th address of the service range, or undefined when the range
 * is too small to hold it as a usable address (below the IPv4 broadcast address).
 */
export function defaultClusterDns(serviceCidr: string): string | undefined {
  const cidr = checkedCidr(serviceCidr);
  if (sizeOf(cidr) <= DEFAULT_CLUSTER_DNS_OFFSET + 1n) return undefined;
  return formatIp(addressAt(cidr, DEFAULT_CLUSTER_DNS_OFFSET));
}

export function archOfServerType(serverType: string): Arch {
  return serverType.startsWith("cax") ? "arm64" : "amd64";
}

/** Fills dependent defaults and plans addresses. Returns the problems the address plan found. */
export function resolveSite(config: StackConfig): { site: SiteConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  let site: HetznerSite | SshSite;
  let nodes: NodeSpec[];
  if (config.site.kind === "hetzner") {
    const h = config.site;
    const { plan, problems: planProblems } = planNetwork(h.network.cidr, h.network.subnetPrefix, h.pools, {
      network: "site.network",
      pools: "site.pools",
    });
    problems.push(...planProblems);
    site = { ...h, networkZone: h.networkZone ?? HETZNER_LOCATIONS[h.location], plan };
    const byPool = new Map(h.pools.map((p) => [p.name, p]));
    nodes = plan.nodes.map((n) => {
      const pool = byPool.get(n.pool)!;
      return {
        name: n.name,
        role: pool.role,
        privateIp: n.privateIp,
        arch: archOfServerType(pool.serverType),
        hetzner: { pool: pool.name, number: n.number, serverType: pool.serverType, image: pool.image },
      };
    });
  } else {
    site = config.site;
    // A site with one segment needs no segment on each host.
    const only = config.site.segments.length === 1 ? config.site.segments[0]!.name : undefined;
    const segmentOf = (declared: string | undefined): string | undefined => declared ?? only;
    nodes = config.site.hosts.map((h) => ({
      name: h.name,
      role: h.role,
      privateIp: h.privateIp,
      ...(h.privateIpv6 ? { privateIpv6: h.privateIpv6 } : {}),
      ...(h.externalIp ? { externalIp: h.externalIp } : {}),
      arch: h.arch,
      ...(segmentOf(h.segment) !== undefined ? { segment: segmentOf(h.segment)! } : {}),
      ssh: {
        address: h.address,
        port: h.port,
        user: h.user,
        ...(h.jumpHost ? { jumpHost: h.jumpHost } : {}),
        ...(h.hostKey ? { hostKey: h.hostKey } : {}),
      },
    }));
  }
  const hetzner = config.site.kind === "hetzner";
  const clusterDns = config.k3s.clusterDns ?? defaultClusterDns(config.k3s.serviceCidr);
  if (clusterDns === undefined) {
    problems.push({
      path: "k3s.serviceCidr",
      message:
        `${config.k3s.serviceCidr} is too small for the cluster DNS address k3s picks by default, its 10th address: ` +
        "use a /28 or larger (the default is 10.43.0.0/16), or set k3s.clusterDns to a free address inside it",
    });
  }
  return {
    site: {
      site,
      // "" only while the problem above is reported: the config is refused.
      k3s: { ...config.k3s, clusterDns: clusterDns ?? "" },
      cni: { ...config.cni, plugin: config.cni.plugin ?? (hetzner ? "canal" : "cilium") },
      ingress: { ...config.ingress, proxyProtocol: config.ingress.proxyProtocol ?? hetzner },
      certificates: config.certificates,
      networkPolicies: config.networkPolicies,
      networks: config.networks,
      storage: { ...config.storage, driver: config.storage.driver ?? defaultStorageDriver(config.site.kind) },
      verify: config.verify,
      nodeCidr: config.site.network.cidr,
      nodes,
    },
    problems,
  };
}

export function isHetzner(site: HetznerSite | SshSite): site is HetznerSite {
  return site.kind === "hetzner";
}
