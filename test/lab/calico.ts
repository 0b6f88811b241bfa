/**
 * The Calico lab: a site's segments, routers and nodes in network namespaces (test/lab/netns.ts), the routers
 * running the files the plan emits (FRR or BIRD 2), each node a BGP speaker configured as calico-node would be
 * from the IPPool, BGPConfiguration and BGPPeer objects the plan emits.
 *
 * calico-node runs BIRD 1.x (Calico's fork) with the files confd renders from its templates; here each node runs two
 * BIRD 2 daemons standing for calico-node's bird and bird6, with the same statements in BIRD 2's syntax. Facts read
 * in projectcalico/calico at tag v3.32.1 (commit 0ca9d1b93644778cafdf1812f3dda02ac0c361e8; the pinned version,
 * CALICO_TEMPLATES_READ_AT, which test/lab/docs.test.ts holds to the default cni.calico.version), under confd/
 * (git blobs: T4 71462078a3f4, T6 76d5d63a2550, A4 469e529aaaf9, I4 22865f7657a0, P 9c05f4896499, C 72dc7e6ad809):
 *   T4  = etc/calico/confd/templates/bird.cfg.template      T6 = bird6.cfg.template (the same lines, IPv6)
 *   A4  = etc/calico/confd/templates/bird_aggr.cfg.template  I4 = bird_ipam.cfg.template (bird6_* alike)
 *   P   = pkg/backends/calico/bgp_processor.go               C  = pkg/backends/calico/client.go
 * BIRD 1 -> BIRD 2: a BIRD 1 daemon serves one family, BIRD 2 puts the family in a channel (`ipv4 { ... }`), and
 * the per-channel options move into it: import, export, gateway, add paths, next hop self/keep. Protocol options
 * (local as, neighbor, password, multihop, ttl security, allow local as, graceful restart, connect/error timers;
 * the kernel protocol's learn, persist, scan time, merge paths) stay where they are (BIRD 2.0 user's guide, "BGP"
 * and "Kernel"). The speaker's timers are shortened (connect retry 1 s) so the lab's sessions come up fast.
 *
 * Not emulated: Felix's policy and the pods' veths, IPIP's krt_tunnel (a BIRD fork attribute; IPIP is refused with
 * routers). Felix's VXLAN routes are (felixVxlan). Pods are addresses on the node's `lo`; their traffic is routed by
 * the kernel from the routes the speaker (or felixVxlan) installs.
 */
import type { SiteConfig } from "../../src/config/site";
import { calicoMtu } from "../../src/cni/calico/manifest";
import type { BGPConfiguration, BGPPeer, IPPool } from "../../src/cni/calico/resources";
import { routedSegments, SEGMENT_LABEL } from "../../src/cni/calico/resources";
import { clusterPrefixes } from "../../src/cni/calico/routers";
import { formatIp, parseCidr } from "../../src/net/cidr";
import type { ProgramRun } from "../../plan/engine";
import { Lab, type Daemon, type Family } from "./netns";

/** The Calico release whose confd templates and Go the speaker's configuration is read from (see the top). */
export const CALICO_TEMPLATES_READ_AT = "v3.32.1";

/** The password the lab gives k3s-sites:bgpPassword. */
export const LAB_PASSWORD = "lab-secret-1";

/** The Calico objects of a plan: the ConfigGroup that holds the BGPConfiguration. */
export function calicoObjectsOf(run: ProgramRun): { pools: IPPool[]; bgp: BGPConfiguration; peers: BGPPeer[] } {
  const group = run.resources.find((r) => {
    const objs = (r.inputs as { objs?: { kind?: string }[] }).objs;
    return Array.isArray(objs) && objs.some((o) => o.kind === "BGPConfiguration");
  });
  if (!group) throw new Error("lab: the plan has no BGPConfiguration");
  const objs = (group.inputs as { objs: (IPPool | BGPConfiguration | BGPPeer)[] }).objs;
  const bgp = objs.find((o): o is BGPConfiguration => o.kind === "BGPConfiguration")!;
  return { pools: objs.filter((o): o is IPPool => o.kind === "IPPool"), bgp, peers: objs.filter((o): o is BGPPeer => o.kind === "BGPPeer") };
}

/** The router files of a plan (stack output `routers`). */
export function routerFilesOf(run: ProgramRun): Record<string, string> {
  return ((run.outputs as { routers?: Record<string, string> }).routers ?? {}) as Record<string, string>;
}

/** Calico's selector the plan writes (`k3s-sites/segment == 'x'`), evaluated on a node's labels; nothing else is accepted. */
export function selects(selector: string, labels: Record<string, string>): boolean {
  if (selector === "all()") return true;
  const m = /^([\w./-]+) == '([^']*)'$/.exec(selector);
  if (!m) throw new Error(`lab: selector ${JSON.stringify(selector)} is not one the lab evaluates`);
  return labels[m[1]!] === m[2];
}

function nth(cidr: string, index: bigint, size: number): { block: string; first: string } {
  const c = parseCidr(cidr)!;
  const bits = c.version === 4 ? 32 : 128;
  const base = c.network + (index << BigInt(bits - size));
  return { block: `${format(base, c.version)}/${size}`, first: format(base + 1n, c.version) };
}

const format = (value: bigint, version: 4 | 6): string => formatIp({ version, value });

export interface LabNode {
  readonly name: string;
  readonly segment: string;
  readonly labels: Record<string, string>;
  readonly address: { readonly 4: string; readonly 6?: string };
  /** The node's block per family (what Calico's IPAM would give it first) and a pod address in it. */
  readonly blocks: { readonly 4: { block: string; first: string }; readonly 6?: { block: string; first: string } };
}

/** The nodes as the lab builds them: addresses from the config, one block each out of the plan's pools. */
export function labNodes(config: SiteConfig, pools: readonly IPPool[]): LabNode[] {
  const pool = (family: Family) => pools.find((p) => parseCidr(p.spec.cidr)?.version === family);
  return config.nodes.map((n, i) => {
    const p4 = pool(4)!;
    const p6 = pool(6);
    if (p6 && n.privateIpv6 === undefined) throw new Error(`lab: the site has an IPv6 pool but node ${n.name} has no privateIpv6: the lab will not test it on IPv4 alone`);
    const six = p6 !== undefined;
    return {
      name: n.name,
      segment: n.segment ?? "",
      labels: { [SEGMENT_LABEL]: n.segment ?? "" },
      address: { 4: n.privateIp, ...(six ? { 6: n.privateIpv6! } : {}) },
      blocks: { 4: nth(p4.spec.cidr, BigInt(i), p4.spec.blockSize), ...(six ? { 6: nth(p6.spec.cidr, BigInt(i), p6.spec.blockSize) } : {}) },
    };
  });
}

/**
 * The Service ranges every node announces (C updateGlobalRoutes, called by onClusterIPsUpdate with
 * serviceClusterIPs; by onExternalIPsUpdate with the serviceExternalIPs that are ranges, single addresses going per
 * Service; by onLoadBalancerIPsUpdate with the serviceLoadBalancerIPs ranges when serviceLoadBalancerAggregation is
 * Enabled, its default, which the plan leaves).
 */
export function globalServiceRoutes(bgp: BGPConfiguration): string[] {
  const ranges = (list: readonly { cidr: string }[] | undefined) =>
    (list ?? []).map((c) => c.cidr).filter((c) => parseCidr(c)!.prefix < (parseCidr(c)!.version === 4 ? 32 : 128));
  return [...bgp.spec.serviceClusterIPs.map((c) => c.cidr), ...ranges(bgp.spec.serviceExternalIPs), ...ranges(bgp.spec.serviceLoadBalancerIPs)];
}

/**
 * The name of a BGPPeer's protocol in a node's bird.cfg: P buildPeerFromData, `<prefix>_<peer IP, . or : as _>`.
 * The prefix is "Node" for a BGPPeer with a nodeSelector or a node (C: the second pass files it under
 * model.NodeBGPPeerKey, which P processNodePeers reads with prefix "Node"), "Global" for one with neither
 * (model.GlobalBGPPeerKey, P processGlobalPeers). A nodeSelector of all() is still a selector: "Node".
 */
export function speakerPeerName(spec: { readonly peerIP: string; readonly nodeSelector?: string; readonly node?: string }): string {
  const prefix = (spec.nodeSelector ?? "") !== "" || (spec.node ?? "") !== "" ? "Node" : "Global";
  return `${prefix}_${spec.peerIP.replace(/[.:]/g, "_")}`;
}

/**
 * One calico-node speaker (one family) in BIRD 2 syntax, from the plan's objects. Each statement cites the template
 * line (or the Go that fills it) it stands for. `lab.connectRetry` shortens the connect timers (seconds).
 */
export function nodeSpeakerConfig(args: {
  readonly node: LabNode;
  readonly family: Family;
  readonly bgp: BGPConfiguration;
  readonly pools: readonly IPPool[];
  readonly peers: readonly BGPPeer[];
  readonly password: string;
}): string {
  const { node, family, bgp, peers } = args;
  const ip = family === 4 ? "ipv4" : "ipv6";
  const block = node.blocks[family]!;
  const pools = args.pools.filter((p) => parseCidr(p.spec.cidr)?.version === family);
  const services = globalServiceRoutes(bgp).filter((c) => parseCidr(c)?.version === family);
  const mine = peers.filter((p) => parseCidr(`${p.spec.peerIP}/${family === 4 ? 32 : 128}`)?.version === family && selects(p.spec.nodeSelector, node.labels));
  const lines = [
    `# calico-node ${node.name}, IPv${family} (bird${family === 6 ? "6" : ""}.cfg), emulated in BIRD 2`,
    // T4:18, P populateNodeConfig: router id is the node's IPv4 address, in bird6.cfg too.
    `router id ${node.address[4]};`,
    "",
    // A4:5-17: a blackhole per block of this host; A4:18-27 static routes, which C updateGlobalRoutes fills with
    // BGPConfiguration serviceClusterIPs (staticroutes and rejectcidrs keys).
    `protocol static {`,
    `  ${ip};`,
    `  route ${block.block} blackhole;`,
    ...services.map((s) => `  route ${s} blackhole;`),
    "}",
    "",
    // A4:62-82: export the block itself, nothing beneath it (krt_metric < 1024 escapes: elevated routes; none here).
    "function calico_aggr() {",
    `  if ( net = ${block.block} ) then { accept; }`,
    `  if ( net ~ ${block.block} && defined(krt_metric) && krt_metric < 1024 ) then { accept; }`,
    `  if ( net ~ ${block.block} ) then { reject; }`,
    "}",
    "",
    // I4:23-63: reject tunnel/BPF routes (none here), calico_aggr, accept static routes (I4:36-45), then accept the
    // enabled pools (P processIPPools: "if (net ~ <cidr>) then { accept; }" for every pool that exports).
    "function calico_export_to_bgp_peers(bool internal_peer) {",
    "  calico_aggr();",
    ...services.map((s) => `  if ( net ~ ${s} ) then { accept; }`),
    ...pools.map((p) => `  if (net ~ ${p.spec.cidr}) then { accept; }`),
    "}",
    "",
    // I4:65-85: rejectcidrs (the service ranges) never go to the kernel; P processIPPool: VXLAN pools' routes are
    // Felix's ("reject"), others accepted (IPv4 with IPIP adds krt_tunnel, a fork attribute BIRD 2 lacks); accept.
    "filter calico_kernel_programming {",
    ...services.map((s) => `  if ( net ~ ${s} ) then { reject; }`),
    ...pools.map((p) => (p.spec.vxlanMode !== "Never" ? `  if (net ~ ${p.spec.cidr}) then { reject; }` : `  if (net ~ ${p.spec.cidr}) then { accept; }`)),
    "  accept;",
    "}",
    "",
    // T4:26-39: learn, persist, scan time 2, import all, export filter calico_kernel_programming, graceful restart,
    // merge paths on (a channel option in BIRD 2).
    "protocol kernel {",
    "  learn;",
    "  persist;",
    "  scan time 2;",
    "  graceful restart;",
    `  ${ip} { import all; export filter calico_kernel_programming; };`,
    "  merge paths on;",
    "}",
    "",
    "protocol device { scan time 2; }", // T4:42-47
    `protocol direct { ${ip}; interface -"cali*", -"kube-ipvs*", "*"; }`, // T4:49-62
    "",
    // T4:67-79: local as (BGPConfiguration asNumber, P populateNodeConfig as_num), gateway recursive, add paths on,
    // graceful restart, connect delay 2, connect retry 5 (shortened in the lab), error wait 5,30.
    "template bgp bgp_template {",
    `  local as ${bgp.spec.asNumber};`,
    "  graceful restart;",
    "  connect delay time 1;",
    "  connect retry time 1;",
    "  error wait time 1,5;",
    `  ${ip} { gateway recursive; add paths on; };`,
    "}",
    "",
  ];
  for (const { spec } of mine) {
    // BGPPeer fields the plan does not set today, read as calico-node would if it did.
    const peer = { spec: spec as BGPPeer["spec"] & { readonly nextHopMode?: "Auto" | "Self" | "Keep"; readonly keepOriginalNextHop?: boolean } };
    const name = speakerPeerName(peer.spec);
    lines.push(
      `protocol bgp ${name} from bgp_template {`,
      // P buildPeerFromData: TTLSecurity 0 -> "off" -> T4:90-92 "ttl security off; multihop;"
      "  ttl security off;",
      "  multihop;",
      `  neighbor ${peer.spec.peerIP} as ${peer.spec.asNumber};`, // T4:99
      // T4:103-117 with P buildImportFilter/buildExportFilter: import accepts all (after a preference tweak for
      // elevated local_pref), export calls calico_export_to_bgp_peers(<peer AS == node AS>) then rejects.
      `  ${ip} {`,
      "    import filter { accept; };",
      `    export filter { calico_export_to_bgp_peers(${peer.spec.asNumber === bgp.spec.asNumber}); reject; };`,
      // T4:134-139: next hop keep / self from BGPPeer nextHopMode or keepOriginalNextHop (eBGP only).
      ...(peer.spec.nextHopMode === "Self" ? ["    next hop self;"] : []),
      ...(peer.spec.nextHopMode === "Keep" || (peer.spec.keepOriginalNextHop && peer.spec.asNumber !== bgp.spec.asNumber) ? ["    next hop keep;"] : []),
      "  };",
      // T4:131-133: the password Calico reads from the Secret the BGPPeer names.
      ...(peer.spec.password ? [`  password "${args.password}";`] : []),
      // T4:140-142: allow local as <BGPPeer numAllowedLocalASNumbers>.
      ...(peer.spec.numAllowedLocalASNumbers > 0 ? [`  allow local as ${peer.spec.numAllowedLocalASNumbers};`] : []),
      "}",
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Fill the password placeholder of an emitted router file, as the operator does (docs/networking.md). */
export function withPassword(text: string, password: string): string {
  return text
    .replace(/^ ! neighbor (\S+) password <the secret k3s-sites:bgpPassword>$/gm, ` neighbor $1 password ${password}`)
    .replace(/^ {2}# password "<the secret k3s-sites:bgpPassword>";$/gm, `  password "${password}";`);
}

export type RouterDaemon = "frr" | "bird";

/** A link of the VPN between two routers: one point-to-point tunnel per pair (docs/networking.md). */
export interface VpnLink {
  readonly a: string;
  readonly b: string;
  readonly v4: { readonly a: string; readonly b: string };
  readonly v6: { readonly a: string; readonly b: string };
}

/** The VPN's tunnels between the routers: a full mesh, /31 and /127 transit addresses from the given ranges. */
export function vpnLinks(segments: readonly string[], transit = { v4: "172.31.255.0", v6: "fd00:ffff::" }): VpnLink[] {
  const links: VpnLink[] = [];
  let k = 0;
  for (let i = 0; i < segments.length; i++) {
    for (let j = i + 1; j < segments.length; j++, k++) {
      const four = parseCidr(`${transit.v4}/24`)!.network + BigInt(2 * k);
      const six = parseCidr(`${transit.v6}/64`)!.network + BigInt(2 * k);
      links.push({
        a: segments[i]!,
        b: segments[j]!,
        v4: { a: format(four, 4), b: format(four + 1n, 4) },
        v6: { a: format(six, 6), b: format(six + 1n, 6) },
      });
    }
  }
  return links;
}

/** The prefixes a router passes over the VPN: the cluster's (as in the emitted files) and every segment's. */
function vpnPrefixes(config: SiteConfig, family: Family): { exact: string[]; within: string[] } {
  const cluster = clusterPrefixes(config)[family === 4 ? "v4" : "v6"];
  const segments = routedSegments(config).flatMap((s) => (family === 4 ? [s.cidr] : s.cidrV6 !== undefined ? [s.cidrV6] : []));
  return { exact: segments, within: cluster };
}

const prefixLength = (cidr: string): number => parseCidr(cidr)!.prefix;
const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

/**
 * The families the site routes, which the lab runs on every router and node: IPv4, and IPv6 on a dual-stack site.
 * A dual-stack site with a router that has no IPv6 address is one the lab cannot run as it is (k3s-sites refuses it
 * when the router has nodes): it throws rather than test IPv4 alone.
 */
export function familiesOf(config: SiteConfig): Family[] {
  if (config.k3s.ipFamilies !== "dual-stack") return [4];
  const without = routedSegments(config).filter((s) => s.router.addressV6 === undefined);
  if (without.length > 0) {
    throw new Error(
      `lab: the site is dual-stack but the router of ${without.map((s) => s.name).join(", ")} has no addressV6: ` +
        "the lab runs IPv6 on every router or on none, and will not pass such a site on IPv4 alone",
    );
  }
  return [4, 6];
}

/**
 * FRR lines a router needs beyond its emitted file, for the VPN: an eBGP session per tunnel and family, passing the
 * cluster's prefixes and the segments, and the router's own segment announced. Appended to the emitted file.
 */
export function vpnFrr(config: SiteConfig, segment: string, links: readonly VpnLink[]): string {
  const seg = routedSegments(config).find((s) => s.name === segment)!;
  const families = familiesOf(config);
  const lines = ["! The VPN between the routers (k3s-sites docs/networking.md): one eBGP session per tunnel and family", "!"];
  for (const family of families) {
    const ip = family === 4 ? "ip" : "ipv6";
    const list = family === 4 ? "K3S-SITES-VPN" : "K3S-SITES-VPN-V6";
    const { exact, within } = vpnPrefixes(config, family);
    const entries = [...within.map((p) => `${p} ge ${prefixLength(p)} le ${bitsOf(family)}`), ...exact];
    entries.forEach((entry, i) => lines.push(`${ip} prefix-list ${list} seq ${(i + 1) * 5} permit ${entry}`));
    lines.push("!", `route-map ${list} permit 10`, ` match ${ip} address prefix-list ${list}`, "exit", "!");
  }
  lines.push(`router bgp ${seg.router.asNumber}`);
  const peers = links.flatMap((l): { other: string; link: VpnLink; side: "a" | "b" }[] =>
    l.a === segment ? [{ other: l.b, link: l, side: "b" }] : l.b === segment ? [{ other: l.a, link: l, side: "a" }] : [],
  );
  const asOf = (name: string) => routedSegments(config).find((s) => s.name === name)!.router.asNumber;
  for (const family of families) {
    for (const p of peers) {
      const address = p.link[family === 4 ? "v4" : "v6"][p.side];
      lines.push(` neighbor ${address} remote-as ${asOf(p.other)}`, ` neighbor ${address} description vpn to ${p.other}`, ` neighbor ${address} timers connect 5`);
    }
  }
  for (const family of families) {
    const list = family === 4 ? "K3S-SITES-VPN" : "K3S-SITES-VPN-V6";
    const own = family === 4 ? seg.cidr : seg.cidrV6!;
    lines.push(" !", ` address-family ipv${family} unicast`, `  network ${own}`);
    for (const p of peers) {
      const address = p.link[family === 4 ? "v4" : "v6"][p.side];
      lines.push(`  neighbor ${address} activate`, `  neighbor ${address} route-map ${list} in`, `  neighbor ${address} route-map ${list} out`);
    }
    lines.push(" exit-address-family");
  }
  lines.push("exit", "!");
  return `${lines.join("\n")}\n`;
}

/** The BIRD 2 router's own configuration around its emitted file: router id, device, direct, kernel, the include. */
export function birdRouterBase(config: SiteConfig, segment: string, emittedFile: string): string {
  const seg = routedSegments(config).find((s) => s.name === segment)!;
  const families = familiesOf(config);
  return [
    `# The router of segment ${segment}: its own configuration, the emitted file included, the VPN after it`,
    `router id ${seg.router.address};`,
    "protocol device { scan time 2; }",
    `protocol direct { ${families.map((f) => `ipv${f};`).join(" ")} }`,
    ...families.map((f) => `protocol kernel { ipv${f} { export where source = RTS_BGP; }; merge paths on; }`),
    `include "${emittedFile}";`,
    "",
  ].join("\n");
}

/** BIRD 2 lines a router needs beyond its emitted file, for the VPN (the same sessions and prefixes as vpnFrr). */
export function vpnBird(config: SiteConfig, segment: string, links: readonly VpnLink[]): string {
  const seg = routedSegments(config).find((s) => s.name === segment)!;
  const asOf = (name: string) => routedSegments(config).find((s) => s.name === name)!.router.asNumber;
  const lines = ["# The VPN between the routers (k3s-sites docs/networking.md): one eBGP session per tunnel and family", ""];
  for (const family of familiesOf(config)) {
    const { exact, within } = vpnPrefixes(config, family);
    lines.push(`filter k3s_sites_vpn_v${family} {`, `  if net ~ [ ${[...within.map((p) => `${p}+`), ...exact].join(", ")} ] then accept;`, "  reject;", "}", "");
    for (const l of links) {
      if (l.a !== segment && l.b !== segment) continue;
      const [other, address] = l.a === segment ? [l.b, l[family === 4 ? "v4" : "v6"].b] : [l.a, l[family === 4 ? "v4" : "v6"].a];
      lines.push(
        `protocol bgp ${`vpn_${other}_v${family}`.replace(/[^A-Za-z0-9_]/g, "_")} {`,
        `  local as ${seg.router.asNumber};`,
        `  neighbor ${address} as ${asOf(other)};`,
        "  connect retry time 5;",
        `  ipv${family} { import filter k3s_sites_vpn_v${family}; export filter k3s_sites_vpn_v${family}; };`,
        "}",
        "",
      );
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** What buildCalicoLab made: the daemons to check, the nodes, the MTU of pod packets. */
export interface CalicoLab {
  readonly routers: Map<string, Daemon>;
  readonly speakers: Map<string, Daemon[]>;
  readonly nodes: LabNode[];
  readonly mtu: number;
  readonly families: Family[];
  readonly links: VpnLink[];
  /** The Service ranges every node announces, which every router must route to nodes. */
  readonly services: string[];
}

/** Router and node namespace names in the lab. */
export const routerNs = (segment: string) => `r-${segment}`;
export const nodeNs = (node: string) => `n-${node}`;

/**
 * Build a site's network in a lab: a switch per segment, its router (the emitted file, `daemon`), the VPN's tunnels
 * between the routers (veths of the underlay's MTU), the nodes with their addresses and pod addresses, each with its
 * calico-node speakers.
 */
export function buildCalicoLab(
  lab: Lab,
  config: SiteConfig,
  run: ProgramRun,
  daemon: RouterDaemon,
  options: {
    /** Change the plan's BGPPeers before the nodes read them (a control: what the lab sees without a fix). */
    readonly peers?: (peers: BGPPeer[]) => BGPPeer[];
  } = {},
): CalicoLab {
  const objects = calicoObjectsOf(run);
  const { pools, bgp } = objects;
  const peers = options.peers ? options.peers(objects.peers) : objects.peers;
  const files = routerFilesOf(run);
  const segments = routedSegments(config);
  const families = familiesOf(config);
  const nodes = labNodes(config, pools);
  const links = vpnLinks(segments.map((s) => s.name));
  const underlay = config.cni.calico.underlayMtu;
  const length = (cidr: string | undefined) => (cidr === undefined ? 0 : parseCidr(cidr)!.prefix);
  for (const s of segments) {
    lab.addSwitch(s.name);
    lab.addNamespace(routerNs(s.name), { forwarding: true });
    lab.plug(s.name, {
      ns: routerNs(s.name),
      ifname: "eth0",
      addresses: [`${s.router.address}/${length(s.cidr)}`, ...(families.includes(6) ? [`${s.router.addressV6}/${length(s.cidrV6)}`] : [])],
    });
  }
  links.forEach((l, i) => {
    lab.link(
      { ns: routerNs(l.a), ifname: `vpn${i}`, addresses: [`${l.v4.a}/31`, ...(families.includes(6) ? [`${l.v6.a}/127`] : [])] },
      { ns: routerNs(l.b), ifname: `vpn${i}`, addresses: [`${l.v4.b}/31`, ...(families.includes(6) ? [`${l.v6.b}/127`] : [])] },
      { mtu: underlay },
    );
  });
  for (const n of nodes) {
    const s = segments.find((x) => x.name === n.segment)!;
    lab.addNamespace(nodeNs(n.name));
    lab.plug(s.name, {
      ns: nodeNs(n.name),
      ifname: "eth0",
      addresses: [`${n.address[4]}/${length(s.cidr)}`, ...(n.address[6] !== undefined && families.includes(6) ? [`${n.address[6]}/${length(s.cidrV6)}`] : [])],
    });
    lab.addLoopback(nodeNs(n.name), [n.blocks[4].first, ...(n.blocks[6] && families.includes(6) ? [n.blocks[6].first] : [])]);
    // The underlay between segments: each other segment through this segment's router. No default route: a VPS's
    // default gateway is its provider's, so nothing but BGP may bring a node its routes to the pods.
    for (const other of segments.filter((x) => x !== s)) {
      lab.ip(nodeNs(n.name), "-4", "route", "add", other.cidr, "via", s.router.address);
      if (families.includes(6) && n.address[6] !== undefined) lab.ip(nodeNs(n.name), "-6", "route", "add", other.cidrV6!, "via", s.router.addressV6!);
    }
  }
  const routers = new Map<string, Daemon>();
  for (const s of segments) {
    if (daemon === "frr") {
      const text = withPassword(files[`${s.name}.frr.conf`]!, LAB_PASSWORD) + vpnFrr(config, s.name, links);
      routers.set(s.name, lab.startFrr(routerNs(s.name), text));
    } else {
      const emitted = lab.writeFile(`${s.name}.bird.conf`, withPassword(files[`${s.name}.bird.conf`]!, LAB_PASSWORD));
      routers.set(s.name, lab.startBird(routerNs(s.name), birdRouterBase(config, s.name, emitted) + vpnBird(config, s.name, links)));
    }
  }
  const speakers = new Map<string, Daemon[]>();
  for (const n of nodes) {
    const mine: Daemon[] = [];
    for (const family of families) {
      if (n.address[family] === undefined) continue;
      const text = nodeSpeakerConfig({ node: n, family, bgp, pools, peers, password: LAB_PASSWORD });
      mine.push(lab.startBird(nodeNs(n.name), text, `v${family}`));
    }
    speakers.set(n.name, mine);
  }
  const mtu = calicoMtu(config);
  for (const family of families) {
    const pool = pools.find((p) => parseCidr(p.spec.cidr)?.version === family);
    if (pool && pool.spec.vxlanMode !== "Never") felixVxlan(lab, nodes, family, mtu);
  }
  return { routers, speakers, nodes, mtu, families, links, services: globalServiceRoutes(bgp) };
}

/**
 * What Felix programs for a VXLAN pool, which BIRD leaves alone (its kernel filter rejects VXLAN pools): a VXLAN
 * device per family (felix/dataplane/linux/dataplanedefs/dataplane_defs.go: vxlan.calico, vxlan-v6.calico;
 * felix/config/config_params.go: VNI 4096, port 4789; vxlan_mgr.go: the node's address as source, the pod MTU),
 * its tunnel address out of the node's block; towards a node of another subnet a route through the device with a
 * static neighbour and FDB entry (CrossSubnet), towards a node of the same subnet a plain route to it
 * (route_mgr.go, the same-subnet class).
 */
function felixVxlan(lab: Lab, nodes: readonly LabNode[], family: Family, mtu: number): void {
  const dev = family === 4 ? "vxlan.calico" : "vxlan-v6.calico";
  const tunnel = (n: LabNode) => {
    const block = parseCidr(n.blocks[family]!.block)!;
    return formatIp({ version: family, value: block.network + 2n });
  };
  const mac = (i: number) => `66:6b:33:73:${family.toString(16).padStart(2, "0")}:${i.toString(16).padStart(2, "0")}`;
  nodes.forEach((n, i) => {
    const ns = nodeNs(n.name);
    lab.ip(ns, "link", "add", dev, "address", mac(i), "mtu", String(mtu), "type", "vxlan", "id", "4096", "dstport", "4789", "local", n.address[family]!, "dev", "eth0", "nolearning");
    lab.addAddresses(ns, dev, [`${tunnel(n)}/${family === 4 ? 32 : 128}`]);
    lab.ip(ns, "link", "set", dev, "up");
  });
  nodes.forEach((n) => {
    nodes.forEach((o, k) => {
      if (o === n) return;
      const ns = nodeNs(n.name);
      if (o.segment === n.segment) {
        lab.ip(ns, `-${family}`, "route", "add", o.blocks[family]!.block, "via", o.address[family]!, "dev", "eth0");
        return;
      }
      lab.ip(ns, `-${family}`, "route", "add", o.blocks[family]!.block, "via", tunnel(o), "dev", dev, "onlink");
      lab.ip(ns, "neigh", "add", tunnel(o), "lladdr", mac(k), "dev", dev, "nud", "permanent");
      lab.exec(ns, "bridge", ["fdb", "add", mac(k), "dev", dev, "dst", o.address[family]!]);
    });
  });
}

/**
 * The WireGuard side of one VPN tunnel, on the router of `segment` (not run in the lab: there the tunnel is a veth
 * pair with these addresses and MTU). One interface per other router, AllowedIPs everything, no routes of its own:
 * BGP chooses the tunnel.
 */
export function wireguardTunnel(config: SiteConfig, segment: string, link: VpnLink): string {
  const other = link.a === segment ? link.b : link.a;
  const side = link.a === segment ? "a" : "b";
  const families = familiesOf(config);
  return [
    `# /etc/wireguard/to-${other}.conf on the router of ${segment}`,
    "[Interface]",
    `Address = ${[`${link.v4[side]}/31`, ...(families.includes(6) ? [`${link.v6[side]}/127`] : [])].join(", ")}`,
    `PrivateKey = <the private key of ${segment}'s router>`,
    "ListenPort = <a port of its own per tunnel>",
    `MTU = ${config.cni.calico.underlayMtu}`,
    "Table = off",
    "",
    "[Peer]",
    `PublicKey = <the public key of ${other}'s router>`,
    `Endpoint = <${other}'s router's public address>:<its port for this tunnel>`,
    `AllowedIPs = ${families.includes(6) ? "0.0.0.0/0, ::/0" : "0.0.0.0/0"}`,
    "",
  ].join("\n");
}

/** The operator's snippets docs/networking.md shows, by name: generated for a site from the lab's own code. */
export function docSnippets(config: SiteConfig, run: ProgramRun, segment: string): Record<string, string> {
  const links = vpnLinks(routedSegments(config).map((s) => s.name));
  const mine = links.filter((l) => l.a === segment || l.b === segment);
  const files = routerFilesOf(run);
  const placeholders = [`${segment}.frr.conf`, `${segment}.bird.conf`].flatMap((name) =>
    files[name]!.split("\n").filter((l) => l.includes("password")).map((l) => [name, l] as const),
  );
  const password = [...new Set(placeholders.map(([name, line]) => `${name}, as emitted:\n${line}\nonce filled in:\n${withPassword(line, "the-secret")}\n`))].join("\n");
  return {
    wireguard: wireguardTunnel(config, segment, mine[0]!),
    frr: vpnFrr(config, segment, links),
    bird: birdRouterBase(config, segment, `/etc/bird/k3s-sites-${segment}.bird.conf`) + vpnBird(config, segment, links),
    ...(placeholders.length > 0 ? { password } : {}),
  };
}
