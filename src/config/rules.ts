/**
 * Cross-field rules of a site: what no single field can say wrong on its own. Each rule returns its problems; the
 * loader runs them all and reports every problem at once, before any resource exists.
 */
import {
  containsCidr,
  containsIp,
  formatCidr,
  overlaps,
  parseCidr,
  parseIp,
  sizeOf,
  suggestFreeRange,
  type Cidr,
} from "../net/cidr";
import { EDGE_SUBNET_KEY } from "../net/plan";
import { unexpectedProblem, type Problem } from "./problems";
import { CONCERN_RULES } from "../concerns/registry";
import { checkNodeNames, checkStackName as checkHetznerStackName } from "../hetzner/rules-names";
import { checkHetznerNetwork, checkNatGatewayAddress, checkOperatorAddresses } from "../hetzner/rules-network";
import { checkClusterRanges } from "../k3s/rules-ranges";
import { checkKubernetesVersion } from "../k3s/rules-versions";
import { checkUnusedSettings } from "./rules-unused";
import { CERT_MANAGER, NGINX } from "../edge/names";
import { checkHetznerLimits } from "../hetzner/limits";
import { HETZNER_LOCATIONS } from "./schema";
import type { SiteConfig } from "./site";

interface NamedRange {
  readonly path: string;
  readonly cidr: Cidr;
  readonly lbPool?: boolean;
}

/** Every range of the site: pods, services, nodes, load-balancer pools. */
function siteRanges(config: SiteConfig): NamedRange[] {
  const ranges: [string, string | undefined][] = [
    ["k3s.clusterCidr", config.k3s.clusterCidr],
    ["k3s.serviceCidr", config.k3s.serviceCidr],
    ["site.network.cidr", config.nodeCidr],
    ["k3s.clusterCidrV6", config.k3s.clusterCidrV6],
    ["k3s.serviceCidrV6", config.k3s.serviceCidrV6],
    ...config.cni.cilium.loadBalancerPools.map((p, i): [string, string] => [`cni.cilium.loadBalancerPools[${i}]`, p]),
  ];
  return ranges.flatMap(([path, text]) => {
    const cidr = text === undefined ? undefined : parseCidr(text);
    return cidr ? [{ path, cidr, lbPool: path.startsWith("cni.") }] : [];
  });
}

/**
 * Pods, services, the node network and load-balancer pools must be disjoint, with one exception: a load-balancer
 * pool may (and with L2 announcements must) lie inside the node network, as long as it holds no node's address.
 */
export function checkDisjointRanges(config: SiteConfig): Problem[] {
  const ranges = siteRanges(config);
  const problems: Problem[] = [];
  ranges.forEach((range, i) => {
    const clash = ranges
      .slice(0, i)
      .find((other) => overlaps(other.cidr, range.cidr) && !(range.lbPool && other.path === "site.network.cidr"));
    if (!clash) return;
    const free = range.lbPool ? undefined : suggestFreeRange(range.cidr, ranges.map((r) => r.cidr));
    problems.push({
      path: range.path,
      message:
        `${formatCidr(range.cidr)} overlaps ${clash.path} ${formatCidr(clash.cidr)}: choose disjoint ranges` +
        (free ? `, e.g. ${formatCidr(free)}` : ""),
    });
  });
  return problems;
}

export function checkLoadBalancerPools(config: SiteConfig): Problem[] {
  const network = parseCidr(config.nodeCidr);
  const l2 = config.cni.cilium.l2Announcements !== undefined;
  return siteRanges(config)
    .filter((r) => r.lbPool)
    .flatMap((pool): Problem[] => {
      const node = config.nodes.find((n) => {
        const ip = parseIp(n.privateIp);
        return ip !== undefined && containsIp(pool.cidr, ip);
      });
      if (node) {
        return [
          {
            path: pool.path,
            message: `${formatCidr(pool.cidr)} holds node ${node.name}'s address ${node.privateIp}: pick a range of free addresses, outside your DHCP range`,
          },
        ];
      }
      if (l2 && network && !containsCidr(network, pool.cidr)) {
        return [
          {
            path: pool.path,
            message: `${formatCidr(pool.cidr)} is outside site.network.cidr ${config.nodeCidr}: L2 announcements answer ARP on the LAN, so the pool must be free addresses of that LAN`,
          },
        ];
      }
      return [];
    });
}

export function checkClusterDns(config: SiteConfig): Problem[] {
  const service = parseCidr(config.k3s.serviceCidr);
  const dns = parseIp(config.k3s.clusterDns);
  if (!service || !dns || containsIp(service, dns)) return [];
  return [
    {
      path: "k3s.clusterDns",
      message: `${config.k3s.clusterDns} is outside k3s.serviceCidr ${config.k3s.serviceCidr}: pick an address inside it, or leave clusterDns unset for the 10th address`,
    },
  ];
}

/** embedded etcd needs a quorum: 1 server, or an odd number so that losing a minority keeps the majority. */
export function checkServerCount(config: SiteConfig): Problem[] {
  // Counted from the config, not from the planned nodes: a pool the address plan refused still counts.
  const servers =
    config.site.kind === "hetzner"
      ? config.site.pools.filter((p) => p.role === "server").reduce((sum, p) => sum + p.count, 0)
      : config.site.hosts.filter((h) => h.role === "server").length;
  const where = config.site.kind === "hetzner" ? "site.pools" : "site.hosts";
  const problems: Problem[] = [];
  if (servers === 0) {
    problems.push({
      path: where,
      message: `has 0 nodes with role server: a site needs 1 server, or 3, 5 or 7 for high availability`,
    });
  } else if (servers % 2 === 0) {
    problems.push({
      path: where,
      message: `has ${servers} nodes with role server: etcd needs an odd number to keep a quorum; use ${servers - 1} or ${servers + 1}`,
    });
  }
  if (config.k3s.datastore === "sqlite" && servers > 1) {
    problems.push({
      path: "k3s.datastore",
      message: `"sqlite" supports one server, and ${where} has ${servers}: use etcd (the default) for several servers`,
    });
  }
  return problems;
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

export function checkDualStack(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  const k3s = config.k3s;
  if (k3s.ipFamilies === "dual-stack") {
    for (const key of ["clusterCidrV6", "serviceCidrV6"] as const) {
      if (k3s[key] === undefined) {
        problems.push({
          path: `k3s.${key}`,
          message: `is required when k3s.ipFamilies is dual-stack: set an IPv6 range, e.g. ${key === "clusterCidrV6" ? "fd00:42::/56" : "fd00:43::/112"}`,
        });
      }
    }
    const service = k3s.serviceCidrV6 ? parseCidr(k3s.serviceCidrV6) : undefined;
    if (service && service.prefix < 108) {
      problems.push({
        path: "k3s.serviceCidrV6",
        message: `${k3s.serviceCidrV6} is too large: Kubernetes allows IPv6 service ranges of /108 or smaller, e.g. fd00:43::/112`,
      });
    }
    if (config.site.kind === "hetzner") {
      problems.push({
        path: "k3s.ipFamilies",
        message:
          "dual-stack is not possible on a hetzner site: Hetzner private networks carry IPv4 only, and k3s needs an " +
          "IPv6 node address on the network its nodes talk over. Use ipv4 (the load balancer still has a public IPv6)",
      });
    } else {
      config.site.hosts.forEach((host, i) => {
        if (host.privateIpv6 === undefined) {
          problems.push({
            path: `site.hosts[${i}].privateIpv6`,
            message: `is required when k3s.ipFamilies is dual-stack: k3s refuses a dual-stack cluster whose node ${host.name} has only an IPv4 node-ip; set the host's IPv6 address on the LAN`,
          });
        }
      });
    }
  } else {
    for (const key of ["clusterCidrV6", "serviceCidrV6"] as const) {
      if (k3s[key] !== undefined) {
        problems.push({
          path: `k3s.${key}`,
          message: `${k3s[key]} is set but k3s.ipFamilies is ipv4: set k3s.ipFamilies to dual-stack, or remove ${key}`,
        });
      }
    }
  }
  return problems;
}

/** Load-balancer ports are unique, and 80/443 belong to the ingress. */
export function checkLoadBalancer(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const lb = config.site.loadBalancer;
  const problems: Problem[] = [];
  const ports = new Map<number, string>([
    [80, "the ingress (http)"],
    [443, "the ingress (https)"],
  ]);
  const names = new Set(["http", "https"]);
  lb.services.forEach((service, i) => {
    const taken = ports.get(service.listenPort);
    if (taken) {
      problems.push({
        path: `site.loadBalancer.services[${i}].listenPort`,
        message: `${service.listenPort} is already used by ${taken}: each listen port can be forwarded once`,
      });
    } else ports.set(service.listenPort, `site.loadBalancer.services[${i}] (${service.name})`);
    if (names.has(service.name)) {
      problems.push({
        path: `site.loadBalancer.services[${i}].name`,
        message: `"${service.name}" is already used: give each port its own name`,
      });
    }
    names.add(service.name);
  });
  if (lb.healthCheck.timeoutSeconds > lb.healthCheck.intervalSeconds) {
    problems.push({
      path: "site.loadBalancer.healthCheck.timeoutSeconds",
      message: `${lb.healthCheck.timeoutSeconds} is longer than intervalSeconds ${lb.healthCheck.intervalSeconds}: a check must time out before the next one starts`,
    });
  }
  return problems;
}

/** Without a public IPv4, the nodes reach IPv4-only places (registries, ACME) through a NAT server in the network. */
export function checkPublicIpv4(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const { publicIpv4, network } = config.site;
  if (publicIpv4 && network.natGateway !== undefined) {
    return [
      {
        path: "site.network.natGateway",
        message: `${network.natGateway} is set but site.publicIpv4 is true: remove it, or set site.publicIpv4: false to route outbound traffic through it`,
      },
    ];
  }
  if (publicIpv4) return [];
  if (network.natGateway === undefined) {
    return [
      {
        path: "site.network.natGateway",
        message:
          "is required when site.publicIpv4 is false: nodes without a public IPv4 need a NAT server in the network " +
          "(see README, 'Nodes without public IPv4'), e.g. 10.0.0.2",
      },
    ];
  }
  const cidr = parseCidr(network.cidr);
  const ip = parseIp(network.natGateway);
  if (cidr && ip && !containsIp(cidr, ip)) {
    return [
      {
        path: "site.network.natGateway",
        message: `${network.natGateway} is outside site.network.cidr ${network.cidr}: use the NAT server's private address`,
      },
    ];
  }
  const node = config.nodes.find((n) => n.privateIp === network.natGateway);
  if (node) {
    return [
      {
        path: "site.network.natGateway",
        message: `${network.natGateway} is node ${node.name}'s address: use the NAT server's own private address`,
      },
    ];
  }
  return [];
}

/**
 * Namespaces no app may live in: k3s's own, where a default-deny would cut off CoreDNS and the CNI, and the edge's,
 * whose policies k3s-sites writes itself.
 */
const RESERVED_NAMESPACES: Readonly<Record<string, string>> = {
  "kube-system": "k3s's own namespace (CoreDNS, the CNI, metrics-server)",
  "kube-public": "a namespace Kubernetes reserves",
  "kube-node-lease": "a namespace Kubernetes reserves",
  [NGINX.namespace]: "the ingress controller's namespace",
  [CERT_MANAGER.namespace]: "cert-manager's namespace",
};

function showLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")}}`;
}

/**
 * Two selectors can pick the same pod unless they require different values of one label. Apps in one namespace must
 * not, or one app's policy would also open or close the other's pods.
 */
export function selectorsDisjoint(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return Object.entries(a).some(([key, value]) => key in b && b[key] !== value);
}

/**
 * Declared app traffic refers to apps that exist, on ports they declare, and both ends agree: a call needs the
 * caller's `to` and the callee's `from`, since each end's policy stops it otherwise.
 */
export function checkApps(config: SiteConfig): Problem[] {
  const apps = config.networkPolicies.apps;
  const at = (i: number): string => `networkPolicies.apps[${i}]`;
  const problems: Problem[] = [];
  const byName = new Map<string, number>();
  apps.forEach((app, i) => {
    const first = byName.get(app.name);
    if (first !== undefined) {
      problems.push({ path: `${at(i)}.name`, message: `"${app.name}" is also the name of ${at(first)}: app names must be unique` });
    } else byName.set(app.name, i);
  });
  const unknown = (path: string, name: string): Problem => ({
    path,
    message: `"${name}" is not a declared app: declare it under networkPolicies.apps, or fix the name`,
  });
  const k3s = config.k3s;
  const clusterRanges: [string, string | undefined, string][] = [
    ["k3s.clusterCidr", k3s.clusterCidr, "pod addresses change whenever a pod restarts; declare those pods as an app and name it"],
    ["k3s.clusterCidrV6", k3s.clusterCidrV6, "pod addresses change whenever a pod restarts; declare those pods as an app and name it"],
    ["k3s.serviceCidr", k3s.serviceCidr, "policies see a Service's pods, after its address is translated, so nothing ever matches it; name the app behind the Service instead"],
    ["k3s.serviceCidrV6", k3s.serviceCidrV6, "policies see a Service's pods, after its address is translated, so nothing ever matches it; name the app behind the Service instead"],
  ];
  const checkCidr = (path: string, text: string): void => {
    const cidr = parseCidr(text);
    if (!cidr) return; // the schema reports it
    for (const [key, rangeText, why] of clusterRanges) {
      const range = rangeText === undefined ? undefined : parseCidr(rangeText);
      if (range && containsCidr(range, cidr)) {
        problems.push({ path, message: `${text} lies inside ${key} ${rangeText}: ${why}` });
        return;
      }
    }
  };

  apps.forEach((app, i) => {
    const reserved = RESERVED_NAMESPACES[app.namespace];
    if (reserved) {
      problems.push({
        path: `${at(i)}.namespace`,
        message: `"${app.namespace}" is ${reserved}, whose policies k3s-sites writes itself: put the app in a namespace of its own, e.g. ${app.name}`,
      });
    }
    const ports = new Map<string, number>();
    app.ports.forEach((p, j) => {
      const key = `${p.port}/${p.protocol}`;
      const first = ports.get(key);
      if (first !== undefined) {
        problems.push({ path: `${at(i)}.ports[${j}]`, message: `${key} is also ${at(i)}.ports[${first}]: declare each port once` });
      } else ports.set(key, j);
    });
    if (app.from.length > 0 && app.ports.length === 0) {
      problems.push({
        path: `${at(i)}.ports`,
        message: "is empty, but from lists callers: declare the ports they call, e.g. [{port: 8080}]",
      });
    }
    apps.slice(0, i).forEach((other, k) => {
      if (other.namespace !== app.namespace || selectorsDisjoint(app.podSelector, other.podSelector)) return;
      problems.push({
        path: `${at(i)}.podSelector`,
        message:
          `${showLabels(app.podSelector)} can select the pods of ${at(k)} (${other.name}, ${showLabels(other.podSelector)}) ` +
          `in namespace ${app.namespace}, and each app's policy would apply to both: give the two apps different values ` +
          `of one label, e.g. app: ${app.name} and app: ${other.name}`,
      });
    });

    app.from.forEach((peer, j) => {
      const path = `${at(i)}.from[${j}]`;
      if (peer.app !== undefined) {
        const k = byName.get(peer.app);
        if (k === undefined) problems.push(unknown(`${path}.app`, peer.app));
        else if (!apps[k]!.to.some((t) => t.app === app.name)) {
          problems.push({
            path: `${path}.app`,
            message: `"${peer.app}" does not list "${app.name}" under to, so its own policy stops the call: add {app: ${app.name}} to ${at(k)}.to, or remove this entry`,
          });
        }
      }
      if (peer.loadBalancer && config.site.kind !== "hetzner") {
        problems.push({
          path: `${path}.loadBalancer`,
          message:
            "is for hetzner sites, whose load balancer forwards from its private address; on this site traffic comes " +
            `from the clients themselves: list them as cidr, e.g. ${config.nodeCidr} (the LAN) or 0.0.0.0/0 (anyone)`,
        });
      }
      if (peer.cidr !== undefined) checkCidr(`${path}.cidr`, peer.cidr);
    });

    app.to.forEach((peer, j) => {
      const path = `${at(i)}.to[${j}]`;
      if (peer.app !== undefined) {
        const k = byName.get(peer.app);
        if (k === undefined) problems.push(unknown(`${path}.app`, peer.app));
        else {
          const target = apps[k]!;
          if (!target.from.some((f) => f.app === app.name)) {
            problems.push({
              path: `${path}.app`,
              message: `"${peer.app}" does not accept calls from "${app.name}": add {app: ${app.name}} to ${at(k)}.from, or remove this entry`,
            });
          }
          const declared = target.ports.map((p) => `${p.port}/${p.protocol}`);
          peer.ports?.forEach((p, m) => {
            if (declared.includes(`${p.port}/${p.protocol}`)) return;
            problems.push({
              path: `${path}.ports[${m}]`,
              message:
                `${p.port}/${p.protocol} is not a port of app "${target.name}", which declares ` +
                `${declared.length > 0 ? declared.join(", ") : "none"}: use one of those, or add it to ${at(k)}.ports`,
            });
          });
        }
      }
      if (peer.cidr !== undefined) {
        if (peer.ports === undefined) {
          problems.push({
            path: `${path}.ports`,
            message: `is required with cidr: list the ports ${app.name} calls at ${peer.cidr}, e.g. [{port: 587}]`,
          });
        }
        checkCidr(`${path}.cidr`, peer.cidr);
      }
      if (peer.dns && peer.ports !== undefined) {
        problems.push({
          path: `${path}.ports`,
          message: "does not apply to dns, which is always port 53 over UDP and TCP: remove it",
        });
      }
    });
  });
  return problems;
}

export const RULES: readonly ((config: SiteConfig) => Problem[])[] = [
  checkNetworkZone,
  checkHetznerNetwork,
  checkOperatorAddresses,
  checkNodeNames,
  checkUniqueNodes,
  checkAddressesInNetwork,
  checkServerCount,
  checkDisjointRanges,
  checkLoadBalancerPools,
  checkClusterDns,
  checkClusterRanges,
  checkDualStack,
  // Each concern's own rules (src/concerns/registry.ts).
  ...CONCERN_RULES,
  checkLoadBalancer,
  checkHetznerLimits,
  checkPublicIpv4,
  checkNatGatewayAddress,
  checkKubernetesVersion,
  checkApps,
];

/** Runs a rule; a rule that throws is itself a problem, never a stack trace. */
function run<A extends unknown[]>(rule: (...args: A) => Problem[], ...args: A): Problem[] {
  try {
    return rule(...args);
  } catch (err) {
    return [unexpectedProblem(`k3s-sites (rule ${rule.name})`, err)];
  }
}

export function checkRules(config: SiteConfig): Problem[] {
  return RULES.flatMap((rule) => run(rule, config));
}

/** Rules that need the stack config as written, before defaults filled it. */
export function checkRawRules(raw: Readonly<Record<string, unknown>>, config: SiteConfig): Problem[] {
  return run(checkUnusedSettings, raw, config);
}

/** Rules on the stack's name, which names the site's objects. */
export function checkStackName(stack: string, config: SiteConfig): Problem[] {
  return run(checkHetznerStackName, stack, config);
}
