/**
 * The site's GatewayClass and Gateway for Cilium's Gateway API support (gateway.networking.k8s.io/v1, the CRDs of
 * gateway-api.ts). The Gateway listens on 80 for every name and on 443 for each of ingress.cilium.hosts, with a
 * certificate cert-manager's gateway-shim issues from the annotation (cert-manager's Gateway API support is on for
 * these sites: src/certificates/cert-manager/cert-manager.ts). Routes from every namespace may attach, so apps' HTTPRoutes name it as
 * their parentRef.
 */
import type { SiteConfig } from "../../config/site";
import { isolationLabels } from "../../policy/objects";
import { CILIUM_INGRESS } from "./names";
import type { CiliumIngressSettings } from "./schema";

/** The ClusterIssuer the Gateway's certificates come from (src/certificates/cert-manager/cert-manager.ts LETSENCRYPT.prod). */
const ISSUER = "letsencrypt-prod";

/** `app.example.com` -> `app-example-com-tls`; `*.example.com` -> `wildcard-example-com-tls`. */
export function tlsSecretName(host: string): string {
  return `${host.replace(/^\*\./, "wildcard.").replace(/\./g, "-")}-tls`;
}

export function gatewayObjects(config: SiteConfig, settings: CiliumIngressSettings): Record<string, unknown>[] {
  const { name, namespace } = CILIUM_INGRESS.gateway;
  const labels = { "app.kubernetes.io/part-of": "k3s-sites" };
  const all = { namespaces: { from: "All" } };
  const https = settings.hosts.map((host, i) => ({
    name: `https-${i}`,
    hostname: host,
    port: CILIUM_INGRESS.httpsPort,
    protocol: "HTTPS",
    tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: tlsSecretName(host) }] },
    allowedRoutes: all,
  }));
  const certificates = config.certificates.enabled && settings.hosts.length > 0;
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { ...labels, ...isolationLabels(config.networkPolicies.defaultDeny) } } },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: CILIUM_INGRESS.gatewayClass, labels },
      spec: { controllerName: CILIUM_INGRESS.gatewayController },
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name, namespace, labels, ...(certificates ? { annotations: { "cert-manager.io/cluster-issuer": ISSUER } } : {}) },
      spec: {
        gatewayClassName: CILIUM_INGRESS.gatewayClass,
        listeners: [{ name: "http", port: CILIUM_INGRESS.httpPort, protocol: "HTTP", allowedRoutes: all }, ...https],
      },
    },
  ];
}
