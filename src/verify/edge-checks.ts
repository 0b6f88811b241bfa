/**
 * What the edge check calls and reads on a site: the load balancer from a pod or the host network, the server it
 * runs on, and nginx's access log for the client address the PROXY header carries.
 */
import { isHetzner, type SiteConfig } from "../config/site";
import { ingressOf } from "../concerns/registry";
import { hasLoadBalancerService } from "../ingress/nginx/nginx";

/**
 * Keys of the controller's ConfigMap that change what the access log holds (internal/configs/configmaps.go,
 * v5.5.4), the snippets included (main-snippets, http-snippets, server-snippets: raw nginx configuration that may
 * set access_log or the real-ip settings): with any of them in ingress.config the log check cannot read the client
 * address and is skipped.
 */
export const LOG_KEYS = [
  "access-log",
  "access-log-off",
  "log-format",
  "default-server-access-log-off",
  "main-snippets",
  "http-snippets",
  "server-snippets",
] as const;

/** Where the edge check reads nginx's access log to see the client address nginx took from the PROXY header. */
export interface ProxyLog {
  readonly namespace: string;
  /** nginx's pods, as a labelSelector. */
  readonly selector: string;
  readonly container: string;
  /** The load balancer's private address: what nginx would log without the PROXY header. */
  readonly lbPrivateIp: string;
}

/**
 * The log check of a Hetzner site with the PROXY protocol on (the load balancer sends the header, nginx trusts it
 * from the load balancer's private address: src/ingress/nginx/nginx.ts). NGINX Ingress Controller v5.5.4 logs every request
 * to stdout in its default format `main`, whose first field is $remote_addr (internal/configs/version1/nginx.tmpl,
 * log_format main; config_params.go MainAccessLog "/dev/stdout main"), and its default server, which answers a
 * request to the load balancer's bare address, carries the same proxy_protocol listen, set_real_ip_from and
 * real_ip_header as every server (configurator.go GenerateDefaultServerConfig; nginx.ingress.tmpl), and logs
 * unless default-server-access-log-off is set. So $remote_addr there is the PROXY header's source address.
 */
export function proxyLogOf(config: SiteConfig): ProxyLog | { readonly skip: string } | undefined {
  if (!isHetzner(config.site)) return undefined;
  if (!config.ingress.proxyProtocol) return { skip: "ingress.proxyProtocol is false: the load balancer sends no PROXY header" };
  const keys = LOG_KEYS.filter((k) => k in config.ingress.config);
  if (keys.length > 0) return { skip: `ingress.config sets ${keys.join(", ")}: the log's first field may not be the client address` };
  const pods = ingressOf(config).edge.pods;
  if (!pods) return { skip: `${config.ingress.controller}'s ingress has no access log of its own to read` };
  return {
    namespace: pods.namespace,
    selector: encodeURIComponent(Object.entries(pods.labels).map(([k, v]) => `${k}=${v}`).join(",")),
    container: pods.logContainer,
    lbPrivateIp: config.site.plan.loadBalancerIp,
  };
}


/**
 * Whether the edge check has a load balancer to call from a pod: the Hetzner load balancer, or nginx's LoadBalancer
 * Service. A home site without one runs the host-network part only (EDGE_HOST_JOB).
 */
export function edgeFromPod(config: SiteConfig): boolean {
  return isHetzner(config.site) || hasLoadBalancerService(config);
}

/** Whether the load balancer's IPv6 addresses are tried from the host network: a Hetzner site, whose pods have no IPv6. */
export function lbIpv6FromHost(config: SiteConfig): boolean {
  return isHetzner(config.site) && config.k3s.ipFamilies !== "dual-stack";
}

/** The server whose host network the edge check calls the hostPorts from: the first. */
export function edgeHostNode(config: SiteConfig): SiteConfig["nodes"][number] {
  const server = config.nodes.find((n) => n.role === "server");
  if (!server) throw new Error("a site without a server: config rules refuse it");
  return server;
}
