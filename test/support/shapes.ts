/**
 * The site shapes the verification checks and the policy pack are tested against: the example stacks and variations
 * of them, so that every value of every dimension below appears, and every pair of values of two dimensions that
 * the config schema allows appears in some shape (pairwise coverage, test/support/shapes.test.ts: 11 shapes instead of the full product of 128,
 * most of which plan the same checks the same way).
 *
 * Dimensions: the CNI (canal, cilium, calico, flannel), the site (hetzner, home), networkPolicies.defaultDeny (on,
 * off), ingress.proxyProtocol (on, off), a LoadBalancer Service for nginx (MetalLB or Cilium LB-IPAM; home sites
 * only) or none, and the IP families (IPv4, dual-stack; dual-stack on home sites only: a Hetzner private network is
 * IPv4).
 *
 * Plans are expensive (seconds each), so each shape is planned at most once per process: planOfShape caches the
 * promise, and every test file that imports this module shares it.
 */
import type { ProgramRun } from "../../plan/engine";
import { parseSiteConfig } from "../../src/config/load";
import type { SiteConfig } from "../../src/config/site";
import { clone, exampleSections } from "../helpers";
import { planOfSections } from "../plan/run";

type Raw = Record<string, any>;

export interface ShapeDimensions {
  readonly cni: "canal" | "cilium" | "calico" | "flannel";
  readonly site: "hetzner" | "home";
  readonly defaultDeny: boolean;
  readonly proxyProtocol: boolean;
  readonly loadBalancerService: boolean;
  readonly families: "ipv4" | "dual-stack";
}

export interface Shape {
  readonly name: string;
  readonly dimensions: ShapeDimensions;
  /** The stack's `k3s-sites:` sections. */
  readonly sections: Raw;
}

function hetzner(cni: Raw): Raw {
  const s = clone(exampleSections("prod"));
  s.cni = cni;
  return s;
}

/** The home example (three hosts with IPv6 addresses), with its CNI and load balancer replaced. */
function home(cni: Raw, dual: boolean, metallb?: Raw): Raw {
  const s = clone(exampleSections("home"));
  s.cni = cni;
  if (!dual) {
    s.k3s = { version: s.k3s.version, datastore: s.k3s.datastore };
    for (const h of s.site.hosts) delete h.privateIpv6;
  }
  if (metallb) s.site.loadBalancer = { metallb };
  return s;
}

/** MetalLB in L2 mode on the home example's LAN, nginx on the pool's first address. */
const METALLB_L2 = { pools: [{ name: "lan", addresses: ["192.168.1.240/28"], interfaces: ["eth0"] }], nginxAddress: "192.168.1.240" };

function with_(sections: Raw, d: Pick<ShapeDimensions, "defaultDeny" | "proxyProtocol">): Raw {
  const s = clone(sections);
  s.networkPolicies = { ...(s.networkPolicies ?? {}), defaultDeny: d.defaultDeny };
  s.ingress = { ...(s.ingress ?? {}), proxyProtocol: d.proxyProtocol };
  return s;
}

function shape(name: string, dimensions: ShapeDimensions, base: Raw, verifyHost?: string): Shape {
  const sections = with_(base, dimensions);
  // certificates.verifyHost: the certificate check issues a staging certificate through HTTP-01 (the solver, and
  // cert-manager's self-check through the edge).
  if (verifyHost) sections.certificates = { ...sections.certificates, verifyHost };
  return { name, dimensions, sections };
}

// Canal is IPv4 only and Calico for home sites only (config rules), which the pairs below respect.
export const SHAPES: readonly Shape[] = [
  // The prod example as it is.
  shape("hetzner-canal", { cni: "canal", site: "hetzner", defaultDeny: true, proxyProtocol: true, loadBalancerService: false, families: "ipv4" }, hetzner({ plugin: "canal" }), "verify.example.com"),
  shape("hetzner-canal-open", { cni: "canal", site: "hetzner", defaultDeny: false, proxyProtocol: false, loadBalancerService: false, families: "ipv4" }, hetzner({ plugin: "canal" })),
  shape("hetzner-flannel", { cni: "flannel", site: "hetzner", defaultDeny: true, proxyProtocol: false, loadBalancerService: false, families: "ipv4" }, hetzner({ plugin: "flannel" })),
  shape("hetzner-cilium-open", { cni: "cilium", site: "hetzner", defaultDeny: false, proxyProtocol: true, loadBalancerService: false, families: "ipv4" }, hetzner({ plugin: "cilium" })),
  // Cilium isolating a Hetzner site: nginx lets in the load balancer alone, matched as a node-network ipBlock.
  shape("hetzner-cilium", { cni: "cilium", site: "hetzner", defaultDeny: true, proxyProtocol: false, loadBalancerService: false, families: "ipv4" }, hetzner({ plugin: "cilium" })),
  // The home example as it is: Cilium LB-IPAM and L2 announcements, dual-stack.
  shape("home-cilium-lb", { cni: "cilium", site: "home", defaultDeny: true, proxyProtocol: false, loadBalancerService: true, families: "dual-stack" }, home(exampleSections("home").cni, true), "verify.home.example.com"),
  // LB-IPAM without L2 announcements: the router routes the pool, so the announcement check does not run.
  shape("home-cilium-lb-proxy-open", { cni: "cilium", site: "home", defaultDeny: false, proxyProtocol: true, loadBalancerService: true, families: "ipv4" }, home({ plugin: "cilium", cilium: { loadBalancerPools: exampleSections("home").cni.cilium.loadBalancerPools } }, false)),
  shape("home-flannel-metallb-proxy", { cni: "flannel", site: "home", defaultDeny: true, proxyProtocol: true, loadBalancerService: true, families: "dual-stack" }, home({ plugin: "flannel" }, true, METALLB_L2), "verify.home.example.com"),
  shape("home-canal-metallb-open", { cni: "canal", site: "home", defaultDeny: false, proxyProtocol: false, loadBalancerService: true, families: "ipv4" }, home({ plugin: "canal" }, false, METALLB_L2)),
  shape("home-calico-metallb", { cni: "calico", site: "home", defaultDeny: true, proxyProtocol: false, loadBalancerService: true, families: "ipv4" }, home({ plugin: "calico" }, false, METALLB_L2)),
  shape("home-flannel-open", { cni: "flannel", site: "home", defaultDeny: false, proxyProtocol: false, loadBalancerService: false, families: "ipv4" }, home({ plugin: "flannel" }, false)),
  shape("home-calico", { cni: "calico", site: "home", defaultDeny: false, proxyProtocol: true, loadBalancerService: false, families: "dual-stack" }, home({ plugin: "calico" }, true)),
];

export function shapeNamed(name: string): Shape {
  const found = SHAPES.find((s) => s.name === name);
  if (!found) throw new Error(`no shape ${name}; have ${SHAPES.map((s) => s.name).join(", ")}`);
  return found;
}

const configs = new Map<string, SiteConfig>();
/** The parsed config of a shape (cached). */
export function configOfShape(shape: Shape): SiteConfig {
  let c = configs.get(shape.name);
  if (!c) configs.set(shape.name, (c = parseSiteConfig(shape.sections)));
  return c;
}

const plans = new Map<string, Promise<ProgramRun>>();
/** The offline plan of a shape, once per process. */
export function planOfShape(shape: Shape): Promise<ProgramRun> {
  let p = plans.get(shape.name);
  if (!p) plans.set(shape.name, (p = planOfSections(shape.sections, shape.name)));
  return p;
}
