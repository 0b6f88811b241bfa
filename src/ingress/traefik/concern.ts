/** Traefik as a concern (src/concerns/contract.ts): its chart, its CRDs, IngressRoutes and IngressRouteTCP. */
import { NO_K3S_FLAGS, NO_TRAITS, type IngressController } from "../../concerns/contract";
import type { SiteConfig } from "../../config/site";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { podsIn } from "../../policy/objects";
import { TRAEFIK_EDGE } from "./edge";
import { TRAEFIK } from "./names";
import { traefikPolicies } from "./policies";
import { traefikProblems } from "./rules";
import { traefikSchema, type TraefikSettings } from "./schema";
import { TRAEFIK_CHART } from "./values";

/** The site's ingress.traefik section, its defaults where it is unset. */
export function traefikSettings(config: SiteConfig): TraefikSettings {
  return config.ingress.traefik ?? { tcpRoutes: [] };
}

const uses = (config: SiteConfig): boolean => config.ingress.controller === "traefik";

export const traefik = {
  kind: "ingress",
  title: "Traefik",
  name: "traefik",
  key: "ingress.traefik",
  fragment: traefikSchema,
  uses,
  rules: [
    (config) => (uses(config) ? traefikProblems(config, traefikSettings(config)) : []),
    (config) =>
      !uses(config) && config.ingress.traefik !== undefined
        ? [{ path: "ingress.traefik", message: `is set, but ingress.controller is ${config.ingress.controller}, so it would do nothing: remove it, or set ingress.controller: traefik` }]
        : [],
  ],
  pins: () => [{ name: "Traefik", version: () => TRAEFIK_CHART.appVersion.replace(/^v/, ""), key: () => undefined, support: KUBERNETES_SUPPORT.traefik }],
  codePins: [{ component: "traefik", version: TRAEFIK_CHART.appVersion.replace(/^v/, ""), where: "TRAEFIK_CHART (src/ingress/traefik/values.ts)" }],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  traits: NO_TRAITS,
  policies: {
    nodeTrafficFromPodRange: () => false,
    namespaces: () => [TRAEFIK.namespace],
    system: (config) => traefikPolicies(config, traefikSettings(config)),
    inAppNamespace: () => [],
  },
  pods: { namespace: TRAEFIK.namespace, peer: podsIn(TRAEFIK.namespace, TRAEFIK.podLabels), httpPort: TRAEFIK.httpPort },
  edge: TRAEFIK_EDGE,
  cniValues: () => ({}),
  beforeCni: () => [],
  certManager: { http01: () => ({ ingress: { ingressClassName: TRAEFIK.ingressClass } }), config: () => undefined },
} as const satisfies IngressController<"traefik", typeof traefikSchema>;
