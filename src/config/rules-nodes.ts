/**
 * Cross-field rules on the site's nodes: how many servers, unique names and addresses, addresses inside the network,
 * a network zone that holds the location.
 */
import { containsIp, parseCidr, parseIp, sizeOf } from "../net/cidr";
import { EDGE_SUBNET_KEY } from "../net/plan";
import { type Problem, type RuleContext } from "./problems";
import { HETZNER_LOCATIONS } from "../hetzner/schema";
import type { SiteConfig } from "./site";

/**
 * embedded etcd needs a quorum: 1 server, or an odd number so that losing a minority keeps the majority.
 * `context.runningServers`: the servers of the running cluster (the previous deployment's record), when known: the advice then
 * names only counts one run can reach (src/cluster/membership.ts refuses a removal that breaks the quorum).
 */
export function checkServerCount(config: SiteConfig, context: RuleContext = {}): Problem[] {
  const running = context.runningServers;
  // Counted from the config, not from the planned nodes: a pool the address plan refused still counts.
  const servers =
    config.site.kind === "hetzner"
      ? config.site.pools.filter((p) => p.role === "server").reduce((sum, p) => sum + p.count, 0)
      : config.site.hosts.filter((h) => h.role === "server").length;
  const where = config.site.kind === "hetzner" ? "site.pools" : "site.hosts";
  const sqlite = config.k3s.datastore === "sqlite";
  if (servers === 0) {
    return [{ path: where, message: `has 0 nodes with role server: ${serverCountAdvice([1, 3], running, "a site needs 1 server, or 3, 5 or 7 for high availability")}` }];
  }
  if (sqlite && servers > 1) {
    // One hint, not two: "use an odd number" and "sqlite allows one" would pull the user two ways.
    const etcd = servers % 2 === 0 ? `${servers - 1} or ${servers + 1}` : String(servers);
    return [
      {
        path: "k3s.datastore",
        message: `"sqlite" supports one server, and ${where} has ${servers}: use 1 server, or remove k3s.datastore (etcd, the default) with ${etcd} servers`,
      },
    ];
  }
  if (!sqlite && servers % 2 === 0) {
    return [
      {
        path: where,
        message: `has ${servers} nodes with role server: etcd needs an odd number to keep a quorum; ${serverCountAdvice([servers - 1, servers + 1], running)}`,
      },
    ];
  }
  return [];
}

/**
 * "use a or b", or, with a running cluster of `running` servers, only the counts one run reaches without losing
 * etcd's quorum (a majority of the running members must stay).
 */
export function serverCountAdvice(counts: readonly number[], running?: number, fresh?: string): string {
  const list = (ns: readonly number[]) => ns.join(" or ");
  if (running === undefined || running === 0) return fresh ?? `use ${list(counts)}`;
  const quorum = Math.floor(running / 2) + 1;
  const reachable = counts.filter((n) => n >= quorum);
  const refused = counts.filter((n) => n < quorum);
  const why = refused.map((n) => `${n} would remove ${running - n} of its ${running} etcd members in one run`).join("; ");
  if (reachable.length === 0) return `the running cluster has ${running} servers: keep ${running} (${why})`;
  return `the running cluster has ${running} servers, so use ${list(reachable)}` + (why ? ` (${why})` : "");
}

export function checkUniqueNodes(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.site.kind === "hetzner") {
    const seen = new Map<string, number>();
    config.site.pools.forEach((pool, i) => {
      const first = seen.get(pool.name);
      if (first !== undefined) {
        problems.push({
          path: `site.pools[${i}].name`,
          message: `"${pool.name}" is also the name of site.pools[${first}]: pool names must be unique`,
        });
      } else seen.set(pool.name, i);
      // Subnets are named after their pool, and the load balancer's after EDGE_SUBNET_KEY: Pulumi refuses two
      // resources with one URN (a duplicate URN).
      if (pool.name === EDGE_SUBNET_KEY) {
        problems.push({
          path: `site.pools[${i}].name`,
          message:
            `"${pool.name}" is the name of the load balancer's subnet, and each pool's subnet is named after its pool: ` +
            `choose another pool name, e.g. ${pool.name}-nodes`,
        });
      }
    });
    return problems;
  }
  const hosts = config.site.hosts;
  const keys: [string, (h: (typeof hosts)[number]) => string, string][] = [
    ["name", (h) => h.name, "node names must be unique"],
    ["privateIp", (h) => h.privateIp, "each host needs its own private address"],
    ["address", (h) => `${h.address}:${h.port}`, "two entries reach the same machine; remove one"],
  ];
  for (const [field, key, fix] of keys) {
    const seen = new Map<string, number>();
    hosts.forEach((host, i) => {
      const value = key(host);
      const first = seen.get(value);
      if (first !== undefined) {
        problems.push({
          path: `site.hosts[${i}].${field}`,
          message: `${value} is also used by site.hosts[${first}] (${hosts[first]!.name}): ${fix}`,
        });
      } else seen.set(value, i);
    });
  }
  return problems;
}

export function checkAddressesInNetwork(config: SiteConfig): Problem[] {
  if (config.site.kind !== "ssh") return []; // Hetzner addresses are planned inside their subnets
  const network = parseCidr(config.site.network.cidr);
  if (!network) return [];
  return config.site.hosts.flatMap((host, i) => {
    const ip = parseIp(host.privateIp);
    if (!ip) return [];
    if (containsIp(network, ip) && network.prefix < 31) {
      const what =
        ip.value === network.network
          ? "the network address"
          : ip.value === network.network + sizeOf(network) - 1n
            ? "the broadcast address"
            : undefined;
      if (what === undefined) return [];
      return [
        {
          path: `site.hosts[${i}].privateIp`,
          message: `${host.privateIp} is ${what} of site.network.cidr ${config.site.network.cidr}, not a host's: use ${host.name}'s own address (ip -4 addr on the host)`,
        },
      ];
    }
    if (containsIp(network, ip)) return [];
    return [
      {
        path: `site.hosts[${i}].privateIp`,
        message: `${host.privateIp} is outside site.network.cidr ${config.site.network.cidr}: use the host's address on that network, or widen site.network.cidr`,
      },
    ];
  });
}

export function checkNetworkZone(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const expected = HETZNER_LOCATIONS[config.site.location];
  if (config.site.networkZone === expected) return [];
  return [
    {
      path: "site.networkZone",
      message: `"${config.site.networkZone}" does not contain site.location "${config.site.location}", which is in "${expected}": set site.networkZone to ${expected}, or leave it unset`,
    },
  ];
}
