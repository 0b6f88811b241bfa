/**
 * The Calico objects k3s-sites applies after calico.yaml: the IP pools (calico-node creates none, see
 * CALICO_CUSTOMIZED.noDefaultPools), the default BGPConfiguration, one BGPPeer per segment router and address
 * family, and the Secret with the BGP passwords with the Role that lets calico-node read it. Plain data; the fields
 * are those of the CRDs in calico.yaml (crd.projectcalico.org/v1), and test/cni/calico/manifest.test.ts validates every object
 * against them at both pinned versions.
 */
import type { SiteConfig } from "../../config/site";
import type { CalicoEncapsulation, SegmentConfig } from "./schema";

/** The node label that puts a node in a segment; BGPPeers select nodes by it. */
export const SEGMENT_LABEL = "k3s-sites/segment";

export const CALICO_GROUP = "crd.projectcalico.org/v1";

/** Names of the objects, for the component and tests. */
export const CALICO_NAMES = {
  namespace: "kube-system",
  ipv4Pool: "k3s-sites-ipv4",
  ipv6Pool: "k3s-sites-ipv6",
  /** Calico reads the BGPConfiguration named default for the whole cluster. */
  bgpConfiguration: "default",
  passwords: "k3s-sites-bgp-password",
  /** The key of the password in that Secret. */
  passwordKey: "password",
  /** calico-node's service account in calico.yaml. */
  serviceAccount: "calico-node",
} as const;

export interface IPPool {
  readonly apiVersion: typeof CALICO_GROUP;
  readonly kind: "IPPool";
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly cidr: string;
    readonly blockSize: number;
    readonly ipipMode: "Never" | "Always" | "CrossSubnet";
    readonly vxlanMode: "Never" | "Always" | "CrossSubnet";
    readonly natOutgoing: boolean;
    readonly nodeSelector: string;
  };
}

export interface BGPConfiguration {
  readonly apiVersion: typeof CALICO_GROUP;
  readonly kind: "BGPConfiguration";
  readonly metadata: { readonly name: "default" };
  readonly spec: {
    readonly asNumber: number;
    readonly nodeToNodeMeshEnabled: boolean;
    readonly logSeverityScreen: "Info";
    readonly serviceClusterIPs: readonly { readonly cidr: string }[];
    readonly serviceLoadBalancerIPs?: readonly { readonly cidr: string }[];
    readonly serviceExternalIPs?: readonly { readonly cidr: string }[];
  };
}

export interface BGPPeer {
  readonly apiVersion: typeof CALICO_GROUP;
  readonly kind: "BGPPeer";
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly peerIP: string;
    readonly asNumber: number;
    readonly nodeSelector: string;
    /**
     * Routes whose AS path holds the node's own AS this many times are still accepted: every node is in the
     * cluster's AS, so a route from another node arrives through the router as `<router AS> <cluster AS>`.
     */
    readonly numAllowedLocalASNumbers: number;
    readonly password?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
  };
}

/** ipipMode and vxlanMode of a pool (the CRD refuses both on at once, and ipipMode on an IPv6 pool). */
export function poolModes(encapsulation: CalicoEncapsulation): Pick<IPPool["spec"], "ipipMode" | "vxlanMode"> {
  switch (encapsulation) {
    case "None":
      return { ipipMode: "Never", vxlanMode: "Never" };
    case "VXLANCrossSubnet":
      return { ipipMode: "Never", vxlanMode: "CrossSubnet" };
    case "IPIP":
      return { ipipMode: "Always", vxlanMode: "Never" };
  }
}

/** The pools: k3s.clusterCidr, and k3s.clusterCidrV6 on dual-stack sites. */
export function calicoIpPools(config: SiteConfig): IPPool[] {
  const calico = config.cni.calico;
  const pools: IPPool[] = [
    {
      apiVersion: CALICO_GROUP,
      kind: "IPPool",
      metadata: { name: CALICO_NAMES.ipv4Pool },
      spec: {
        cidr: config.k3s.clusterCidr,
        blockSize: calico.blockSize,
        ...poolModes(calico.encapsulation),
        natOutgoing: calico.natOutgoing,
        nodeSelector: "all()",
      },
    },
  ];
  if (config.k3s.ipFamilies === "dual-stack" && config.k3s.clusterCidrV6 !== undefined) {
    pools.push({
      apiVersion: CALICO_GROUP,
      kind: "IPPool",
      metadata: { name: CALICO_NAMES.ipv6Pool },
      spec: {
        cidr: config.k3s.clusterCidrV6,
        blockSize: calico.blockSizeV6,
        ...poolModes(calico.encapsulationV6),
        natOutgoing: calico.natOutgoingV6,
        nodeSelector: "all()",
      },
    });
  }
  return pools;
}

/** The segments of the site (ssh sites only). */
export function segmentsOf(config: SiteConfig): readonly SegmentConfig[] {
  return config.site.kind === "ssh" ? config.site.segments : [];
}

/** The segments that have a router: with any, the full node-to-node mesh is off and nodes peer with their router. */
export function routedSegments(config: SiteConfig): (SegmentConfig & { readonly router: NonNullable<SegmentConfig["router"]> })[] {
  return segmentsOf(config).filter((s): s is SegmentConfig & { router: NonNullable<SegmentConfig["router"]> } => s.router !== undefined);
}

/**
 * The cluster-wide BGP settings. With routers the node-to-node mesh is off: each node peers with its segment's
 * router only, and the routers carry the routes between segments. The Service ranges are advertised to the peers
 * (serviceClusterIPs; serviceLoadBalancerIPs and serviceExternalIPs when declared).
 */
export function calicoBgpConfiguration(config: SiteConfig): BGPConfiguration {
  const bgp = config.cni.calico.bgp;
  const services = [config.k3s.serviceCidr, ...(config.k3s.ipFamilies === "dual-stack" && config.k3s.serviceCidrV6 ? [config.k3s.serviceCidrV6] : [])];
  return {
    apiVersion: CALICO_GROUP,
    kind: "BGPConfiguration",
    metadata: { name: CALICO_NAMES.bgpConfiguration },
    spec: {
      asNumber: bgp.asNumber,
      nodeToNodeMeshEnabled: routedSegments(config).length === 0,
      logSeverityScreen: "Info",
      serviceClusterIPs: services.map((cidr) => ({ cidr })),
      ...(bgp.serviceLoadBalancerIPs.length > 0 ? { serviceLoadBalancerIPs: bgp.serviceLoadBalancerIPs.map((cidr) => ({ cidr })) } : {}),
      ...(bgp.serviceExternalIPs.length > 0 ? { serviceExternalIPs: bgp.serviceExternalIPs.map((cidr) => ({ cidr })) } : {}),
    },
  };
}

/** Calico's selector for the nodes of a segment. */
export function segmentSelector(segment: string): string {
  return `${SEGMENT_LABEL} == '${segment}'`;
}

/**
 * How many times a node accepts its own AS in a route's AS path. Every node is in the cluster's one AS and the
 * router is another, so a route from another node reaches a node as `<router AS> <cluster AS>`, and BIRD drops a
 * route whose path holds its own AS unless `allow local as` says how often it may (calico-node renders
 * BGPPeer numAllowedLocalASNumbers as `allow local as <n>`: confd/etc/calico/confd/templates/bird.cfg.template and
 * bird6.cfg.template, lines 140-142 at v3.32.1; confd/pkg/backends/calico/bgp_processor.go buildPeerFromData).
 * Once is enough: a route leaves the cluster's AS once, at the node that announces it; a path that came back into
 * the cluster a second time is a loop.
 */
export const ALLOWED_LOCAL_AS = 1;

/** One BGPPeer per router address: IPv4, and IPv6 when the router has one on a dual-stack site. */
export function calicoBgpPeers(config: SiteConfig): BGPPeer[] {
  const dual = config.k3s.ipFamilies === "dual-stack";
  return routedSegments(config).flatMap((segment) => {
    const { router } = segment;
    const password = router.password ? { password: { secretKeyRef: { name: CALICO_NAMES.passwords, key: CALICO_NAMES.passwordKey } } } : {};
    const peer = (suffix: string, peerIP: string): BGPPeer => ({
      apiVersion: CALICO_GROUP,
      kind: "BGPPeer",
      metadata: { name: `k3s-sites-${segment.name}${suffix}` },
      spec: { peerIP, asNumber: router.asNumber, nodeSelector: segmentSelector(segment.name), numAllowedLocalASNumbers: ALLOWED_LOCAL_AS, ...password },
    });
    return [peer("", router.address), ...(dual && router.addressV6 !== undefined ? [peer("-v6", router.addressV6)] : [])];
  });
}

/** The segments whose sessions use the password (k3s-sites:bgpPassword). */
export function passwordSegments(config: SiteConfig): string[] {
  return routedSegments(config)
    .filter((s) => s.router.password)
    .map((s) => s.name);
}

/**
 * calico-node reads BGP passwords from Secrets in its own namespace (confd/pkg/backends/calico/secret_watcher.go:
 * NAMESPACE, else kube-system; a watch per Secret name), and calico.yaml's ClusterRole calico-node grants no access
 * to Secrets: this Role grants it for the one Secret.
 */
export function calicoPasswordRbac(): object[] {
  const meta = { name: CALICO_NAMES.passwords, namespace: CALICO_NAMES.namespace };
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta,
      rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [CALICO_NAMES.passwords], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CALICO_NAMES.passwords },
      subjects: [{ kind: "ServiceAccount", name: CALICO_NAMES.serviceAccount, namespace: CALICO_NAMES.namespace }],
    },
  ];
}

/** Every custom resource, in the order they are applied. */
export function calicoResources(config: SiteConfig): (IPPool | BGPConfiguration | BGPPeer)[] {
  return [...calicoIpPools(config), calicoBgpConfiguration(config), ...calicoBgpPeers(config)];
}
