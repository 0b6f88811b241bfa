/**
 * IngressRouteTCP objects (traefik.io/v1alpha1, the CRD in charts/traefik/41.3.0/crds/) from the site's extra TCP
 * entry points to apps' Services, as ingress.traefik.tcpRoutes lists them. `HostSNI(\`*\`)` is the only rule a
 * route without TLS may have: plain TCP carries no name to match (Traefik's TCP router docs).
 */
import type { SiteConfig } from "../../config/site";
import type { TraefikSettings } from "./schema";

export interface IngressRouteTCP {
  readonly apiVersion: "traefik.io/v1alpha1";
  readonly kind: "IngressRouteTCP";
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly entryPoints: readonly string[];
    readonly routes: readonly { readonly match: string; readonly services: readonly { readonly name: string; readonly port: number }[] }[];
  };
}

/** One IngressRouteTCP per ingress.traefik.tcpRoutes entry, named `<entryPoint>-<service>` in the app's namespace. */
export function tcpRoutes(_config: SiteConfig, settings: TraefikSettings): IngressRouteTCP[] {
  return settings.tcpRoutes.map((r) => ({
    apiVersion: "traefik.io/v1alpha1",
    kind: "IngressRouteTCP",
    metadata: { name: `${r.entryPoint}-${r.service}`, namespace: r.namespace, labels: { "app.kubernetes.io/part-of": "k3s-sites" } },
    spec: { entryPoints: [r.entryPoint], routes: [{ match: "HostSNI(`*`)", services: [{ name: r.service, port: r.port }] }] },
  }));
}
