/**
 * The routers' side of Calico's BGP: for each segment with a router, the neighbour configuration to merge into the
 * router, as FRR (frr.conf) and BIRD 2 (bird.conf). Neighbours are the segment's nodes, in the cluster's AS; what
 * the router accepts from them, and sends back, is the cluster's prefixes: pod blocks out of k3s.clusterCidr (and
 * clusterCidrV6), and the Service ranges Calico advertises (BGPConfiguration serviceClusterIPs, and the
 * LoadBalancer and external IP ranges when declared). Plain text; the session password is never written here.
 */
import type { SiteConfig } from "../../config/site";
import { parseCidr } from "../../net/cidr";
import { routedSegments, type BGPConfiguration } from "./resources";
import { calicoBgpConfiguration } from "./resources";
import type { SegmentConfig } from "./schema";

/** One segment's router: who it peers with and which prefixes it takes from them. */
export interface RouterPlan {
  readonly segment: string;
  readonly router: NonNullable<SegmentConfig["router"]>;
  /** The cluster's AS: every node's. */
  readonly clusterAs: number;
  readonly neighbours: readonly { readonly node: string; readonly address: string; readonly family: 4 | 6 }[];
  readonly prefixes: { readonly v4: readonly string[]; readonly v6: readonly string[] };
}

/** The prefixes the cluster advertises, each with the lengths Calico may announce inside it (up to host routes). */
export function clusterPrefixes(config: SiteConfig): { v4: string[]; v6: string[] } {
  const bgp: BGPConfiguration = calicoBgpConfiguration(config);
  const all = [
    config.k3s.clusterCidr,
    ...(config.k3s.ipFamilies === "dual-stack" && config.k3s.clusterCidrV6 ? [config.k3s.clusterCidrV6] : []),
    ...bgp.spec.serviceClusterIPs.map((c) => c.cidr),
    ...(bgp.spec.serviceLoadBalancerIPs ?? []).map((c) => c.cidr),
    ...(bgp.spec.serviceExternalIPs ?? []).map((c) => c.cidr),
  ];
  const unique = [...new Set(all)];
  return { v4: unique.filter((c) => parseCidr(c)?.version === 4), v6: unique.filter((c) => parseCidr(c)?.version === 6) };
}

export function routerPlans(config: SiteConfig): RouterPlan[] {
  const prefixes = clusterPrefixes(config);
  const dual = config.k3s.ipFamilies === "dual-stack";
  return routedSegments(config).map((segment) => {
    const nodes = config.nodes.filter((n) => n.segment === segment.name);
    return {
      segment: segment.name,
      router: segment.router,
      clusterAs: config.cni.calico.bgp.asNumber,
      neighbours: [
        ...nodes.map((n) => ({ node: n.name, address: n.privateIp, family: 4 as const })),
        ...(dual && segment.router.addressV6 !== undefined
          ? nodes.flatMap((n) => (n.privateIpv6 ? [{ node: n.name, address: n.privateIpv6, family: 6 as const }] : []))
          : []),
      ],
      prefixes: { v4: prefixes.v4, ...{ v6: dual && segment.router.addressV6 !== undefined ? prefixes.v6 : [] } },
    };
  });
}

const bits = (cidr: string): number => (parseCidr(cidr)?.version === 6 ? 128 : 32);
const prefixLength = (cidr: string): number => parseCidr(cidr)?.prefix ?? 0;

function header(plan: RouterPlan, comment: string, stack: string): string[] {
  return [
    `${comment} k3s-sites: BGP neighbours of the router of segment ${plan.segment} (${plan.router.address}, AS ${plan.router.asNumber})`,
    `${comment} for the nodes of cluster ${stack} (AS ${plan.clusterAs}). Generated: merge into the router's own configuration.`,
    `${comment} Accepted from the nodes and sent back to them: the cluster's prefixes only.`,
    `${comment} What else the router needs (its own protocols, the VPN between the routers): k3s-sites docs/networking.md.`,
  ];
}

/** frr.conf lines: prefix lists and route maps in and out, a peer group per family, one neighbour per node. */
export function renderFrr(plan: RouterPlan, stack: string): string {
  const lines = [...header(plan, "!", stack), "!", "frr defaults traditional", "!"];
  const families: [4 | 6, readonly string[], string, string][] = [
    [4, plan.prefixes.v4, "ip", "K3S-SITES"],
    [6, plan.prefixes.v6, "ipv6", "K3S-SITES-V6"],
  ];
  const used = families.filter(([family, prefixes]) => prefixes.length > 0 && plan.neighbours.some((n) => n.family === family));
  for (const [, prefixes, ip, group] of used) {
    prefixes.forEach((p, i) => lines.push(`${ip} prefix-list ${group} seq ${(i + 1) * 5} permit ${p} ge ${prefixLength(p)} le ${bits(p)}`));
    lines.push("!", `route-map ${group} permit 10`, ` match ${ip} address prefix-list ${group}`, "exit", "!");
  }
  lines.push(`router bgp ${plan.router.asNumber}`, ` bgp router-id ${plan.router.address}`, " no bgp default ipv4-unicast");
  for (const [family, , , group] of used) {
    lines.push(` neighbor ${group} peer-group`, ` neighbor ${group} remote-as ${plan.clusterAs}`);
    if (plan.router.password) lines.push(` ! neighbor ${group} password <the secret k3s-sites:bgpPassword>`);
    for (const n of plan.neighbours.filter((x) => x.family === family)) lines.push(` neighbor ${n.address} peer-group ${group}`);
  }
  for (const [family, , , group] of used) {
    lines.push(
      " !",
      ` address-family ipv${family} unicast`,
      `  neighbor ${group} activate`,
      `  neighbor ${group} route-map ${group} in`,
      `  neighbor ${group} route-map ${group} out`,
      " exit-address-family",
    );
  }
  lines.push("exit", "!");
  return `${lines.join("\n")}\n`;
}

/** A BIRD protocol name: letters, digits and underscores. */
function birdName(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, "_");
}

/** bird.conf lines: a filter per family, a template per family, one bgp protocol per node and family. */
export function renderBird(plan: RouterPlan, stack: string): string {
  const lines = [...header(plan, "#", stack), ""];
  const families: [4 | 6, readonly string[]][] = [
    [4, plan.prefixes.v4],
    [6, plan.prefixes.v6],
  ];
  for (const [family, prefixes] of families) {
    const neighbours = plan.neighbours.filter((n) => n.family === family);
    if (prefixes.length === 0 || neighbours.length === 0) continue;
    const filter = `k3s_sites_v${family}`;
    const template = `k3s_sites_nodes_v${family}`;
    lines.push(
      `filter ${filter} {`,
      `  if net ~ [ ${prefixes.map((p) => `${p}+`).join(", ")} ] then accept;`,
      "  reject;",
      "}",
      "",
      `template bgp ${template} {`,
      `  local as ${plan.router.asNumber};`,
      ...(plan.router.password ? [`  # password "<the secret k3s-sites:bgpPassword>";`] : []),
      `  ipv${family} {`,
      `    import filter ${filter};`,
      `    export filter ${filter};`,
      "  };",
      "}",
      "",
    );
    for (const n of neighbours) {
      lines.push(`protocol bgp ${birdName(`k3s_${n.node}_v${family}`)} from ${template} {`, `  neighbor ${n.address} as ${plan.clusterAs};`, "}", "");
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Every router file of the site: `<segment>.frr.conf` and `<segment>.bird.conf`. */
export function routerFiles(config: SiteConfig, stack: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const plan of routerPlans(config)) {
    files[`${plan.segment}.frr.conf`] = renderFrr(plan, stack);
    files[`${plan.segment}.bird.conf`] = renderBird(plan, stack);
  }
  return files;
}
