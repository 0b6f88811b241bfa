/**
 * Which servers make up the cluster from one deployment to the next. The server that ran `cluster-init` is recorded
 * with the fixed settings at the first deployment and never moves: a second `cluster-init` on an empty server would
 * start a new, empty cluster that the other nodes then join. Every other node joins through a server that was
 * already a member in the previous deployment, and the commands that need the admin kubeconfig (drains, the
 * kubeconfig read, removals) run there too.
 *
 * k3s facts (k3s-io/k3s pkg/cluster/bootstrap.go, shouldBootstrapLoad, and pkg/etcd/etcd.go, Start, at 24fc436e,
 * "Update to v1.34.1", read from the k3s-vip/k3s mirror): a server whose etcd data exists starts as the member it is
 * and ignores `server` and `cluster-init`; a server without data and without `server` starts a new cluster; one with
 * `server` joins through it. So changing a member's `server` never moves it to another cluster.
 */
import type { Problem } from "../config/problems";
import { isHetzner, type NodeSpec, type SiteConfig } from "../config/site";

/** What the stack output records about the cluster's membership (part of the fixed settings). */
export interface MembershipRecord {
  /**
   * The server that initialized the cluster (`cluster-init`), while it is one; null once it has left the site, after
   * which no server initializes anything and every server joins through a member.
   */
  readonly initServer: string | null;
  /** The servers of the deployment: those of the previous one that stay, in their order, then the new ones. */
  readonly servers: readonly string[];
}

/** The cluster's roles for one run, derived from the config and the previous deployment's record. */
export interface ClusterMembers {
  readonly record: MembershipRecord;
  /** The server whose config carries `cluster-init` (etcd) and no `server`; null once it left the site. */
  readonly initServer: string | null;
  /**
   * The member every joining node joins through and where the admin kubeconfig is used: the init server while it is
   * in the site, else the first server of the record that was a member before this run.
   */
  readonly joinServer: NodeSpec;
  /** The servers that were members before this run and stay, in record order. */
  readonly members: readonly string[];
  /** The servers of the previous deployment (empty on the first deployment). */
  readonly previousServers: readonly string[];
  /** The previous deployment's join server (null on the first deployment). */
  readonly previousJoin: string | null;
}

function serversOf(config: SiteConfig): NodeSpec[] {
  const servers = config.nodes.filter((n) => n.role === "server");
  // The config rules guarantee at least one server; this guards callers that skip them.
  if (servers.length === 0) throw new Error("the site has no node with role server");
  return servers;
}

/**
 * How many servers the running cluster has, from the previous deployment's record alone (before the config is
 * parsed, for the config rules' advice); undefined on the first deployment or for a record without `servers`.
 */
export function runningServersOf(previous: unknown): number | undefined {
  const servers = (previous as { servers?: unknown } | null | undefined)?.servers;
  return Array.isArray(servers) ? servers.filter((s) => typeof s === "string").length : undefined;
}

/**
 * The servers the previous deployment recorded. Records of an older version of this program have no `servers`:
 * on Hetzner the node addresses name the nodes (a node of a pool that is still a server pool was a server);
 * at home nothing did, and every server of the config counts as a member.
 */
function previousServersOf(config: SiteConfig, previous: Record<string, unknown>): string[] {
  if (Array.isArray(previous.servers)) return previous.servers.filter((s): s is string => typeof s === "string");
  const servers = new Set(serversOf(config).map((n) => n.name));
  const nodeIps = previous.nodeIps;
  if (nodeIps !== null && typeof nodeIps === "object" && isHetzner(config.site)) {
    // A node of a server pool that is still in the config (`<pool>-<n>`) was a server, also when its count went down.
    const serverPools = config.site.pools.filter((p) => p.role === "server").map((p) => p.name);
    const ofServerPool = (n: string) =>
      serverPools.some((p) => n.startsWith(`${p}-`) && /^\d+$/.test(n.slice(p.length + 1)));
    return Object.keys(nodeIps).filter((n) => servers.has(n) || ofServerPool(n));
  }
  return [...servers];
}

/**
 * The cluster's roles for this run. `previous` is the fixed settings the previous deployment recorded (undefined on
 * the first deployment): its init server keeps `cluster-init` for as long as it stays in the site.
 */
export function clusterMembersOf(config: SiteConfig, previous: unknown): ClusterMembers {
  const servers = serversOf(config);
  const byName = new Map(servers.map((n) => [n.name, n]));
  if (previous === undefined || previous === null || typeof previous !== "object") {
    const first = servers[0]!;
    return {
      record: { initServer: first.name, servers: servers.map((n) => n.name) },
      initServer: first.name,
      joinServer: first,
      members: [],
      previousServers: [],
      previousJoin: null,
    };
  }
  const old = previous as Record<string, unknown>;
  const previousServers = previousServersOf(config, old);
  const members = previousServers.filter((s) => byName.has(s));
  const ordered = [...members, ...servers.map((n) => n.name).filter((s) => !members.includes(s))];
  // An older record names no init server: that version gave cluster-init to the first server in config order.
  const recorded = "initServer" in old ? old.initServer : previousServers[0];
  const initServer = typeof recorded === "string" && members.includes(recorded) ? recorded : null;
  const previousJoin = typeof recorded === "string" && previousServers.includes(recorded) ? recorded : (previousServers[0] ?? null);
  // Without a member left (refused by checkMembership) the first server stands in, so the run still plans.
  const join = byName.get(initServer ?? members[0] ?? ordered[0]!)!;
  return { record: { initServer, servers: ordered }, initServer, joinServer: join, members, previousServers, previousJoin };
}

/**
 * The server `node` joins through, or undefined when `node` initializes the cluster. The join server itself, when it
 * is not the init server, joins through the next member, so that no server but the init server ever lacks a
 * `server` (an empty server without one starts a new cluster).
 */
export function joinTargetOf(config: SiteConfig, members: ClusterMembers, node: NodeSpec): NodeSpec | undefined {
  if (node.name === members.initServer) return undefined;
  if (node.name !== members.joinServer.name) return members.joinServer;
  const next = helperOf(config, members, node);
  // The only server left and not the init server (refused by checkMembership): it is the cluster on its own.
  return next.name === node.name ? undefined : next;
}

/** A first deployment's `joinServer` of a node's deployment: none for the first server, which initializes the cluster. */
export function firstDeploymentJoin(config: SiteConfig, node: NodeSpec): { joinServer?: NodeSpec } {
  const target = joinTargetOf(config, clusterMembersOf(config, undefined), node);
  return target ? { joinServer: target } : {};
}

/**
 * A server other than `node` to run commands on for it (its removal): a member first, in record order, then any
 * other server; `node` itself when it is the only server.
 */
export function helperOf(config: SiteConfig, members: ClusterMembers, node: NodeSpec): NodeSpec {
  const servers = new Map(serversOf(config).map((n) => [n.name, n]));
  if (node.name !== members.joinServer.name) return members.joinServer;
  const other = members.record.servers.find((s) => s !== node.name && servers.has(s));
  return other ? servers.get(other)! : node;
}

/** Where the site's nodes are listed, for messages. */
function nodesKey(config: SiteConfig): string {
  return isHetzner(config.site) ? "site.pools" : "site.hosts";
}

/**
 * The servers a run removes must leave a quorum of the previous deployment's etcd members: each leaves through
 * Kubernetes (drained, then its Node deleted, which makes k3s remove its etcd member), one after another, and if a
 * removal were left half done the remaining members must still be a majority. An even number of servers is
 * refused by the config rules.
 */
export function checkMembership(config: SiteConfig, members: ClusterMembers): Problem[] {
  if (config.k3s.datastore !== "etcd") return [];
  const before = members.previousServers;
  if (before.length === 0) return [];
  const removed = before.filter((s) => !members.members.includes(s));
  const stay = before.length - removed.length;
  const quorum = Math.floor(before.length / 2) + 1;
  if (removed.length === 0) return [];
  if (stay >= quorum) return removedWithHelper(config, members, removed);
  const most = before.length - quorum;
  const next = before.length - 2;
  const forward =
    most >= 2
      ? `remove at most ${most} per run, keeping an odd number (e.g. ${before.length} -> ${next})`
      : `one run may remove only ${most === 1 ? "1 of them" : "none of them"} and an even number of servers is refused, so ` +
        `${before.length} servers cannot shrink further this way: keep ${before.length}, or move the workloads to a new site`;
  return [
    {
      path: nodesKey(config),
      message:
        `would remove ${removed.length} of the cluster's ${before.length} etcd members (${removed.join(", ")}) in one ` +
        `run, leaving ${stay}: etcd needs ${quorum} of its ${before.length} members to agree, so a removal left half ` +
        `done would stop the cluster. Put the servers back, then ${forward}`,
    },
  ];
}

/**
 * The join server's removal runs on the next server of the record (helperOf), and the removal of every other node
 * runs on the join server: the two cannot both leave in one run, or the second removal would run on a server that
 * has just left etcd.
 */
function removedWithHelper(config: SiteConfig, members: ClusterMembers, removed: readonly string[]): Problem[] {
  const before = members.previousServers;
  const join = members.previousJoin;
  const helper = before.find((s) => s !== join);
  if (join === null || helper === undefined || !removed.includes(join) || !removed.includes(helper)) return [];
  return [
    {
      path: nodesKey(config),
      message:
        `would remove ${join}, the server the other nodes join through, together with ${helper}, the server ${join}'s ` +
        `removal runs on: remove them in two runs, ${helper} first (keep an odd number of servers at each run, e.g. ` +
        `by adding a server to another pool in the same run)`,
    },
  ];
}

/**
 * A Hetzner pool that had nodes and is gone from site.pools: the rename of a pool looks exactly like this (a pool's
 * name is part of its nodes' names, its subnet and their addresses), and it would delete every server of the pool.
 * Refused; a pool leaves once its count is 0.
 */
export function checkRemovedPools(config: SiteConfig, previous: unknown): Problem[] {
  if (!isHetzner(config.site) || previous === null || typeof previous !== "object") return [];
  const old = previous as Record<string, unknown>;
  if (!Array.isArray(old.serverTypes) || old.nodeIps === null || typeof old.nodeIps !== "object") return [];
  const current = new Set(config.site.pools.map((p) => p.name));
  const nodes = Object.keys(old.nodeIps as object);
  return old.serverTypes.flatMap((p: unknown): Problem[] => {
    const pool = (p as { pool?: unknown } | null)?.pool;
    if (typeof pool !== "string" || current.has(pool)) return [];
    const its = nodes.filter((n) => n.startsWith(`${pool}-`) && /^\d+$/.test(n.slice(pool.length + 1)));
    if (its.length === 0) return [];
    return [
      {
        path: "site.pools",
        message:
          `pool ${pool} is gone but still has ${its.length === 1 ? "node" : "nodes"} ${its.join(", ")}: a pool's name is ` +
          `part of its nodes' names, subnet and addresses, so renaming or removing it would delete ${its.length === 1 ? "its server" : "all its servers"} ` +
          `at once. If you renamed it, set the name back to ${pool}. To replace it: add the new pool beside it and pulumi up, ` +
          `then lower pool ${pool}'s count (each removed node is drained and deleted from Kubernetes before its server ` +
          `goes; servers keep a majority and an odd number at every run) down to 0, and only then remove it`,
      },
    ];
  });
}
