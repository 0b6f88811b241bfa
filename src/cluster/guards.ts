/**
 * Settings a live cluster can never change. k3s fixes the pod and service ranges, the IP families and the cluster
 * domain when the cluster is created, every server must agree on them, and the CNI and the datastore carry the
 * cluster's state: a change on a live site would tear it apart. On a Hetzner site the location, the private network
 * and each node's planned private address are fixed as well: Hetzner rebuilds a server or load balancer moved to
 * another location, and etcd and k3s know every node by its address. The program records these settings as a stack
 * output and compares them with the previous deployment's before it touches any resource.
 */
import { NO_CNI_FIXED_SETTINGS, type CniFixedSettings } from "../concerns/contract";
import { cniOf } from "../concerns/registry";
import type { Problem } from "../config/problems";
import { isHetzner, type SiteConfig } from "../config/site";
import { clusterMembersOf, type MembershipRecord } from "./membership";

export interface FixedSettings extends CniFixedSettings {
  readonly clusterCidr: string;
  readonly serviceCidr: string;
  readonly clusterCidrV6: string | null;
  readonly serviceCidrV6: string | null;
  readonly ipFamilies: string;
  readonly clusterDomain: string;
  readonly clusterDns: string;
  readonly secretsEncryption: boolean;
  readonly cni: string;
  readonly datastore: string;
  /** Hetzner sites: the location, the private network's range and each node's planned address; null at home. */
  readonly location: string | null;
  readonly nodeNetwork: string | null;
  readonly nodeIps: Readonly<Record<string, string>> | null;
  /** Hetzner sites: each pool's server type, which Hetzner changes only by powering off the servers; null at home. */
  readonly serverTypes: readonly { readonly pool: string; readonly serverType: string }[] | null;
  /** The server that initialized the cluster, while it is in the site (src/cluster/membership.ts). */
  readonly initServer: MembershipRecord["initServer"];
  /** The servers, in the order the membership keeps them. */
  readonly servers: MembershipRecord["servers"];
}

/** The name of the stack output that records the fixed settings. */
export const FIXED_SETTINGS_OUTPUT = "fixedSettings";

/**
 * The settings to record. `membership` is this run's (clusterMembersOf with the previous record).
 * @default - a first deployment's: the first server initializes the cluster
 */
export function fixedSettingsOf(config: SiteConfig, membership?: MembershipRecord): FixedSettings {
  const { initServer, servers } = membership ?? clusterMembersOf(config, undefined).record;
  return {
    clusterCidr: config.k3s.clusterCidr,
    serviceCidr: config.k3s.serviceCidr,
    clusterCidrV6: config.k3s.clusterCidrV6 ?? null,
    serviceCidrV6: config.k3s.serviceCidrV6 ?? null,
    ipFamilies: config.k3s.ipFamilies,
    clusterDomain: config.k3s.clusterDomain,
    clusterDns: config.k3s.clusterDns,
    secretsEncryption: config.k3s.secretsEncryption,
    cni: config.cni.plugin,
    datastore: config.k3s.datastore,
    // In this order in the record, the CNI's own values over the nulls (src/concerns/contract.ts).
    ...NO_CNI_FIXED_SETTINGS,
    ...cniOf(config).fixedSettings(config),
    location: isHetzner(config.site) ? config.site.location : null,
    nodeNetwork: isHetzner(config.site) ? config.nodeCidr : null,
    nodeIps: isHetzner(config.site) ? Object.fromEntries(config.nodes.map((n) => [n.name, n.privateIp])) : null,
    serverTypes: isHetzner(config.site) ? config.site.pools.map((p) => ({ pool: p.name, serverType: p.serverType })) : null,
    initServer,
    servers,
  };
}

type ScalarKey = Exclude<keyof FixedSettings, "nodeIps" | "serverTypes" | "initServer" | "servers">;

const KEYS: Record<ScalarKey, { path: string; why: string }> = {
  clusterCidr: { path: "k3s.clusterCidr", why: "every pod address and node pod range comes from it" },
  serviceCidr: { path: "k3s.serviceCidr", why: "every Service address and the API server's certificate come from it" },
  clusterCidrV6: { path: "k3s.clusterCidrV6", why: "every IPv6 pod address comes from it" },
  serviceCidrV6: { path: "k3s.serviceCidrV6", why: "every IPv6 Service address comes from it" },
  ipFamilies: { path: "k3s.ipFamilies", why: "k3s cannot add or remove an IP family on a live cluster" },
  clusterDomain: { path: "k3s.clusterDomain", why: "every in-cluster DNS name and certificate uses it" },
  clusterDns: {
    path: "k3s.clusterDns",
    why: "every pod's resolv.conf and every kubelet point at it, and CoreDNS's Service keeps the old address",
  },
  secretsEncryption: {
    path: "k3s.secretsEncryption",
    why: "the Secrets already stored stay as they were written, and switching needs k3s's own secrets-encrypt steps on every server",
  },
  cni: { path: "cni.plugin", why: "switching the CNI cuts every pod off the network" },
  datastore: { path: "k3s.datastore", why: "the cluster's state lives in it" },
  calicoBlockSize: {
    path: "cni.calico.blockSize",
    why: "Calico's IPPool refuses a new block size, and every node's block of pod addresses was cut from the old one",
  },
  calicoBlockSizeV6: {
    path: "cni.calico.blockSizeV6",
    why: "Calico's IPPool refuses a new block size, and every node's block of pod addresses was cut from the old one",
  },
  flannelBackend: {
    path: "cni.flannel.backend",
    why:
      "each node takes the new backend only when its k3s restarts, and until every node has, pods on nodes with " +
      "different backends cannot reach each other; a server restarted with it is refused by the others, which " +
      "k3s checks agree on flannel-backend",
  },
  location: {
    path: "site.location",
    why: "Hetzner would delete and rebuild every server and the load balancer there, with their public addresses",
  },
  nodeNetwork: {
    path: "site.network.cidr",
    why: "every node's and the load balancer's private address comes from it",
  },
};

function show(value: unknown): string {
  return value === null || value === undefined ? "(unset)" : String(value);
}

/**
 * Compares the settings of the previous deployment (`previous`, as read back from the stack's outputs; undefined on
 * the first deployment) with the current ones. Every difference is a problem naming the setting, both values and
 * the way forward.
 */
export function checkFixedSettings(previous: unknown, current: FixedSettings): Problem[] {
  if (previous === undefined || previous === null || typeof previous !== "object") return [];
  const old = previous as Partial<Record<keyof FixedSettings, unknown>>;
  const scalars = (Object.keys(KEYS) as ScalarKey[]).flatMap((key): Problem[] => {
    if (!(key in old)) return []; // recorded by an older version of this program
    const before = old[key] ?? null;
    const now = current[key];
    if (before === now) return [];
    const { path, why } = KEYS[key];
    return [
      {
        path,
        message:
          `cannot change on a live cluster: it was ${show(before)} when the site was created and is now ${show(now)} ` +
          `(${why}). Set it back to ${show(before)}, or build a new site in a new stack and move the workloads over`,
      },
    ];
  });
  return [...scalars, ...movedNodes(old.nodeIps, current.nodeIps), ...resizedPools(old.serverTypes, old.nodeIps, current)];
}

/**
 * Pools of both deployments whose server type differs. Hetzner changes a server's type only while it is powered
 * off, and Pulumi would change every server of the pool at once: on a server pool that stops etcd and the API.
 * Refused, with the way to do it one server at a time.
 */
function resizedPools(previous: unknown, previousNodes: unknown, current: FixedSettings): Problem[] {
  if (!Array.isArray(previous) || current.serverTypes === null) return [];
  const before = new Map(
    previous.flatMap((p: unknown) => {
      const { pool, serverType } = (p ?? {}) as { pool?: unknown; serverType?: unknown };
      return typeof pool === "string" && typeof serverType === "string" ? [[pool, serverType] as const] : [];
    }),
  );
  return current.serverTypes.flatMap(({ pool, serverType: type }, i): Problem[] => {
    const was = before.get(pool);
    if (typeof was !== "string" || was === type) return [];
    // Only servers that exist and stay would be powered off: a pool that had no nodes may change its type.
    const existed = (node: string) =>
      previousNodes === null || typeof previousNodes !== "object" || node in (previousNodes as object);
    const nodes = Object.keys(current.nodeIps ?? {}).filter(
      (n) => n.startsWith(`${pool}-`) && /^\d+$/.test(n.slice(pool.length + 1)) && existed(n),
    );
    if (nodes.length === 0) return [];
    return [
      {
        path: `site.pools[${i}].serverType`,
        message:
          `cannot change on a live site: pool ${pool} was created with ${was} and is now ${type}, and Hetzner powers off ` +
          `each server to change its type, so Pulumi would stop ` +
          `${nodes.length === 1 ? "its server" : `all ${nodes.length} of its servers at once`}. Set it back to ` +
          `${was}. To move the pool to ${type}: add a pool with the same role and serverType ${type} beside it, ` +
          `pulumi up, then lower pool ${pool}'s count one node per run (kubectl drain each node first) down to 0 and ` +
          `remove the pool; for a server pool keep the number of servers odd at every run (see docs/hetzner.md, "Changing a pool's serverType")`,
      },
    ];
  });
}

/**
 * Nodes of both deployments whose planned private address differs. Nodes may come and go; one that stays keeps its
 * address, which the network's range, site.network.subnetPrefix, its pool's subnet and its place in the pool decide.
 */
function movedNodes(previous: unknown, current: FixedSettings["nodeIps"]): Problem[] {
  if (previous === undefined || previous === null || typeof previous !== "object" || current === null) return [];
  const before = previous as Record<string, unknown>;
  return Object.entries(current).flatMap(([node, ip]): Problem[] => {
    const was = before[node];
    if (typeof was !== "string" || was === ip) return [];
    return [
      {
        path: "site.pools",
        message:
          `would move node ${node} on a live cluster from private address ${was} to ${ip} (k3s, etcd and the load ` +
          `balancer know it by that address; Hetzner would detach and reattach it). Set site.network.subnetPrefix ` +
          `and the pool's subnet back so that ${node} keeps ${was}, or add a new pool and drain the old one`,
      },
    ];
  });
}
