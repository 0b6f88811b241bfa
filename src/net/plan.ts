/**
 * The address plan of a Hetzner site: one subnet per pool and one private IP per node, each derived from a stable
 * key (the pool's name, the node's number in its pool), never from a position in a list. Adding or removing a pool
 * or a node therefore never moves another node: k3s pins node-ip, etcd pins peer URLs, and a moved address would
 * break both.
 */
import {
  addressAt,
  containsCidr,
  formatCidr,
  formatIp,
  overlaps,
  parseCidr,
  sizeOf,
  subnetAt,
  subnetCount,
  type Cidr,
} from "./cidr";

/** Addresses at the start of every subnet that nodes never get: network, Hetzner's gateway, spare room. */
export const RESERVED_HOST_OFFSET = 10;

/**
 * The key of the load balancer's subnet among the subnets of a Hetzner site, whose resources are named
 * `<infra>-subnet-<key>`, the pools' by their names: so no pool may be called this (src/config/rules.ts).
 */
export const EDGE_SUBNET_KEY = "edge";

export interface PoolPlanInput {
  readonly name: string;
  readonly count: number;
  /** Explicit subnet; when absent, the pool's slot comes from its name. */
  readonly subnet?: string;
}

export interface PlannedSubnet {
  readonly pool: string;
  readonly cidr: string;
}

export interface PlannedAddress {
  readonly pool: string;
  /** 1-based number of the node in its pool; the node is named `<pool>-<number>`. */
  readonly number: number;
  readonly name: string;
  readonly privateIp: string;
}

export interface NetworkPlan {
  /** The subnet that holds the load balancer: the first of the network, which no pool gets by default. */
  readonly edgeSubnet: string;
  readonly loadBalancerIp: string;
  readonly subnets: readonly PlannedSubnet[];
  readonly nodes: readonly PlannedAddress[];
}

/** A problem with the plan, phrased for the user: `path` is the config key, `message` the rest. */
export interface PlanProblem {
  readonly path: string;
  readonly message: string;
}

/** 32-bit FNV-1a: small, stable across platforms and Node versions, good enough to spread names over slots. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The default subnet slot of a pool: never slot 0 (the edge subnet). */
export function defaultSlot(poolName: string, slots: number): number {
  return 1 + (fnv1a(poolName) % (slots - 1));
}

/** Number of nodes a subnet holds after the reserved offset and the broadcast address. */
export function nodeCapacity(subnet: Cidr): number {
  const usable = sizeOf(subnet) - BigInt(RESERVED_HOST_OFFSET) - 1n;
  return usable > 0n ? Number(usable) : 0;
}

/** The private IP of node `number` (1-based) of a pool in `subnet`. */
export function nodeAddress(subnet: Cidr, number: number): string {
  return formatIp(addressAt(subnet, BigInt(RESERVED_HOST_OFFSET + number - 1)));
}

/**
 * Plans subnets and node addresses. Returns the plan and the problems found; the plan is only meaningful when
 * there are none. `poolsPath` is the config path of the pool list, for messages.
 */
export function planNetwork(
  networkCidr: string,
  subnetPrefix: number,
  pools: readonly PoolPlanInput[],
  paths: { readonly network: string; readonly pools: string },
): { plan: NetworkPlan; problems: PlanProblem[] } {
  const network = parseCidr(networkCidr);
  if (!network) throw new Error(`planNetwork: ${networkCidr} is not a CIDR; the schema should have refused it`);
  const problems: PlanProblem[] = [];
  const slots = subnetCount(network, subnetPrefix);
  if (slots < 2n) {
    problems.push({
      path: `${paths.network}.subnetPrefix`,
      message:
        `${subnetPrefix} leaves no room for pool subnets in ${formatCidr(network)}: ` +
        `use a prefix longer than /${network.prefix}, e.g. /${Math.min(network.prefix + 8, 28)}`,
    });
    return { plan: { edgeSubnet: formatCidr(network), loadBalancerIp: "", subnets: [], nodes: [] }, problems };
  }
  const slotCount = slots > 65536n ? 65536 : Number(slots);
  const edge = subnetAt(network, subnetPrefix, 0);

  const subnets: { pool: string; cidr: Cidr; explicit: boolean; index: number }[] = [];
  pools.forEach((pool, index) => {
    if (pool.subnet !== undefined) {
      const cidr = parseCidr(pool.subnet);
      if (!cidr) return; // the schema reports it
      if (!containsCidr(network, cidr)) {
        problems.push({
          path: `${paths.pools}[${index}].subnet`,
          message: `${pool.subnet} is outside ${paths.network}.cidr ${formatCidr(network)}: choose a range inside it`,
        });
        return;
      }
      subnets.push({ pool: pool.name, cidr, explicit: true, index });
    } else {
      subnets.push({ pool: pool.name, cidr: subnetAt(network, subnetPrefix, defaultSlot(pool.name, slotCount)), explicit: false, index });
    }
  });

  const taken: Cidr[] = [edge, ...subnets.map((s) => s.cidr)];
  for (const [i, a] of subnets.entries()) {
    const others: { name: string; cidr: Cidr }[] = [
      { name: `the load balancer's subnet`, cidr: edge },
      ...subnets.slice(0, i).map((s) => ({ name: `pool ${s.pool}`, cidr: s.cidr })),
    ];
    const clash = others.find((o) => overlaps(o.cidr, a.cidr));
    if (clash) {
      const free = firstFreeSlot(network, subnetPrefix, taken);
      problems.push({
        path: `${paths.pools}[${a.index}].subnet`,
        message:
          `pool ${a.pool} ${a.explicit ? "has" : "would get"} ${formatCidr(a.cidr)}, which overlaps ${clash.name} ` +
          `${formatCidr(clash.cidr)}: set ${paths.pools}[${a.index}].subnet to a free range` +
          (free ? `, e.g. ${formatCidr(free)}` : ""),
      });
    }
  }

  const nodes: PlannedAddress[] = [];
  for (const s of subnets) {
    const pool = pools[s.index] as PoolPlanInput;
    const capacity = nodeCapacity(s.cidr);
    if (pool.count > capacity) {
      problems.push({
        path: `${paths.pools}[${s.index}].count`,
        message:
          `${pool.count} nodes do not fit in pool ${pool.name}'s subnet ${formatCidr(s.cidr)}, which holds ${capacity}: ` +
          `lower the count or give the pool a larger subnet`,
      });
      continue;
    }
    for (let number = 1; number <= pool.count; number++) {
      nodes.push({ pool: pool.name, number, name: `${pool.name}-${number}`, privateIp: nodeAddress(s.cidr, number) });
    }
  }

  return {
    plan: {
      edgeSubnet: formatCidr(edge),
      loadBalancerIp: nodeAddress(edge, 1),
      subnets: subnets.map((s) => ({ pool: s.pool, cidr: formatCidr(s.cidr) })),
      nodes,
    },
    problems,
  };
}

function firstFreeSlot(network: Cidr, prefix: number, taken: readonly Cidr[]): Cidr | undefined {
  const count = subnetCount(network, prefix);
  const limit = count > 65536n ? 65536 : Number(count);
  for (let i = 1; i < limit; i++) {
    const candidate = subnetAt(network, prefix, i);
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  return undefined;
}
