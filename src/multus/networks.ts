/**
 * Multus networks (`networks`): macvlan NetworkAttachmentDefinitions on a parent interface of every node (often a
 * VLAN interface for a DMZ), and the pod annotation each app that attaches to them must carry. The CNI config is
 * built as an object and checked here; the NAD holds its JSON text (the CRD's spec.config is a string).
 *
 * CNI facts (containernetworking/plugins docs for macvlan, host-local and static; Multus docs/how-to-use.md at
 * v4.3.0): macvlan's `master` is the parent interface and `mode` one of bridge, private, vepa, passthru; without
 * `ipam` macvlan configures no address (the kernel may still take one from router advertisements, SLAAC);
 * host-local takes `ranges` as a list of range sets; static takes addresses from the runtime config `ips` when the
 * plugin declares `capabilities: {ips: true}`, which Multus fills from the annotation's `ips`.
 *
 * A network's own default route (a route to 0.0.0.0/0 or ::/0) must not land in the pod's main table: the cluster
 * network's default is there first, and pkg/ipam/ipam_linux.go ConfigureIface (containernetworking/plugins v1.9.1)
 * adds each IPAM route with netlink.RouteAddEcmp, i.e. NLM_F_CREATE without NLM_F_APPEND, which the kernel treats
 * as a prepend (net/ipv4/fib_trie.c, fib_table_insert): the DMZ's default goes before the cluster's and takes every
 * packet without a more specific route, Services and cluster DNS among them (the pod has no route for
 * k3s.serviceCidr), into the DMZ. test/lab/dmz.test.ts runs it. Such a network is a conflist of macvlan and the
 * `sbr` meta-plugin (plugins/meta/sbr/main.go, doRoutes, same at v1.1.1 and v1.9.1): a
 * rule `from <the interface's address> lookup <first free table from 100>`, the interface's main-table routes moved
 * into that table (its subnet route, and any route whose gateway is in its subnet, the default among them). So what
 * leaves from the DMZ address uses the DMZ's own default; everything else (pods, Services, the node) the cluster's.
 * Multus v4.3.0 runs a conflist as a NAD's config (pkg/types/conf.go, LoadDelegateNetConfList) and passes the
 * annotation's `ips` as the capability argument `ips` (CreateCNIRuntimeConf), which libcni hands only to plugins
 * that declare it (containernetworking/cni libcni/api.go, injectRuntimeConfig): macvlan's static IPAM, not sbr.
 */
import type { SiteConcerns } from "../concerns/contract";
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import type { AppNetworkConfig, NetworkConfig } from "./schema";
import { containsIp, overlaps, parseCidr, parseIp, type Cidr } from "../net/cidr";
import { clusterRanges } from "../net/ranges";
import { isolationLabels, type NetworkPolicy } from "../policy/objects";
import { namespaceBaseline } from "../policy/system";
import type { INamespace } from "kubernetes-models/v1/Namespace" with { "resolution-mode": "import" };

/** A Namespace object as the program creates it: Kubernetes' type, with the name and labels it always sets. */
export type Namespace = INamespace & { readonly metadata: { readonly name: string; readonly labels: Record<string, string> } };

export const ANNOTATION = "k8s.v1.cni.cncf.io/networks";

/** The CNI config of a network, as an object. */
export function cniConfig(network: NetworkConfig): Record<string, unknown> {
  const ipamConfig = (): Record<string, unknown> | undefined => {
    const i = network.ipam;
    if (i.type === "none") return undefined;
    const routes = i.routes.map((r) => ({ dst: r.dst, ...(r.gw ? { gw: r.gw } : i.type === "static" && i.gateway ? { gw: i.gateway } : {}) }));
    if (i.type === "host-local") {
      const ranges = i.ranges.map((r) => [
        {
          subnet: r.subnet,
          ...(r.rangeStart ? { rangeStart: r.rangeStart } : {}),
          ...(r.rangeEnd ? { rangeEnd: r.rangeEnd } : {}),
          ...(r.gateway ? { gateway: r.gateway } : {}),
        },
      ]);
      const gw = i.ranges.find((r) => r.gateway)?.gateway;
      return { type: "host-local", ranges, ...(routes.length > 0 ? { routes: routes.map((r) => ({ ...(gw && !r.gw ? { gw } : {}), ...r })) } : {}) };
    }
    return { type: "static", ...(routes.length > 0 ? { routes } : {}) };
  };
  const ipamValue = ipamConfig();
  const macvlan = {
    type: "macvlan",
    master: network.master,
    mode: network.mode,
    ...(network.mtu !== undefined ? { mtu: network.mtu } : {}),
    ...(network.ipam.type === "static" ? { capabilities: { ips: true } } : {}),
    ...(ipamValue ? { ipam: ipamValue } : {}),
  };
  const head = { cniVersion: "0.3.1", name: network.name };
  return hasOwnDefaultRoute(network) ? { ...head, plugins: [macvlan, { type: "sbr" }] } : { ...head, ...macvlan };
}

/** Whether the network's routes hold a default route, which only source-based routing (sbr) puts to use. */
export function hasOwnDefaultRoute(network: NetworkConfig): boolean {
  return network.ipam.type !== "none" && network.ipam.routes.some((r) => parseCidr(r.dst)?.prefix === 0);
}

/** The NetworkAttachmentDefinition of a network; its config is the JSON text of cniConfig. */
export function networkAttachmentDefinition(network: NetworkConfig): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { config: string };
} {
  return {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: { name: network.name, namespace: network.namespace },
    spec: { config: JSON.stringify(cniConfig(network)) },
  };
}

/** Apps with their attachments, from networkPolicies.apps. */
function attachedApps(config: SiteConfig) {
  return config.networkPolicies.apps
    .map((app, index) => ({ app, index, networks: (app as { networks?: AppNetworkConfig[] }).networks ?? [] }))
    .filter((a) => a.networks.length > 0);
}

/** The value of the k8s.v1.cni.cncf.io/networks annotation each attached app's pods must carry, by app name. */
export function podAnnotations(config: SiteConfig): Record<string, string> {
  const byName = new Map(config.networks.map((n) => [n.name, n]));
  return Object.fromEntries(
    attachedApps(config).map(({ app, networks }) => [
      app.name,
      JSON.stringify(
        networks.map((n) => ({
          name: n.name,
          namespace: byName.get(n.name)?.namespace ?? app.namespace,
          ...(n.addresses ? { ips: [...n.addresses] } : {}),
        })),
      ),
    ]),
  );
}

/** One warning per attached app: NetworkPolicies do not apply to its Multus interfaces. */
export function multusWarnings(config: SiteConfig): string[] {
  return attachedApps(config).map(
    ({ app, networks }) =>
      `app ${app.name} (namespace ${app.namespace}) is attached to ${networks.map((n) => n.name).join(", ")}: ` +
      "NetworkPolicies do not apply to Multus interfaces, so only the LAN firewall (the router between that VLAN " +
      "and the rest) protects the pod there",
  );
}

interface Named {
  readonly path: string;
  readonly text: string;
  readonly cidr: Cidr;
}

function subnetsOf(network: NetworkConfig, i: number): Named[] {
  const ipam = network.ipam;
  const entries: [string, string][] =
    ipam.type === "host-local"
      ? ipam.ranges.map((r, j) => [`networks[${i}].ipam.ranges[${j}].subnet`, r.subnet])
      : ipam.type === "static"
        ? [[`networks[${i}].ipam.subnet`, ipam.subnet]]
        : [];
  return entries.flatMap(([path, text]) => {
    const c = parseCidr(text);
    return c ? [{ path, text, cidr: c }] : [];
  });
}

export function checkNetworks(config: SiteConfig, concerns: SiteConcerns): Problem[] {
  const problems: Problem[] = [];
  const networks = config.networks;
  if (networks.length > 0 && config.site.kind === "hetzner") {
    problems.push({
      path: "networks",
      message: "macvlan needs an L2 segment, and Hetzner's private network is routed: remove networks (Multus is for home sites)",
    });
  }
  const removes = concerns.cni.traits.removesOtherCniConfigs;
  if (networks.length > 0 && removes !== undefined) {
    const others = concerns.cnis.filter((c) => c.traits.removesOtherCniConfigs === undefined).map((c) => c.name);
    problems.push({
      path: "networks",
      message:
        `are set but cni.plugin is ${concerns.cni.name}, whose ${removes}, Multus's among them: use cni.plugin ` +
        `${others.length > 1 ? `${others.slice(0, -1).join(", ")} or ${others[others.length - 1]}` : others.join("")} for a site with Multus networks`,
    });
  }
  const seenNames = new Map<string, number>();
  const cluster: Named[] = clusterRanges(config);
  const subnets: Named[] = [];
  networks.forEach((n, i) => {
    const earlier = seenNames.get(n.name);
    if (earlier !== undefined) {
      problems.push({ path: `networks[${i}].name`, message: `${n.name} is also networks[${earlier}]'s name: apps attach by name, give each network its own` });
    }
    seenNames.set(n.name, i);
    for (const s of subnetsOf(n, i)) {
      const clash = [...cluster, ...subnets].find((o) => overlaps(o.cidr, s.cidr));
      if (clash) {
        problems.push({
          path: s.path,
          message: `${s.text} overlaps ${clash.path} ${clash.text}: a DMZ network needs a subnet of its own, outside the cluster's and the LAN's ranges`,
        });
      }
      subnets.push(s);
    }
    if (n.ipam.type === "host-local" && config.nodes.length > 1) {
      // host-local keeps its allocations in a directory on each node (plugins/ipam/host-local/backend/disk, under
      // /var/lib/cni/networks/<name>), and a NAD is one config for every node: each node hands out the same first
      // address. No cluster-wide IPAM is pinned here; static addresses are checked unique across apps.
      const names = config.nodes.map((node) => node.name).join(", ");
      problems.push({
        path: `networks[${i}].ipam.type`,
        message:
          `host-local keeps its allocations on each node, so pods of ${n.name} on different nodes (${names}) would get ` +
          "the same address: use ipam.type static with a subnet, and give each attached app its own address in " +
          "networkPolicies.apps[].networks[].addresses (or run the site on one node)",
      });
    }
    if (n.ipam.type === "host-local") {
      n.ipam.ranges.forEach((r, j) => {
        const subnet = parseCidr(r.subnet);
        for (const key of ["rangeStart", "rangeEnd", "gateway"] as const) {
          const value = r[key];
          const addr = value === undefined ? undefined : parseIp(value);
          if (subnet && addr && !containsIp(subnet, addr)) {
            problems.push({ path: `networks[${i}].ipam.ranges[${j}].${key}`, message: `${value} is outside its subnet ${r.subnet}: pick an address inside it` });
          }
        }
      });
    }
    if (n.ipam.type === "static" && n.ipam.gateway !== undefined) {
      const subnet = parseCidr(n.ipam.subnet);
      const gw = parseIp(n.ipam.gateway);
      if (subnet && gw && !containsIp(subnet, gw)) {
        problems.push({ path: `networks[${i}].ipam.gateway`, message: `${n.ipam.gateway} is outside networks[${i}].ipam.subnet ${n.ipam.subnet}: pick an address inside it` });
      }
    }
    if (config.site.kind === "ssh") {
      config.site.hosts.forEach((h, k) => {
        const interfaces = (h as { interfaces?: string[] }).interfaces;
        if (interfaces && !interfaces.includes(n.master)) {
          problems.push({
            path: `site.hosts[${k}].interfaces`,
            message:
              `lists ${interfaces.join(", ")} but not ${n.master}, the parent of networks[${i}] (${n.name}): create that ` +
              `interface on ${h.name} (e.g. the VLAN interface) and list it, or pick a parent it has`,
          });
        }
      });
    }
  });
  const byName = new Map(networks.map((n, i) => [n.name, { n, i }]));
  const taken = new Map<string, string>();
  for (const { app, index, networks: attached } of attachedApps(config)) {
    attached.forEach((a, j) => {
      const path = `networkPolicies.apps[${index}].networks[${j}]`;
      const found = byName.get(a.name);
      if (!found) {
        problems.push({
          path: `${path}.name`,
          message: `${a.name} is not declared in networks (declared: ${networks.map((n) => n.name).join(", ") || "none"}): declare it, or fix the name`,
        });
        return;
      }
      const { n, i } = found;
      if (n.ipam.type !== "static") {
        if (a.addresses) {
          problems.push({
            path: `${path}.addresses`,
            message: `needs networks[${i}].ipam.type static, but ${n.name} uses ${n.ipam.type}, which picks addresses itself: remove the addresses, or make the network static`,
          });
        }
        return;
      }
      if (!a.addresses || a.addresses.length === 0) {
        problems.push({ path: `${path}.addresses`, message: `is empty but ${n.name} is static: give the app its address, e.g. [${n.ipam.subnet.replace(/\.\d+\//, ".10/")}]` });
        return;
      }
      const staticSubnet = n.ipam.subnet;
      const subnet = parseCidr(staticSubnet);
      a.addresses.forEach((text, m) => {
        const c = parseCidr(text);
        if (subnet && c && !(containsIp(subnet, { version: c.version, value: c.base }) && c.prefix === subnet.prefix)) {
          problems.push({
            path: `${path}.addresses[${m}]`,
            message: `${text} is not an address of networks[${i}].ipam.subnet ${staticSubnet}: pick one inside it, with the subnet's prefix`,
          });
        }
        const key = c ? `${c.version}:${c.base}` : text;
        const other = taken.get(key);
        if (other) problems.push({ path: `${path}.addresses[${m}]`, message: `${text} is also ${other}'s address: each pod needs its own` });
        else taken.set(key, `app ${app.name}`);
      });
    });
  }
  return problems;
}

/**
 * The Namespaces of Multus networks that no app declares (an app's namespace comes with the policies component), each
 * with the baseline every namespace the program creates has: on a defaultDeny site its default-deny and DNS policies
 * (src/policy/system.ts namespaceBaseline), like an app's namespace; else the label that says the program does not
 * isolate it. A pod there still reaches its Multus interfaces unfiltered (multusWarnings): the policies cover its
 * cluster interface only.
 */
export function multusNamespaces(config: SiteConfig): { readonly namespace: Namespace; readonly policies: readonly NetworkPolicy[] }[] {
  const own = new Set(config.networkPolicies.apps.map((a) => a.namespace));
  const isolated = config.networkPolicies.defaultDeny;
  return [...new Set(config.networks.map((n) => n.namespace))]
    .filter((ns) => !own.has(ns))
    .map((ns) => ({
      namespace: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: isolationLabels(isolated) } },
      policies: isolated ? namespaceBaseline(ns) : [],
    }));
}
