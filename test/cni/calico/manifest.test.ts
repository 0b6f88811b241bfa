import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseManifest, type KubernetesObject } from "../../../src/kubernetes/object";
import {
  CALICO_CUSTOMIZED,
  CALICO_NAMES,
  CALICO_OVERHEAD,
  calicoBgpConfiguration,
  calicoBgpPeers,
  calicoIpPools,
  calicoMtu,
  calicoPasswordRbac,
  calicoResources,
  calicoSettingsOf,
  customizeCalico,
  poolModes,
  type CalicoSettings,
} from "../../../src/cni/calico";
import { splitCrds } from "../../../src/cni/customize";
import { CALICO_MANIFEST_PINS } from "../../../src/cni/manifest";
import type { SiteConfig } from "../../../src/config/site";
import { remoteNodeSources } from "../../../src/policy/context";
import { nodeConfig } from "../../../src/k3s/config";
import { exampleSections, parse1, problemsOf, ROOT, sshSections } from "../../helpers";
import { CrdValidator, goRegExp, validateBuiltin } from "../../support/schemas";

type Obj = KubernetesObject & Record<string, any>;

const VERSIONS = ["v3.31.7", "v3.32.1"] as const;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const manifestPath = (v: string) => join(ROOT, "upstream", "calico", v, "calico.yaml");
// Parsed once; frozen, so a customization that writes into its input throws.
const UPSTREAM = new Map(VERSIONS.map((v) => [v, deepFreeze(parseManifest(readFileSync(manifestPath(v), "utf8"))) as Obj[]]));
const upstream = (v: string): Obj[] => UPSTREAM.get(v as (typeof VERSIONS)[number])!;

function multisite(): SiteConfig {
  return parse1(exampleSections("multisite"));
}

/** A one-segment home site on Calico, IPv4 only, with the defaults. */
function simple(): SiteConfig {
  return parse1({ ...sshSections(), cni: { plugin: "calico" } });
}

function calicoNode(objects: Obj[]): Obj {
  const ds = objects.find((o) => o.kind === "DaemonSet" && o.metadata.name === "calico-node")!;
  return ds.spec.template.spec.containers.find((c: Obj) => c.name === "calico-node");
}

function env(container: Obj): Record<string, string | undefined> {
  return Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
}

function configMap(objects: Obj[]): Obj {
  return objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "calico-config")!.data;
}

/** calico.yaml's CNI template with its bare placeholders quoted, as JSON. */
function cniOf(data: Obj): Obj {
  return JSON.parse(String(data.cni_network_config).replace(/(__[A-Z0-9_]+__)(?=[,\s}])/g, '"$1"'));
}

describe("Calico manifest (calico.yaml)", () => {
  it("the vendored files are the pinned ones (sha256 in CALICO_MANIFEST_PINS and upstream/SOURCES.md)", () => {
    const sources = readFileSync(join(ROOT, "upstream", "SOURCES.md"), "utf8");
    for (const v of VERSIONS) {
      const digest = createHash("sha256").update(readFileSync(manifestPath(v))).digest("hex");
      assert.equal(digest, CALICO_MANIFEST_PINS[v]);
      assert.match(sources, new RegExp(`\\| calico/${v.replace(/\./g, "\\.")}/calico\\.yaml \\|.*\\| ${digest} \\|`));
    }
  });

  for (const version of VERSIONS) {
    const settingsFor = (config: SiteConfig): CalicoSettings => ({ ...calicoSettingsOf(config), version });

    it(`${version}: calico-node creates no pool, finds its address from the node's InternalIP, IPv4 only`, () => {
      const out = customizeCalico(upstream(version), settingsFor(simple())) as Obj[];
      const e = env(calicoNode(out));
      assert.equal(e[CALICO_CUSTOMIZED.noDefaultPoolsEnv], "true");
      // With NO_DEFAULT_POOLS, a pool CIDR env makes calico-node terminate (startup.go configureIPPools).
      assert.equal("CALICO_IPV4POOL_CIDR" in e, false);
      assert.equal("CALICO_IPV6POOL_CIDR" in e, false);
      assert.equal(e.IP, "autodetect");
      assert.equal(e.IP_AUTODETECTION_METHOD, "kubernetes-internal-ip");
      assert.equal(e.FELIX_IPV6SUPPORT, "false");
      assert.equal("IP6" in e, false);
      const data = configMap(out);
      assert.equal(data.calico_backend, "bird");
      assert.equal(data.veth_mtu, String(1500 - CALICO_OVERHEAD.VXLAN));
      const calico = cniOf(data).plugins.find((p: Obj) => p.type === "calico");
      assert.deepEqual(calico.container_settings, { allow_ip_forwarding: true });
      assert.deepEqual(calico.ipam, { type: "calico-ipam", assign_ipv4: "true", assign_ipv6: "false" });
      // Placeholders stay bare for install-cni.
      assert.match(data.cni_network_config, /"mtu": __CNI_MTU__,/);
    });

    it(`${version}: dual-stack turns on IPv6 addresses, autodetection and Felix's IPv6 support`, () => {
      const out = customizeCalico(upstream(version), settingsFor(multisite())) as Obj[];
      const e = env(calicoNode(out));
      assert.equal(e.IP6, "autodetect");
      assert.equal(e.IP6_AUTODETECTION_METHOD, "kubernetes-internal-ip");
      assert.equal(e.FELIX_IPV6SUPPORT, "true");
      const data = configMap(out);
      assert.equal(data.veth_mtu, "1420"); // encapsulation None on both pools: the whole underlay
      assert.equal(cniOf(data).plugins[0].ipam.assign_ipv6, "true");
    });

    it(`${version}: requests and registry rewrite every image`, () => {
      const settings = { ...settingsFor(simple()), resources: { cpu: "300m" }, imageRegistry: "registry.example.com/mirror" };
      const out = customizeCalico(upstream(version), settings) as Obj[];
      assert.equal(calicoNode(out).resources.requests.cpu, "300m");
      const images = out.flatMap((o) =>
        [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])].map((c: Obj) => c.image),
      );
      assert.ok(images.length >= 4);
      for (const image of images) assert.match(image, new RegExp(`^registry\\.example\\.com/mirror/calico/[a-z-]+:${version.replace(/\./g, "\\.")}$`));
    });

    it(`${version}: differs from upstream only in calico-config and calico-node`, () => {
      const out = customizeCalico(upstream(version), settingsFor(multisite())) as Obj[];
      const key = (o: Obj) => `${o.kind} ${o.metadata?.name}`;
      const changed = out.filter((o, i) => JSON.stringify(o) !== JSON.stringify(upstream(version)[i])).map(key);
      assert.deepEqual(changed, ["ConfigMap calico-config", "DaemonSet calico-node"]);
    });

    it(`${version}: every object, and every custom resource of the site, validates against the manifest's schemas`, async () => {
      const out = customizeCalico(upstream(version), settingsFor(multisite())) as Obj[];
      const { crds } = splitCrds(out);
      const custom = new CrdValidator(crds);
      for (const obj of out as Parameters<typeof validateBuiltin>[0][]) {
        if (custom.has(obj)) custom.validate(obj);
        else await validateBuiltin(obj);
      }
      const resources = [...calicoResources(multisite()), ...calicoResources(simple())];
      assert.deepEqual(new Set(resources.map((r) => r.kind)), new Set(["IPPool", "BGPConfiguration", "BGPPeer"]));
      for (const r of resources) custom.validate(r);
      for (const r of calicoPasswordRbac()) await validateBuiltin(r as Parameters<typeof validateBuiltin>[0]);
      // The CRDs' own rules the validator does not run (CEL): ipipMode is refused on IPv6 pools, and both modes at once.
      for (const pool of calicoIpPools(multisite())) {
        if (pool.spec.cidr.includes(":")) assert.equal(pool.spec.ipipMode, "Never");
        assert.ok(pool.spec.ipipMode === "Never" || pool.spec.vxlanMode === "Never");
      }
    });

    it(`${version}: a mistyped field in a custom resource is refused by the CRD (the validator is not lenient)`, () => {
      const custom = new CrdValidator(splitCrds(upstream(version)).crds);
      const peer = calicoBgpPeers(multisite())[0]!;
      assert.throws(() => custom.validate({ ...peer, spec: { ...peer.spec, asNumber: "65101" } } as never), /asNumber must be integer/);
      if (version === "v3.31.7") return; // its IPPool and BGPConfiguration CRDs declare neither enum nor pattern here
      const pool = { ...calicoIpPools(simple())[0]!, spec: { ...calicoIpPools(simple())[0]!.spec, vxlanMode: "Sometimes" } };
      assert.throws(() => custom.validate(pool as never), /vxlanMode must be equal to one of the allowed values/);
      const config = { ...calicoBgpConfiguration(simple()), spec: { ...calicoBgpConfiguration(simple()).spec, logSeverityScreen: "Loud" } };
      assert.throws(() => custom.validate(config as never), /logSeverityScreen must match pattern/);
      // Go's (?i): case does not matter.
      custom.validate({ ...config, spec: { ...config.spec, logSeverityScreen: "warning" } } as never);
    });

    it(`${version}: refuses a manifest without what it customizes`, () => {
      const withoutPoolsSwitch = structuredClone(upstream(version)) as Obj[];
      configMap(withoutPoolsSwitch).calico_backend = "vxlan";
      assert.throws(
        () => customizeCalico(withoutPoolsSwitch, settingsFor(simple())),
        /calico\.yaml of Calico v3\.\d+\.\d+ has no calico_backend bird in ConfigMap calico-config \(it is vxlan\)/,
      );
      const noNode = (structuredClone(upstream(version)) as Obj[]).filter((o) => o.kind !== "DaemonSet");
      assert.throws(() => customizeCalico(noNode, settingsFor(simple())), /has no DaemonSet kube-system\/calico-node/);
    });
  }
});

describe("Calico custom resources", () => {
  it("pools: the k3s pod ranges, with block size, NAT and encapsulation per pool", () => {
    const config = multisite();
    assert.deepEqual(
      calicoIpPools(config).map((p) => [p.metadata.name, p.spec]),
      [
        [CALICO_NAMES.ipv4Pool, { cidr: "10.42.0.0/16", blockSize: 26, ipipMode: "Never", vxlanMode: "Never", natOutgoing: true, nodeSelector: "all()" }],
        [CALICO_NAMES.ipv6Pool, { cidr: "fd00:42::/56", blockSize: 122, ipipMode: "Never", vxlanMode: "Never", natOutgoing: false, nodeSelector: "all()" }],
      ],
    );
    assert.equal(calicoIpPools(simple()).length, 1);
    assert.deepEqual(poolModes("IPIP"), { ipipMode: "Always", vxlanMode: "Never" });
    assert.deepEqual(poolModes("VXLANCrossSubnet"), { ipipMode: "Never", vxlanMode: "CrossSubnet" });
  });

  it("BGP: the mesh is off with routers, on without; the Service ranges are advertised", () => {
    const routed = calicoBgpConfiguration(multisite());
    assert.equal(routed.metadata.name, "default");
    assert.equal(routed.spec.nodeToNodeMeshEnabled, false);
    assert.equal(routed.spec.asNumber, 64512);
    assert.deepEqual(routed.spec.serviceClusterIPs, [{ cidr: "10.43.0.0/16" }, { cidr: "fd00:43::/112" }]);
    assert.equal(calicoBgpConfiguration(simple()).spec.nodeToNodeMeshEnabled, true);
    const raw = exampleSections("multisite");
    raw.cni.calico.bgp.serviceLoadBalancerIPs = ["10.20.9.0/28"];
    assert.deepEqual(calicoBgpConfiguration(parse1(raw)).spec.serviceLoadBalancerIPs, [{ cidr: "10.20.9.0/28" }]);
  });

  it("one peer per router and family, selecting the segment's nodes by label; the password from its Secret", () => {
    const peers = calicoBgpPeers(multisite());
    assert.deepEqual(
      peers.map((p) => [p.metadata.name, p.spec.peerIP, p.spec.asNumber, p.spec.nodeSelector]),
      [
        ["k3s-sites-home-a", "10.20.1.1", 65101, "k3s-sites/segment == 'home-a'"],
        ["k3s-sites-home-a-v6", "fd00:20:1::1", 65101, "k3s-sites/segment == 'home-a'"],
        ["k3s-sites-home-b", "10.20.2.1", 65102, "k3s-sites/segment == 'home-b'"],
        ["k3s-sites-home-b-v6", "fd00:20:2::1", 65102, "k3s-sites/segment == 'home-b'"],
        ["k3s-sites-vps", "10.20.3.1", 65103, "k3s-sites/segment == 'vps'"],
        ["k3s-sites-vps-v6", "fd00:20:3::1", 65103, "k3s-sites/segment == 'vps'"],
      ],
    );
    assert.deepEqual(peers.find((p) => p.metadata.name === "k3s-sites-home-b")!.spec.password, {
      secretKeyRef: { name: CALICO_NAMES.passwords, key: CALICO_NAMES.passwordKey },
    });
    assert.equal(peers.find((p) => p.metadata.name === "k3s-sites-vps")!.spec.password, undefined);
    // Every node is in the cluster's AS: another node's route arrives as "<router AS> <cluster AS>", which BIRD
    // drops unless allowed once (test/lab/calico.test.ts shows the routes missing without it).
    assert.deepEqual(new Set(peers.map((p) => p.spec.numAllowedLocalASNumbers)), new Set([1]));
  });

  it("each node carries its segment's label, which the peers select on", () => {
    const config = multisite();
    const mini = config.nodes.find((n) => n.name === "mini")!;
    const first = config.nodes.find((n) => n.role === "server")!;
    assert.deepEqual(nodeConfig(config, { node: mini, joinServer: first })["node-label"], ["k3s-sites/segment=home-b"]);
    const home = parse1(exampleSections("home"));
    assert.equal(nodeConfig(home, { node: home.nodes[0]! })["node-label"], undefined);
  });

  it("MTU: the underlay minus the largest header the pools add", () => {
    assert.equal(calicoMtu(multisite()), 1420);
    assert.equal(calicoMtu(simple()), 1450);
    const raw = exampleSections("multisite");
    raw.cni.calico.encapsulation = "VXLANCrossSubnet";
    raw.cni.calico.encapsulationV6 = "VXLANCrossSubnet";
    assert.equal(calicoMtu(parse1(raw)), 1420 - 70);
    const ipip = { ...sshSections(), cni: { plugin: "calico", calico: { encapsulation: "IPIP", underlayMtu: 1420 } } };
    assert.equal(calicoMtu(parse1(ipip)), 1420 - 20);
  });

  it("remote node sources: the pod range with a tunnel, none without", () => {
    assert.deepEqual(remoteNodeSources(multisite()), []);
    assert.deepEqual(remoteNodeSources(simple()), [{ ipBlock: { cidr: "10.42.0.0/16" } }]);
  });

  it("goRegExp: Go's (?i) after ^ is the i flag; other inline flags are refused", () => {
    assert.ok(goRegExp("^(?i)(Info|Debug)?$").test("debug"));
    assert.equal(goRegExp("^(Info|Debug)?$").test("debug"), false);
    assert.throws(() => goRegExp("^a(?s).b$"), /inline flag/);
  });
});

describe("Calico and segment rules", () => {
  const base = () => exampleSections("multisite");

  it("accepts the multisite example", () => {
    assert.deepEqual(problemsOf(base()), []);
  });

  it("rejects IPIP with segment routers: between segments it fails, on one segment it gains nothing", () => {
    const raw = base();
    raw.cni.calico.encapsulation = "IPIP";
    assert.deepEqual(problemsOf(raw), [
      "cni.calico.encapsulation IPIP does not work between site.segments: calico-node tunnels pod packets to each route's BGP next hop, " +
        "and a router passes the routes of other segments with itself as next hop, and does not decapsulate IPIP; use None " +
        "(the routers carry the pod routes) or VXLANCrossSubnet (VXLAN to the other node itself)",
    ]);
    raw.site.segments = raw.site.segments.slice(0, 1);
    raw.site.hosts = raw.site.hosts.filter((h: { segment?: string }) => h.segment === "home-a");
    assert.deepEqual(problemsOf(raw), [
      "cni.calico.encapsulation IPIP is not supported with a site.segments router: on one segment the router passes each node's routes " +
        "with the node itself as next hop, so IPIP would add 20 bytes to every pod packet and cross nothing the router does not " +
        "already route, and k3s-sites has not seen it carry traffic; use None (the router carries the pod routes) or VXLANCrossSubnet",
    ]);
    assert.deepEqual(problemsOf({ ...sshSections(), cni: { plugin: "calico", calico: { encapsulation: "IPIP" } } }), []);
  });

  it("rejects a router with nodes but without an IPv6 address on a dual-stack site, whatever encapsulationV6 is", () => {
    const tail = " (a dual-stack site needs IPv6 routed by every router that has nodes, whatever cni.calico.encapsulationV6 is)";
    const raw = base();
    delete raw.site.segments[2].router.addressV6;
    assert.deepEqual(problemsOf(raw), [
      "site.segments[2].router.addressV6 is required: k3s.ipFamilies is dual-stack and cni.calico.encapsulationV6 is None, so IPv6 pod routes " +
        "travel over IPv6 BGP sessions with the router, and without its IPv6 address vps-1 would neither announce nor learn any; " +
        "set the router's IPv6 address in fd00:20:3::/64" + tail,
    ]);
    // VXLAN between segments: its outer packets are IPv6 between the nodes, which the routers must route.
    const vxlan = base();
    delete vxlan.site.segments[0].router.addressV6;
    vxlan.cni.calico.encapsulationV6 = "VXLANCrossSubnet";
    assert.deepEqual(problemsOf(vxlan), [
      "site.segments[0].router.addressV6 is required: k3s.ipFamilies is dual-stack and without an IPv6 address on the router nuc, pi have no " +
        "IPv6 BGP session: no router learns the IPv6 Service ranges, and cni.calico.encapsulationV6 VXLANCrossSubnet sends IPv6 pod packets " +
        "to other segments inside IPv6 packets between the nodes' own addresses, which this router does not route; " +
        "set the router's IPv6 address in fd00:20:1::/64" + tail,
    ]);
    // One segment: no packet crosses a router, but the IPv6 Service ranges still reach no router.
    vxlan.site.segments = vxlan.site.segments.slice(0, 1);
    vxlan.site.hosts = vxlan.site.hosts.filter((h: { segment?: string }) => h.segment === "home-a");
    assert.deepEqual(problemsOf(vxlan), [
      "site.segments[0].router.addressV6 is required: k3s.ipFamilies is dual-stack and without an IPv6 address on the router nuc, pi have no " +
        "IPv6 BGP session: no router learns the IPv6 Service ranges; set the router's IPv6 address in fd00:20:1::/64" + tail,
    ]);
    // A router without nodes needs none; an IPv4-only site needs none.
    const empty = base();
    delete empty.site.segments[2].router.addressV6;
    empty.site.hosts = empty.site.hosts.filter((h: { segment?: string }) => h.segment !== "vps");
    assert.deepEqual(problemsOf(empty), []);
  });

  it("rejects a host outside its segment", () => {
    const raw = base();
    raw.site.hosts[2].privateIp = "10.20.1.50";
    assert.deepEqual(problemsOf(raw), [
      "site.hosts[2].privateIp 10.20.1.50 is outside site.segments[1].cidr 10.20.2.0/24 (segment home-b): use the host's address on that segment, or fix site.hosts[2].segment",
    ]);
  });

  it("rejects a router outside its segment, and an unknown segment name", () => {
    const raw = base();
    raw.site.segments[0].router.address = "10.20.2.1";
    raw.site.hosts[1].segment = "home-c";
    assert.deepEqual(problemsOf(raw), [
      "site.segments[0].router.address 10.20.2.1 is outside the segment's cidr 10.20.1.0/24: the nodes peer with the router on their own network; use its address there",
      'site.hosts[1].segment "home-c" is not in site.segments (home-a, home-b, vps): fix the name, or declare the segment',
    ]);
  });

  it("rejects overlapping segments, and a segment over the pod range", () => {
    const raw = base();
    raw.site.segments[1].cidr = "10.20.1.0/25";
    raw.site.segments[2].cidrV6 = "fd00:42::/64";
    const problems = problemsOf(raw);
    assert.ok(problems.includes("site.segments[1].cidr 10.20.1.0/25 overlaps site.segments[0].cidr 10.20.1.0/24: segments are separate networks; choose disjoint ranges"), problems.join("\n"));
    assert.ok(problems.includes("site.segments[2].cidrV6 fd00:42::/64 overlaps k3s.clusterCidrV6 fd00:42::/56: pods and Services need ranges of their own; choose disjoint ranges"), problems.join("\n"));
  });

  it("rejects a segment with nodes but no router while the mesh is off", () => {
    const raw = base();
    delete raw.site.segments[2].router;
    assert.deepEqual(problemsOf(raw), [
      "site.segments[2].router is required: other segments have routers, so the node-to-node mesh is off, and nothing would route to the pods of vps-1; declare the segment's router {address, asNumber}",
    ]);
  });

  it("rejects invalid AS numbers and a router in the cluster's AS", () => {
    const raw = base();
    raw.site.segments[0].router.asNumber = 0;
    raw.site.segments[1].router.asNumber = 64512;
    assert.deepEqual(problemsOf(raw), [
      "site.segments[0].router.asNumber 0 is out of range: expected an AS number from 1 to 4294967294, e.g. a private one from 64512 to 65534",
    ]);
    raw.site.segments[0].router.asNumber = 65101;
    assert.deepEqual(problemsOf(raw), [
      "site.segments[1].router.asNumber 64512 is also cni.calico.bgp.asNumber: the sessions would be iBGP, and a router passes no iBGP route from one node to another unless it is a route reflector; give the router its own private AS, e.g. 65001",
    ]);
  });

  it("requires each host to name its segment when there are several; one segment needs none", () => {
    const raw = base();
    delete raw.site.hosts[0].segment;
    assert.deepEqual(problemsOf(raw), [
      "site.hosts[0].segment is required when site.segments lists several segments: name the one nuc is on (home-a, home-b, vps)",
    ]);
    const one = { ...sshSections(), cni: { plugin: "calico" } } as Record<string, any>;
    one.site.segments = [{ name: "lan", cidr: "192.168.1.0/24", router: { address: "192.168.1.1", asNumber: 65001 } }];
    const config = parse1(one);
    assert.deepEqual(config.nodes.map((n) => n.segment), ["lan", "lan"]);
  });

  it("rejects segments on another CNI, Calico on hetzner, and an MTU larger than the underlay allows", () => {
    const raw = base();
    raw.cni = { plugin: "cilium" };
    assert.ok(problemsOf(raw).includes("site.segments are set but cni.plugin is cilium, which peers with no router: set cni.plugin: calico (only on a new site), or remove site.segments"));
    const mtu = base();
    mtu.cni.calico.encapsulation = "VXLANCrossSubnet";
    mtu.cni.calico.mtu = 1400;
    assert.deepEqual(problemsOf(mtu), [
      "cni.calico.mtu 1400 does not fit cni.calico.underlayMtu 1420: the pools' encapsulation adds 50 bytes, so pod packets can be at most 1370; set that or less, or leave cni.calico.mtu unset",
    ]);
  });

  it("rejects a segment outside site.network.cidr", () => {
    const raw = base();
    raw.site.segments[2].cidr = "10.30.3.0/24";
    raw.site.segments[2].router.address = "10.30.3.1";
    raw.site.hosts[3].privateIp = "10.30.3.10";
    const problems = problemsOf(raw);
    assert.ok(
      problems.includes("site.segments[2].cidr 10.30.3.0/24 is outside site.network.cidr 10.20.0.0/16: site.network.cidr is the range that holds every segment; widen it, e.g. to a /16 around the segments"),
      problems.join("\n"),
    );
  });
});
