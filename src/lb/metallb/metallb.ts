/**
 * MetalLB (`site.loadBalancer.metallb`, home sites): LAN addresses for Services of type LoadBalancer on sites whose
 * CNI has no LB-IPAM of its own (flannel, canal, calico). The metallb chart at a pinned version, address pools from
 * config, an L2Advertisement or a BGPAdvertisement per pool, BGPPeers for the site's routers, and the memberlist
 * Secret, generated once by the program (so it never shows up as drift, and is a Pulumi secret).
 *
 * Facts read in metallb/metallb at v0.16.1 (commit 791dfcc63ced7a6b3e869131eae75e645150fff0):
 * - charts/metallb/Chart.yaml: version 0.16.1, appVersion v0.16.1; subcharts crds (condition crds.enabled) and
 *   frr-k8s 0.0.25 (condition frrk8s.enabled, true in values.yaml).
 * - charts/metallb/templates/_helpers.tpl: the memberlist Secret is `<fullname>-memberlist` (speaker.secretName
 *   unset), the fullname is the release name when it contains "metallb".
 * - internal/k8s/k8s.go CreateMlSecret: the controller creates that Secret only when none exists, with the key
 *   `secretkey` (MLSecretKeyName); internal/speakerlist/speakerlist.go: the speaker uses sha256 of the value as the
 *   memberlist key, so any length works.
 * - controller/service.go: `metallb.io/loadBalancerIPs` (AnnotationLoadBalancerIPs) asks for fixed addresses.
 * - config/manifests/metallb-native.yaml: the metallb-system namespace is labelled Pod Security `privileged` (the
 *   speaker runs on the host network with NET_RAW).
 * - CRDs (upstream/metallb/crds.yaml): IPAddressPool, L2Advertisement, BGPAdvertisement metallb.io/v1beta1; BGPPeer
 *   metallb.io/v1beta2 (storage version).
 */
import type { SiteConcerns } from "../../concerns/contract";
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";
import { formatIp, parseIp } from "../../net/cidr";
import { clusterRanges } from "../../net/ranges";
import { isolationLabels } from "../../policy/objects";
import { parseRange, type IpRange, type MetallbConfig } from "./schema";

export const METALLB = {
  namespace: "metallb-system",
  release: "metallb",
  /** `<fullname>-memberlist` of the chart's _helpers.tpl, fullname being the release name. */
  memberlistSecret: "metallb-memberlist",
  /** internal/k8s/k8s.go, MLSecretKeyName. */
  memberlistKey: "secretkey",
  loadBalancerIpsAnnotation: "metallb.io/loadBalancerIPs",
  /** The controller's pod labels (chart 0.16.1 _helpers.tpl selector labels, component controller). */
  controllerLabels: { "app.kubernetes.io/name": "metallb", "app.kubernetes.io/component": "controller" },
  /** The controller's webhook port, which the API server calls (templates/controller.yaml, webhook-server). */
  webhookPort: 9443,
} as const;

/** The site's MetalLB settings, when it runs MetalLB. */
export function metallbOf(config: SiteConfig): MetallbConfig | undefined {
  const site = config.site as { kind: string; loadBalancer?: { metallb?: MetallbConfig } };
  return site.kind === "ssh" ? site.loadBalancer?.metallb : undefined;
}

export function usesBgp(metallb: MetallbConfig): boolean {
  return metallb.pools.some((p) => p.advertise === "bgp");
}

/** nginx's fixed address: the configured one, or the first address of the first IPv4 pool. */
export function nginxAddressOf(metallb: MetallbConfig): string | undefined {
  if (metallb.nginxAddress !== undefined) return metallb.nginxAddress;
  for (const p of metallb.pools) {
    for (const a of p.addresses) {
      const range = parseRange(a);
      if (range?.version === 4) return formatIp({ version: 4, value: range.first });
    }
  }
  return undefined;
}

/** Chart values: CRDs from the chart, FRR-K8s only where BGP is used, memberlist on with the program's Secret. */
export function metallbValues(metallb: MetallbConfig): Record<string, unknown> {
  return {
    crds: { enabled: true },
    frrk8s: { enabled: usesBgp(metallb) },
    speaker: { memberlist: { enabled: true } },
  };
}

export interface MetallbObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
}

/** MetalLB's namespace; `isolated`: networkPolicies.defaultDeny, under which metallbPolicies isolate it. */
export function metallbNamespace(isolated = true): MetallbObject {
  const levels = ["enforce", "audit", "warn"];
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: METALLB.namespace,
      labels: {
        ...Object.fromEntries(levels.map((l) => [`pod-security.kubernetes.io/${l}`, "privileged"])),
        ...isolationLabels(isolated),
      },
    },
  };
}

function meta(name: string) {
  return { name, namespace: METALLB.namespace };
}

function nodeSelectors(selector: Record<string, string> | undefined) {
  return selector ? { nodeSelectors: [{ matchLabels: { ...selector } }] } : {};
}

/** IPAddressPools, their advertisements and the BGP peers: applied once the chart's CRDs and webhook are up. */
export function metallbResources(metallb: MetallbConfig): MetallbObject[] {
  const objects: MetallbObject[] = [];
  for (const p of metallb.pools) {
    objects.push({
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: meta(p.name),
      spec: { addresses: [...p.addresses], autoAssign: p.autoAssign },
    });
    if (p.advertise === "l2") {
      objects.push({
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: meta(p.name),
        spec: { ipAddressPools: [p.name], ...(p.interfaces ? { interfaces: [...p.interfaces] } : {}), ...nodeSelectors(p.nodeSelector) },
      });
    } else {
      objects.push({
        apiVersion: "metallb.io/v1beta1",
        kind: "BGPAdvertisement",
        metadata: meta(p.name),
        spec: { ipAddressPools: [p.name], ...nodeSelectors(p.nodeSelector) },
      });
    }
  }
  for (const r of metallb.bgp?.peers ?? []) {
    objects.push({
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: meta(r.name),
      spec: { myASN: metallb.bgp!.asn, peerASN: r.asn, peerAddress: r.address, ...nodeSelectors(r.nodeSelector) },
    });
  }
  return objects;
}

const PATH = "site.loadBalancer.metallb";

function overlapping(a: IpRange, b: IpRange): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

function cidrRange(text: string | undefined): IpRange | undefined {
  return text === undefined ? undefined : parseRange(text);
}

/** Pools inside the LAN, free of hosts, pods, Services and each other; no CNI that fights MetalLB. */
export function checkMetallb(config: SiteConfig, concerns: SiteConcerns): Problem[] {
  const metallb = metallbOf(config);
  if (!metallb) return [];
  const problems: Problem[] = [];
  const { cni } = concerns;
  const ipam = cni.traits.ownLoadBalancerIpam;
  if (ipam) {
    const without = concerns.cnis.filter((c) => !c.traits.ownLoadBalancerIpam).map((c) => c.name);
    problems.push({
      path: PATH,
      message:
        `is set but cni.plugin is ${cni.name}, whose ${ipam.name} would hand out the same Services' addresses: ` +
        `${ipam.instead}, or a CNI without ${ipam.name} (${without.join(", ")})`,
    });
  }
  const bgp = cni.traits.bgpFromNodes(config);
  if (bgp && usesBgp(metallb)) {
    // The CNI's BGP speaker runs on every node, so MetalLB's speakers would peer from the same nodes. A router that
    // is also a segment's router gets the precise message; any other BGP beside the CNI's is refused as well.
    const segments = (config.site as { segments?: { name: string; router?: { address?: string; addressV6?: string } }[] }).segments ?? [];
    const shared = (metallb.bgp?.peers ?? []).flatMap((r, k) => {
      const segment = segments.find((g) => g.router?.address === r.address || g.router?.addressV6 === r.address);
      return segment ? [{ r, k, segment }] : [];
    });
    for (const { r, k, segment } of shared) {
      const nodes = config.nodes.filter((n) => n.segment === segment.name).map((n) => n.name);
      problems.push({
        path: `${PATH}.bgp.peers[${k}].address`,
        message:
          `${r.address} is the router of site.segments ${segment.name}, which ${bgp.name}'s BGP already peers with from ` +
          `${nodes.length > 0 ? `nodes ${nodes.join(", ")}` : "that segment's nodes"}, and a router keeps one session ` +
          `per node address: MetalLB's sessions would fight ${bgp.name}'s. Announce Service addresses through ${bgp.announce} ` +
          "instead, or announce the pools with advertise l2",
      });
    }
    if (shared.length === 0) {
      problems.push({
        path: `${PATH}.bgp`,
        message:
          `MetalLB BGP and ${bgp.name}'s BGP would both peer from the same nodes with the same routers, and a router keeps ` +
          `one session per node: announce the pools with advertise l2, or announce Service addresses through ${bgp.name} ` +
          `(${bgp.section}) instead of MetalLB`,
      });
    }
  }
  if (usesBgp(metallb) && !metallb.bgp) {
    problems.push({ path: `${PATH}.bgp`, message: "is missing but a pool has advertise bgp: list bgp.asn and bgp.peers, or use advertise l2" });
  }
  if (metallb.bgp && !usesBgp(metallb)) {
    problems.push({ path: `${PATH}.bgp`, message: "is set but no pool has advertise bgp: set advertise bgp on a pool, or remove bgp" });
  }
  const lan = cidrRange(config.nodeCidr);
  // A pool may (with L2, must) be addresses of the node network, so only pods' and Services' ranges clash with it.
  const cluster = clusterRanges(config)
    .filter((c) => c.kind !== "nodes")
    .flatMap(({ path, text }) => {
      const range = cidrRange(text);
      return range ? [{ name: path, text, range }] : [];
    });
  const seen: { path: string; text: string; range: IpRange }[] = [];
  metallb.pools.forEach((p, i) => {
    if (p.advertise === "bgp" && p.interfaces) {
      problems.push({ path: `${PATH}.pools[${i}].interfaces`, message: "applies to advertise l2 only: remove it, or use advertise l2" });
    }
    p.addresses.forEach((text, j) => {
      const path = `${PATH}.pools[${i}].addresses[${j}]`;
      const range = parseRange(text);
      if (!range) return; // the schema reports it
      if (p.advertise === "l2" && range.version === 4 && lan && !(lan.first <= range.first && range.last <= lan.last)) {
        problems.push({
          path,
          message: `${text} is outside site.network.cidr ${config.nodeCidr}: L2 advertisement answers ARP on the LAN, so the pool must be free addresses of that LAN`,
        });
      }
      for (const node of config.nodes) {
        for (const address of [node.privateIp, node.privateIpv6]) {
          const ip = address === undefined ? undefined : parseIp(address);
          if (ip && ip.version === range.version && range.first <= ip.value && ip.value <= range.last) {
            problems.push({ path, message: `${text} holds node ${node.name}'s address ${address}: pick free addresses, outside your DHCP range` });
          }
        }
      }
      for (const c of cluster) {
        if (overlapping(range, c.range)) {
          problems.push({ path, message: `${text} overlaps ${c.name} ${c.text}: the pool must be LAN addresses, outside the cluster's ranges` });
        }
      }
      const clash = seen.find((s) => overlapping(s.range, range));
      if (clash) problems.push({ path, message: `${text} overlaps ${clash.path} ${clash.text}: pools must be disjoint` });
      seen.push({ path, text, range });
    });
  });
  const nginx = metallb.nginxAddress;
  if (nginx !== undefined) {
    const ip = parseIp(nginx);
    if (ip && !seen.some((s) => s.range.version === ip.version && s.range.first <= ip.value && ip.value <= s.range.last)) {
      problems.push({ path: `${PATH}.nginxAddress`, message: `${nginx} is in no pool: pick an address of ${PATH}.pools, or leave it unset` });
    }
  } else if (nginxAddressOf(metallb) === undefined) {
    problems.push({ path: `${PATH}.nginxAddress`, message: "is unset and no pool holds IPv4 addresses: add an IPv4 pool, nginx's address comes from it" });
  }
  // k3s labels each node kubernetes.io/hostname=<its name>: a selector on that label must name a node of the site.
  const names = config.nodes.map((n) => n.name);
  const selected: [string, Record<string, string> | undefined][] = [
    ...metallb.pools.map((p, i) => [`${PATH}.pools[${i}].nodeSelector`, p.nodeSelector] as [string, Record<string, string> | undefined]),
    ...(metallb.bgp?.peers ?? []).map((r, k) => [`${PATH}.bgp.peers[${k}].nodeSelector`, r.nodeSelector] as [string, Record<string, string> | undefined]),
  ];
  for (const [path, selector] of selected) {
    const hostname = selector?.["kubernetes.io/hostname"];
    if (hostname !== undefined && !names.includes(hostname)) {
      problems.push({ path, message: `kubernetes.io/hostname ${hostname} names no node of the site (${names.join(", ")}): use a node's name` });
    }
  }
  for (const [k, r] of (metallb.bgp?.peers ?? []).entries()) {
    const node = config.nodes.find((n) => n.privateIp === r.address || n.privateIpv6 === r.address);
    if (node) problems.push({ path: `${PATH}.bgp.peers[${k}].address`, message: `${r.address} is node ${node.name}'s address: give the router's address` });
    // The emitted BGPPeer sets no ebgpMultiHop, so FRR-K8s renders a plain eBGP neighbour, which FRR only brings up
    // with a directly connected address (its connected check; FRR-K8s disables it for IPv6 only: internal/frr/config.go
    // mustDisableConnectedCheck at v0.0.25). The nodes' connected IPv4 network is site.network.cidr.
    const ip = parseIp(r.address);
    if (!node && ip?.version === 4 && lan && r.asn !== metallb.bgp!.asn && !(lan.first <= ip.value && ip.value <= lan.last)) {
      problems.push({
        path: `${PATH}.bgp.peers[${k}].address`,
        message:
          `${r.address} is outside site.network.cidr ${config.nodeCidr}: the speakers peer over eBGP from the nodes' LAN ` +
          "addresses without multihop, so the router must be on that LAN: give the router's LAN address",
      });
    }
  }
  return problems;
}

