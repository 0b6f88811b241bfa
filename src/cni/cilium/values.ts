/**
 * Cilium for k3s: the pinned Helm chart, its values built from the SiteConfig, and the LB-IPAM and L2 announcement
 * objects. Plain data only; the component installs the chart (helm.v4.Chart) and applies the objects.
 *
 * Choices that hold for every site:
 * - IPAM mode kubernetes: pods get addresses from the node pod ranges that k3s cuts from k3s.clusterCidr (and
 *   clusterCidrV6). The chart's default, cluster-pool, hands out 10.0.0.0/8, which overlaps the Hetzner network
 *   (10.0.0.0/16 by default) and many LANs.
 * - Tunnel routing over VXLAN, stated explicitly although it is the chart's default, since a change of routing mode
 *   cuts pods off each other while the agents restart. Native routing would need routes to every node's pod range,
 *   which Hetzner's routed private network does not have and a home router is not told; with a tunnel,
 *   ipv4NativeRoutingCIDR (a native-routing setting) stays unset.
 * - kube-proxy replacement (k3s runs with disable-kube-proxy, see ciliumKubeProxyReplacement), reaching the API
 *   through 127.0.0.1:6444 on every node (K3S_LOCAL_API).
 * - The CNI paths stay at the chart's defaults (cni.binPath /opt/cni/bin, cni.confPath /etc/cni/net.d): k3s points
 *   containerd at its own CNI directories only while it runs Flannel (k3s pkg/agent/config/config.go sets CNIBinDir
 *   and CNIConfDir under `if !nodeConfig.NoFlannel`, and the containerd config template writes the cni section only
 *   when they are set), so with flannel-backend none containerd keeps its defaults, the same paths. Cilium's
 *   installer also copies the loopback plugin there when it is missing (plugins/cilium-cni/install-plugin.sh). On a
 *   node, `grep -A2 "cni]" /var/lib/rancher/k3s/agent/etc/containerd/config.toml` shows no cni section when so.
 */
import type { SiteConfig } from "../../config/site";
import { HETZNER_PRIVATE_MTU } from "../../hetzner/model";

/**
 * The Cilium chart k3s-sites installs: 1.20.0 (cilium/charts commit d5f3d1cc, 2026-07-29), the newest 1.20 release
 * vendored here (upstream/charts/cilium/1.20.0; upstream/SOURCES.md, "charts"). 1.20.2 exists (cilium/cilium
 * README.rst, "Stable Releases", 2026-09-15) but no snapshot reachable here holds its chart. 1.19.6, the previous pin,
 * stays vendored as the upgrade source: `npm run plan -- --stack home --chart-diff cilium=1.19.6`.
 */
export const CILIUM_CHART = {
  chart: "cilium",
  repository: "https://helm.cilium.io",
  version: "1.20.0",
} as const;

/** Cilium's namespace: its agents, operator, Hubble and the L2 announcement leases live here. */
export const CILIUM_NAMESPACE = "kube-system";

/** Name of the CiliumLoadBalancerIPPool and the CiliumL2AnnouncementPolicy of a site. */
export const CILIUM_RESOURCE_NAME = "k3s-sites";

/**
 * The Kubernetes API as every node sees it locally. On servers, k3s runs kube-apiserver with
 * `--bind-address=127.0.0.1 --secure-port=6444` behind its supervisor on 6443 (docs.k3s.io, CIS 1.10 self-assessment
 * guide, k3s v1.28-v1.33, "Running kube-apiserver" log line); on agents, k3s's client load balancer listens on
 * 127.0.0.1:6444 (`--lb-server-port`, default 6444) and forwards to the servers. Cilium has to reach the API before
 * any Service works, since it is the one that implements Services.
 */
export const K3S_LOCAL_API = { host: "127.0.0.1", port: 6444 } as const;

/**
 * Client rate limit of the agents when they announce LoadBalancer IPs. Every announced Service is a lease each
 * candidate node renews every leaseRenewDeadline (5 s by default), and Cilium's L2 announcement guide sizes the limit
 * as QPS = Services / leaseRenewDeadline. The chart's default (10 QPS, burst 20) is what an agent needs without L2;
 * 20 leaves room for 50 announced Services on top of it, and the guide asks for a burst "slightly higher" than QPS.
 */
export const L2_CLIENT_RATE_LIMIT = { qps: 20, burst: 40 } as const; // requests per second

/** Cilium's default: one operator leading and one standing by. */
const MAX_OPERATOR_REPLICAS = 2;

/** The values k3s-sites sets on the cilium chart; every other value keeps the chart's default. */
export interface CiliumValues {
  readonly ipam: { readonly mode: "kubernetes" };
  readonly routingMode: "tunnel";
  readonly tunnelProtocol: "vxlan";
  readonly kubeProxyReplacement: true;
  readonly k8sServiceHost: string;
  readonly k8sServicePort: number;
  readonly ipv4: { readonly enabled: true };
  /** On when k3s.ipFamilies is dual-stack. */
  readonly ipv6: { readonly enabled: boolean };
  /**
   * Roll the agents and the operator when their ConfigMap changes, so a changed value is running once `pulumi up`
   * returns instead of at the next restart.
   */
  readonly rollOutCiliumPods: true;
  /**
   * The operator's metrics off: on by default (values.yaml at 1.19.6, operator.prometheus.enabled, port 9963), it
   * serves plain HTTP on the host network (operator.hostNetwork, default true), where no NetworkPolicy applies and
   * every host of the LAN or the Hetzner network reaches it.
   */
  readonly operator: { readonly replicas: number; readonly rollOutPods: true; readonly prometheus: { readonly enabled: false } };
  /** Envoy's metrics off, for the same reason (envoy.prometheus.enabled, port 9964, host network). */
  readonly envoy: { readonly prometheus: { readonly enabled: false } };
  readonly hubble: {
    readonly enabled: boolean;
    readonly relay: { readonly enabled: boolean };
    /** Set when Hubble is on. */
    readonly tls?: { readonly auto: { readonly enabled: true; readonly method: "cronJob" } };
  };
  /** Interfaces the datapath attaches to. @default - detected by Cilium */
  readonly devices?: readonly string[];
  /**
   * MTU of the underlying network; Cilium subtracts its tunnel overhead.
   * @default - HETZNER_PRIVATE_MTU on hetzner sites, detected by Cilium elsewhere
   */
  readonly MTU?: number;
  /** Node addresses are selectable by NetworkPolicy ipBlocks. */
  readonly policyCIDRMatchMode: readonly "nodes"[];
  /** Set when cni.cilium.l2Announcements is. */
  readonly l2announcements?: { readonly enabled: true };
  /** Set when cni.cilium.l2Announcements is. @default - the chart's 10 QPS, burst 20 */
  readonly k8sClientRateLimit?: { readonly qps: number; readonly burst: number };
  /** Requests of the agent container. @default - none */
  readonly resources?: { readonly requests: { readonly cpu?: string; readonly memory?: string } };
}

/** The chart to install: the pinned one, or cni.cilium.version when set. */
export function ciliumChart(config: SiteConfig): { chart: string; repository: string; version: string } {
  return { ...CILIUM_CHART, version: config.cni.cilium.version ?? CILIUM_CHART.version };
}

/** Whether Cilium replaces kube-proxy, so that k3s must run with disable-kube-proxy: always when it is the CNI. */
export function ciliumKubeProxyReplacement(config: SiteConfig): boolean {
  return config.cni.plugin === "cilium";
}

/**
 * Operator replicas: one per server, at most two. The chart gives the operator a required pod anti-affinity on the
 * node name, so every replica needs a node of its own, and pulumi waits for all of them. Servers are the nodes a
 * site always has up; agents may be Pis that are off or a pool scaled to zero, and a replica without a node would
 * stay Pending and fail the update.
 */
export function ciliumOperatorReplicas(config: SiteConfig): number {
  const servers = config.nodes.filter((n) => n.role === "server").length;
  // The config rules guarantee at least one server; this guards callers that skip them.
  if (servers === 0) throw new Error("the site has no node with role server");
  return Math.min(servers, MAX_OPERATOR_REPLICAS);
}

/** The values of the cilium chart for a site. */
export function ciliumValues(config: SiteConfig): CiliumValues {
  const cilium = config.cni.cilium;
  const hubble = cilium.hubble.enabled;
  const requests = {
    ...(cilium.resources?.cpu !== undefined ? { cpu: cilium.resources.cpu } : {}),
    ...(cilium.resources?.memory !== undefined ? { memory: cilium.resources.memory } : {}),
  };
  return {
    ipam: { mode: "kubernetes" },
    routingMode: "tunnel",
    tunnelProtocol: "vxlan",
    kubeProxyReplacement: true,
    k8sServiceHost: K3S_LOCAL_API.host,
    k8sServicePort: K3S_LOCAL_API.port,
    ipv4: { enabled: true },
    ipv6: { enabled: config.k3s.ipFamilies === "dual-stack" },
    rollOutCiliumPods: true,
    // NetworkPolicy ipBlocks name the servers' addresses (API server, webhooks); Cilium matches node addresses in
    // CIDR rules only in this mode (Cilium docs, Network Policy, "policy-cidr-match-mode").
    policyCIDRMatchMode: ["nodes"],
    operator: { replicas: ciliumOperatorReplicas(config), rollOutPods: true, prometheus: { enabled: false } },
    envoy: { prometheus: { enabled: false } },
    hubble: {
      enabled: hubble,
      relay: { enabled: hubble && cilium.hubble.relay },
      // The chart's default method, helm, generates a new CA and certificates on every render: a diff on every
      // preview and new certificates on every update. cronJob has certgen create them once in the cluster and renew
      // them on a schedule (values.yaml, hubble.tls.auto.method: helm, cronJob or certmanager). Pulumi's Chart v4
      // drops Helm hooks, and up to chart 1.18 the first certgen run was a post-install hook; since 1.19.0 it is an
      // ordinary Job (templates/hubble/tls-cronjob/job.yaml, upstream/charts/cilium/<version>/), which the Chart
      // applies and keeps: its name is a digest of its spec, so a second preview shows no diff.
      ...(hubble ? { tls: { auto: { enabled: true, method: "cronJob" } } } : {}),
    },
    ...(cilium.devices !== undefined ? { devices: [...cilium.devices] } : {}),
    // Hetzner's private network carries 1450-byte packets while the public NIC has 1500; detection may pick the
    // public one, and VXLAN over the private network would then send packets too large for it.
    ...(cilium.mtu !== undefined
      ? { MTU: cilium.mtu }
      : config.site.kind === "hetzner"
        ? { MTU: HETZNER_PRIVATE_MTU }
        : {}),
    // L2 announcements need kube-proxy replacement, which is always on here (Cilium docs, L2 Announcements,
    // "Prerequisites"). externalIPs.enabled stays off: the policy announces LoadBalancer IPs only.
    ...(cilium.l2Announcements
      ? { l2announcements: { enabled: true }, k8sClientRateLimit: { ...L2_CLIENT_RATE_LIMIT } }
      : {}),
    ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
  };
}

export interface CiliumLoadBalancerIPPool {
  readonly apiVersion: "cilium.io/v2";
  readonly kind: "CiliumLoadBalancerIPPool";
  readonly metadata: { readonly name: string };
  readonly spec: { readonly blocks: readonly { readonly cidr: string }[] };
}

export interface CiliumL2AnnouncementPolicy {
  readonly apiVersion: "cilium.io/v2alpha1";
  readonly kind: "CiliumL2AnnouncementPolicy";
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly loadBalancerIPs: true;
    readonly interfaces: readonly string[];
    readonly nodeSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  };
}

/**
 * The policy's interfaces are Go regular expressions that Cilium matches anywhere in a device name (pkg/l2announcer:
 * regexp.MatchString), so `eth0` alone would also select `eth0.100` or `veth0`. The config lists names: each becomes
 * an anchored, escaped expression.
 */
export function interfaceRegex(name: string): string {
  return `^${name.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&")}$`;
}

/**
 * The cluster objects Cilium needs besides its chart: a CiliumLoadBalancerIPPool of cni.cilium.loadBalancerPools
 * (when there are any), and a CiliumL2AnnouncementPolicy that answers ARP for LoadBalancer IPs on the configured
 * interfaces (when cni.cilium.l2Announcements is set). Their CRDs are not in the chart: cilium-operator registers
 * them when it starts (operator.skipCRDCreation: false), so these can only be applied once the operator runs.
 */
export function ciliumResources(config: SiteConfig): (CiliumLoadBalancerIPPool | CiliumL2AnnouncementPolicy)[] {
  const cilium = config.cni.cilium;
  const out: (CiliumLoadBalancerIPPool | CiliumL2AnnouncementPolicy)[] = [];
  if (cilium.loadBalancerPools.length > 0) {
    out.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumLoadBalancerIPPool",
      metadata: { name: CILIUM_RESOURCE_NAME },
      spec: { blocks: cilium.loadBalancerPools.map((cidr) => ({ cidr })) },
    });
  }
  const l2 = cilium.l2Announcements;
  if (l2) {
    out.push({
      apiVersion: "cilium.io/v2alpha1",
      kind: "CiliumL2AnnouncementPolicy",
      metadata: { name: CILIUM_RESOURCE_NAME },
      spec: {
        loadBalancerIPs: true,
        interfaces: l2.interfaces.map(interfaceRegex),
        ...(l2.nodeSelector !== undefined && Object.keys(l2.nodeSelector).length > 0
          ? { nodeSelector: { matchLabels: { ...l2.nodeSelector } } }
          : {}),
      },
    });
  }
  return out;
}
