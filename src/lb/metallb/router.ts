/**
 * The routers' side of MetalLB BGP (`site.loadBalancer.metallb.bgp.peers`): for each peer, the neighbour configuration
 * to merge into that router, as FRR (frr.conf) and BIRD 2 (bird.conf). Neighbours are the nodes that peer with it
 * (the peer's nodeSelector, where the program knows the label), in `bgp.asn`; what the router accepts from them is
 * the addresses of the pools announced over BGP, as host routes (MetalLB announces each Service address with the
 * BGPAdvertisement's aggregationLength, 32 and 128 when unset: internal/config/config.go at v0.16.1,
 * BGPAdvertisement defaults; speaker/bgp_controller.go SetBalancer masks the address with it). It sends them nothing:
 * the speaker takes nothing in (FRR-K8s's incoming filter denies everything unless toReceive allows it).
 *
 * A router that runs FRR needs an import policy for eBGP (FRR's `bgp ebgp-requires-policy`, on by default since
 * 7.4): without the route map below it keeps the sessions up and installs nothing. test/lab/metallb.test.ts runs these
 * files against a speaker configured as FRR-K8s would be from the emitted objects.
 */
import type { SiteConfig } from "../../config/site";
import { formatCidr, parseCidr, type Cidr, type IpVersion } from "../../net/cidr";
import { metallbOf } from "./metallb";
import { parseRange, type IpRange } from "./schema";

/** The label k3s sets on every node to its name, the only node label the program knows. */
const HOSTNAME_LABEL = "kubernetes.io/hostname";

export interface MetallbRouterPlan {
  /** The BGPPeer's name. */
  readonly peer: string;
  readonly address: string;
  readonly asn: number;
  /** The nodes' AS (bgp.asn). */
  readonly clusterAs: number;
  readonly neighbours: readonly { readonly node: string; readonly address: string }[];
  /** The BGP pools' addresses as CIDRs of the router's family. */
  readonly prefixes: readonly string[];
}

/** The smallest list of CIDRs that covers a range exactly. */
export function rangeCidrs(range: IpRange): Cidr[] {
  const bits = range.version === 4 ? 32 : 128;
  const out: Cidr[] = [];
  let first = range.first;
  while (first <= range.last) {
    let size = 0;
    while (size < bits && (first & ((1n << BigInt(size + 1)) - 1n)) === 0n && first + (1n << BigInt(size + 1)) - 1n <= range.last) size++;
    out.push({ version: range.version, base: first, network: first, prefix: bits - size });
    first += 1n << BigInt(size);
  }
  return out;
}

function versionOf(address: string): IpVersion {
  return address.includes(":") ? 6 : 4;
}

export function metallbRouterPlans(config: SiteConfig): MetallbRouterPlan[] {
  const metallb = metallbOf(config);
  if (!metallb?.bgp) return [];
  const bgp = metallb.bgp;
  return bgp.peers.map((peer) => {
    const version = versionOf(peer.address);
    const selector = peer.nodeSelector ?? {};
    const hostname = selector[HOSTNAME_LABEL];
    // Other labels are set outside the program: every node is listed, and a node that does not peer stays idle.
    const nodes = config.nodes.filter((n) => hostname === undefined || n.name === hostname);
    const prefixes = metallb.pools
      .filter((p) => p.advertise === "bgp")
      .flatMap((p) => p.addresses.map(parseRange))
      .filter((r): r is IpRange => r !== undefined && r.version === version)
      .flatMap(rangeCidrs)
      .map(formatCidr);
    return {
      peer: peer.name,
      address: peer.address,
      asn: peer.asn,
      clusterAs: bgp.asn,
      neighbours: nodes.flatMap((n) => {
        const address = version === 4 ? n.privateIp : n.privateIpv6;
        return address ? [{ node: n.name, address }] : [];
      }),
      prefixes,
    };
  });
}

function header(plan: MetallbRouterPlan, comment: string, stack: string): string[] {
  return [
    `${comment} k3s-sites: BGP neighbours of the router of BGPPeer ${plan.peer} (${plan.address}, AS ${plan.asn}), MetalLB's speakers`,
    `${comment} on the nodes of cluster ${stack} (AS ${plan.clusterAs}). Generated: merge into the router's own configuration.`,
    `${comment} Accepted from the nodes: the LoadBalancer pools' addresses, one host route each. Sent to them: nothing.`,
  ];
}

const bitsOf = (plan: MetallbRouterPlan) => (versionOf(plan.address) === 4 ? 32 : 128);

/** frr.conf lines: a prefix list of the pools, a route map in and one denying everything out, a peer group. */
export function renderMetallbFrr(plan: MetallbRouterPlan, stack: string): string {
  const ip = versionOf(plan.address) === 4 ? "ip" : "ipv6";
  const group = `METALLB-${plan.peer.toUpperCase()}`;
  const lines = [...header(plan, "!", stack), "!", "frr defaults traditional", "!"];
  plan.prefixes.forEach((p, i) => lines.push(`${ip} prefix-list ${group} seq ${(i + 1) * 5} permit ${p} le ${bitsOf(plan)}`));
  lines.push(
    "!",
    `route-map ${group}-IN permit 10`,
    ` match ${ip} address prefix-list ${group}`,
    "exit",
    "!",
    `route-map ${group}-OUT deny 10`,
    "exit",
    "!",
    `router bgp ${plan.asn}`,
    ` bgp router-id ${versionOf(plan.address) === 4 ? plan.address : "<an IPv4 address of the router>"}`,
    " no bgp default ipv4-unicast",
    ` neighbor ${group} peer-group`,
    ` neighbor ${group} remote-as ${plan.clusterAs}`,
    ...plan.neighbours.map((n) => ` neighbor ${n.address} peer-group ${group}`),
    " !",
    ` address-family ipv${versionOf(plan.address)} unicast`,
    `  neighbor ${group} activate`,
    `  neighbor ${group} route-map ${group}-IN in`,
    `  neighbor ${group} route-map ${group}-OUT out`,
    " exit-address-family",
    "exit",
    "!",
  );
  return `${lines.join("\n")}\n`;
}

function birdName(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, "_");
}

/** bird.conf lines: an import filter of the pools, a template, one bgp protocol per node; nothing exported. */
export function renderMetallbBird(plan: MetallbRouterPlan, stack: string): string {
  const family = versionOf(plan.address);
  const filter = birdName(`metallb_${plan.peer}_in`);
  const template = birdName(`metallb_${plan.peer}_nodes`);
  const lines = [
    ...header(plan, "#", stack),
    "",
    `filter ${filter} {`,
    `  if net ~ [ ${plan.prefixes.map((p) => `${p}{${parseCidr(p)!.prefix},${bitsOf(plan)}}`).join(", ")} ] then accept;`,
    "  reject;",
    "}",
    "",
    `template bgp ${template} {`,
    `  local as ${plan.asn};`,
    `  ipv${family} {`,
    `    import filter ${filter};`,
    "    export none;",
    "  };",
    "}",
    "",
  ];
  for (const n of plan.neighbours) lines.push(`protocol bgp ${birdName(`metallb_${n.node}`)} from ${template} {`, `  neighbor ${n.address} as ${plan.clusterAs};`, "}", "");
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Every MetalLB router file of the site: `metallb-<peer>.frr.conf` and `metallb-<peer>.bird.conf`. */
export function metallbRouterFiles(config: SiteConfig, stack: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const plan of metallbRouterPlans(config)) {
    if (plan.prefixes.length === 0 || plan.neighbours.length === 0) continue;
    files[`metallb-${plan.peer}.frr.conf`] = renderMetallbFrr(plan, stack);
    files[`metallb-${plan.peer}.bird.conf`] = renderMetallbBird(plan, stack);
  }
  return files;
}
