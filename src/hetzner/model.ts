/**
 * Plain descriptions of the Hetzner objects of a site: labels, firewall rules, placement groups, load-balancer
 * services. The component turns them into hcloud resources one to one.
 */
import { createHash } from "node:crypto";
import type { HetznerSite, NodeSpec } from "../config/site";

/** The MTU of Hetzner Cloud private networks (docs.hetzner.com, Networks, "MTU"); public NICs have 1500. */
export const HETZNER_PRIVATE_MTU = 1450; // bytes

/** Label keys on every Hetzner object of a site; the firewall and the load balancer select servers by them. */
export const LABEL = {
  site: "k3s-sites/site",
  pool: "k3s-sites/pool",
  role: "k3s-sites/role",
  /** On the firewall, "true" when site.allowWorld is set: the policy pack reads it (policy/rules.ts). */
  allowWorld: "k3s-sites/allow-world",
} as const;

/** Hetzner's limit of servers in one spread placement group. */
export const PLACEMENT_GROUP_LIMIT = 10;

/** The public ports of the ingress; always forwarded. */
export const INGRESS_PORTS = [
  { name: "http", listenPort: 80 },
  { name: "https", listenPort: 443 },
] as const;

/** The Kubernetes API port of k3s servers. */
export const API_PORT = 6443;

/**
 * How the hcloud provider polls Hetzner's actions (server create, network attach, protection): every poll is an API
 * request out of the project's 3,600-request bucket. The provider's default, 500 ms doubling
 * (terraform-provider-hcloud v1.68.0 hcloud/provider.go, poll_interval and poll_function; hcloud-go v2.47.0
 * action_waiter.go), polls a 12 s server create five times; 2 s doubling polls it three times and sees it done
 * about as soon (docs/performance.md).
 */
export const HCLOUD_POLL = { pollInterval: "2s", pollFunction: "exponential" } as const;


export function siteLabels(siteName: string): Record<string, string> {
  return { [LABEL.site]: siteName };
}

/** The firewall's labels: the site's, and the allowWorld mark when SSH and the API may be open to the internet. */
export function firewallLabels(siteName: string, site: Pick<HetznerSite, "allowWorld">): Record<string, string> {
  return { ...siteLabels(siteName), ...(site.allowWorld ? { [LABEL.allowWorld]: "true" } : {}) };
}

/** The label selector matching every server of a site. */
export function siteSelector(siteName: string): string {
  return `${LABEL.site}=${siteName}`;
}

export function serverLabels(siteName: string, node: NodeSpec): Record<string, string> {
  return { ...siteLabels(siteName), [LABEL.pool]: node.hetzner?.pool ?? "", [LABEL.role]: node.role };
}

/** Hetzner server names are unique per project, so a site's servers carry the site's name. */
export function serverName(siteName: string, node: NodeSpec): string {
  return `${siteName}-${node.name}`;
}

/**
 * The site's Hetzner SSH key. Hetzner keeps key names and fingerprints unique per project, and Pulumi creates a
 * replacement key before it deletes the old one: so the name carries a digest of the key, and the comment (which
 * does not change the fingerprint) is left out, so that editing only the comment changes nothing.
 */
export function sshKeyOf(siteName: string, publicKey: string): { name: string; publicKey: string } {
  const [type = "", body = ""] = publicKey.trim().split(/\s+/);
  const digest = createHash("sha256").update(body).digest("hex").slice(0, 8);
  return { name: `${siteName}-${digest}`, publicKey: `${type} ${body}` };
}

export interface FirewallRuleSpec {
  readonly description: string;
  readonly direction: "in";
  readonly protocol: "tcp" | "icmp";
  readonly port?: string;
  readonly sourceIps: readonly string[];
}

/**
 * Inbound rules of the site's firewall. Everything not listed is denied. Hetzner firewalls filter public
 * interfaces only: the private network (load balancer to nodes, node to node) is not filtered.
 */
export function firewallRules(site: HetznerSite): FirewallRuleSpec[] {
  const sources = [...site.operatorCidrs];
  const rules: FirewallRuleSpec[] = [
    { description: "SSH from the operators", direction: "in", protocol: "tcp", port: "22", sourceIps: sources },
    {
      description: "Kubernetes API from the operators",
      direction: "in",
      protocol: "tcp",
      port: String(API_PORT),
      sourceIps: sources,
    },
  ];
  if (site.allowIcmp) {
    rules.push({ description: "ICMP (ping, path MTU discovery)", direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"] });
  }
  return rules;
}

/**
 * The spread placement group of a node: `<pool>-<k>` holds nodes 10k+1 .. 10k+10 of the pool. A node's group
 * depends only on its own number, so adding or removing nodes never moves another server (which would need a
 * power-off).
 */
export function placementGroupKey(node: NodeSpec): string {
  const h = node.hetzner;
  if (!h) throw new Error(`placementGroupKey: ${node.name} is not a Hetzner node`);
  return `${h.pool}-${Math.floor((h.number - 1) / PLACEMENT_GROUP_LIMIT)}`;
}

/** Placement groups with their nodes, in node order. */
export function placementGroups(nodes: readonly NodeSpec[]): Map<string, NodeSpec[]> {
  const groups = new Map<string, NodeSpec[]>();
  for (const node of nodes) {
    const key = placementGroupKey(node);
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }
  return groups;
}

export interface LoadBalancerServiceSpec {
  readonly name: string;
  readonly listenPort: number;
  readonly destinationPort: number;
  readonly proxyProtocol: boolean;
  readonly healthCheck: {
    readonly protocol: "tcp";
    readonly port: number;
    readonly interval: number;
    readonly timeout: number;
    readonly retries: number;
  };
}

/**
 * TCP services of the load balancer: 80 and 443 to the ingress with the PROXY protocol when the ingress expects it,
 * then the configured extra ports (mail and the like), each with its own switch. Every service health-checks its
 * destination port over TCP.
 */
export function loadBalancerServices(site: HetznerSite, ingressProxyProtocol: boolean): LoadBalancerServiceSpec[] {
  const hc = site.loadBalancer.healthCheck;
  const service = (name: string, listenPort: number, destinationPort: number, proxyProtocol: boolean) => ({
    name,
    listenPort,
    destinationPort,
    proxyProtocol,
    healthCheck: {
      protocol: "tcp" as const,
      port: destinationPort,
      interval: hc.intervalSeconds,
      timeout: hc.timeoutSeconds,
      retries: hc.retries,
    },
  });
  return [
    ...INGRESS_PORTS.map((p) => service(p.name, p.listenPort, p.listenPort, ingressProxyProtocol)),
    ...site.loadBalancer.services.map((s) => service(s.name, s.listenPort, s.destinationPort ?? s.listenPort, s.proxyProtocol)),
  ];
}
