/**
 * Traefik from its official chart (traefik/traefik-helm-chart, vendored in upstream/charts/traefik/41.3.0; facts in
 * upstream/SOURCES.md, "traefik"), run the way the nginx DaemonSet runs: one pod per node on the nodes' 80 and 443
 * (hostPorts, the pod keeps its own network namespace so NetworkPolicies select it), the PROXY protocol believed
 * from the Hetzner load balancer's private address only, and on home sites a LoadBalancer Service with
 * externalTrafficPolicy Local in front when MetalLB or Cilium's LB-IPAM hands out addresses. Plain data only.
 */
import { isHetzner, type SiteConfig } from "../../config/site";
import { METALLB, metallbOf, nginxAddressOf } from "../../lb/metallb/metallb";
import { TRAEFIK } from "./names";
import type { TraefikSettings } from "./schema";

/** The chart k3s-sites installs: 41.3.0, Traefik v3.7.11 (Chart.yaml appVersion), the newest tag read. */
export const TRAEFIK_CHART = {
  chart: "traefik",
  repository: "https://traefik.github.io/charts",
  version: "41.3.0",
  /** The image the chart runs, by tag (values.yaml image.tag defaults to the appVersion; no digest was read). */
  appVersion: "v3.7.11",
} as const;

interface ProxyProtocol {
  /** Addresses whose PROXY header is believed; a header from anyone else is ignored (go-proxyproto IGNORE). */
  readonly trustedIPs: readonly string[];
}

export interface TraefikPort {
  /** Container port. */
  readonly port?: number;
  /** The node's port. */
  readonly hostPort: number;
  readonly protocol?: "TCP";
  /** Whether the chart's Service carries it; extra TCP entry points are reached through their hostPort only. */
  readonly expose?: { readonly default: boolean };
  readonly proxyProtocol?: ProxyProtocol;
}

/** The values k3s-sites sets on the traefik chart; every other value keeps the chart's default. */
export interface TraefikValues {
  /** One pod per node, on the nodes' 80 and 443. */
  readonly deployment: { readonly kind: "DaemonSet"; readonly minReadySeconds?: number };
  /**
   * A hostPort is held on the node until the old pod is gone, so a surge pod (the chart's default maxSurge 1) could
   * never be scheduled: replace one node at a time, as nginx does.
   */
  readonly updateStrategy: { readonly type: "RollingUpdate"; readonly rollingUpdate: { readonly maxUnavailable: 1; readonly maxSurge: 0 } };
  readonly ports: Readonly<Record<string, TraefikPort>>;
  /**
   * Access log to stdout in the common log format, whose first field is the client address (ClientHost, from the
   * PROXY header where one is trusted): what the edge check reads. Requests that match no router are logged too:
   * the entry point's fallback 404 handler is built with the same observability chain (pkg/server/router/router.go,
   * as quoted in traefik/traefik#13119 of 2026-05, not read at v3.7.11; a logged unmatched request in #9648).
   */
  readonly accessLog: { readonly enabled: true; readonly format: "common" };
  /** The dashboard off, and no IngressRoute to the API (already the chart's default, stated). */
  readonly api: { readonly dashboard: false };
  readonly ingressRoute: { readonly dashboard: { readonly enabled: false } };
  /** The site's only ingress controller: Ingresses without a class get this one. */
  readonly ingressClass: { readonly enabled: true; readonly isDefaultClass: true; readonly name: string };
  readonly providers: {
    readonly kubernetesCRD: { readonly enabled: true };
    readonly kubernetesIngress: {
      readonly enabled: true;
      /** Ingress status from the LoadBalancer Service's address, on home sites that have one. */
      readonly publishedService: { readonly enabled: boolean };
      /** Ingress status: the Hetzner load balancer's public address, known at deploy time. */
      readonly ingressEndpoint?: { readonly ip: string };
    };
  };
  /** No Service on Hetzner (the load balancer reaches the hostPorts); on home sites a LoadBalancer one, Local. */
  readonly service:
    | { readonly enabled: false }
    | {
        readonly enabled: true;
        readonly annotations?: Readonly<Record<string, string>>;
        readonly spec: { readonly type: "LoadBalancer"; readonly externalTrafficPolicy: "Local" };
      };
}

export interface TraefikOptions {
  /** The address Ingress status reports on a Hetzner site (the load balancer's public IPv4). @default - none */
  readonly statusAddress?: string;
  /**
   * Whether the site hands out LoadBalancer addresses (MetalLB, Cilium's LB-IPAM: the registry's
   * ingressLoadBalancerService), so that a LoadBalancer Service goes in front. @default false
   */
  readonly loadBalancerService?: boolean;
}

/** Who may send the PROXY header on 80 and 443: the Hetzner load balancer's /32, else the nodes' LAN (as nginx). */
export function proxyTrusted(config: SiteConfig): string[] {
  return isHetzner(config.site) ? [`${config.site.plan.loadBalancerIp}/32`] : [config.nodeCidr];
}

/**
 * The extra TCP entry points: one per site.loadBalancer.services entry that ingress.traefik.tcpRoutes routes, named
 * after it, on the node's destinationPort, with the PROXY protocol from the load balancer when that service sends
 * it. A service no route names keeps its node port free for an app's own hostPort, as on an nginx site.
 */
export function extraEntryPoints(config: SiteConfig, settings: TraefikSettings): Record<string, TraefikPort> {
  if (!isHetzner(config.site)) return {};
  const trusted = proxyTrusted(config);
  const routed = new Set(settings.tcpRoutes.map((r) => r.entryPoint));
  return Object.fromEntries(
    config.site.loadBalancer.services
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => routed.has(s.name))
      .map(({ s, i }) => [
      s.name,
      {
        port: TRAEFIK.extraPortBase + i,
        hostPort: s.destinationPort ?? s.listenPort,
        protocol: "TCP" as const,
        expose: { default: false },
        ...(s.proxyProtocol ? { proxyProtocol: { trustedIPs: trusted } } : {}),
      },
    ]),
  );
}

/** The chart's values for a site. */
export function traefikValues(config: SiteConfig, settings: TraefikSettings, opts: TraefikOptions = {}): TraefikValues {
  const proxy = config.ingress.proxyProtocol ? { proxyProtocol: { trustedIPs: proxyTrusted(config) } } : {};
  const healthCheck = isHetzner(config.site) ? config.site.loadBalancer.healthCheck : undefined;
  const lbService = opts.loadBalancerService ?? false;
  const metallb = metallbOf(config);
  const address = metallb ? nginxAddressOf(metallb) : undefined;
  return {
    deployment: {
      kind: "DaemonSet",
      // Hetzner: one health check (interval plus timeout) to take the node back before the next one goes down.
      ...(healthCheck ? { minReadySeconds: healthCheck.intervalSeconds + healthCheck.timeoutSeconds } : {}), // seconds
    },
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    ports: {
      web: { hostPort: 80, ...proxy },
      websecure: { hostPort: 443, ...proxy },
      ...extraEntryPoints(config, settings),
    },
    accessLog: { enabled: true, format: "common" },
    api: { dashboard: false },
    ingressRoute: { dashboard: { enabled: false } },
    ingressClass: { enabled: true, isDefaultClass: true, name: TRAEFIK.ingressClass },
    providers: {
      kubernetesCRD: { enabled: true },
      kubernetesIngress: {
        enabled: true,
        publishedService: { enabled: lbService },
        ...(opts.statusAddress !== undefined ? { ingressEndpoint: { ip: opts.statusAddress } } : {}),
      },
    },
    service: lbService
      ? {
          enabled: true,
          ...(address ? { annotations: { [METALLB.loadBalancerIpsAnnotation]: address } } : {}),
          // Local: no SNAT to another node, so Traefik sees the client's address; every node runs a pod.
          spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
        }
      : { enabled: false },
  };
}
