/**
 * NGINX Ingress Controller as a concern (src/concerns/contract.ts): a DaemonSet on every node's 80 and 443, its
 * ConfigMap from ingress.config. Selected by ingress.controller: nginx.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type IngressController } from "../../concerns/contract";
import { NGINX } from "../../edge/names";
import { checkIngressConfig } from "./nginx-config";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { NGINX_PEER } from "../../policy/objects";
import { NGINX_EDGE } from "./edge";
import { nginxPolicies } from "./policies";
import { nginxConfigSchema } from "./schema";

/** The controller image: the tag of the vendored reference DaemonSet (upstream/nginx-ingress/v5.5.4). */
export const NGINX_IMAGE = "nginx/nginx-ingress:5.5.4";

const version = (): string => NGINX_IMAGE.split(":")[1] ?? NGINX_IMAGE;

export const nginx = {
  kind: "ingress",
  title: "NGINX Ingress Controller",
  name: "nginx",
  key: "ingress.config",
  fragment: nginxConfigSchema,
  uses: (config) => config.ingress.controller === "nginx",
  rules: [checkIngressConfig],
  pins: () => [{ name: "NGINX Ingress Controller", version, key: () => undefined, support: KUBERNETES_SUPPORT["nginx-ingress"] }],
  codePins: [{ component: "nginx-ingress", version: version(), where: "NGINX_IMAGE (src/ingress/nginx/concern.ts)" }],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  policies: {
    nodeTrafficFromPodRange: () => false,
    namespaces: () => [NGINX.namespace],
    system: (config) => nginxPolicies(config),
    inAppNamespace: () => [],
  },
  traits: NO_TRAITS,
  pods: { namespace: NGINX.namespace, peer: NGINX_PEER, httpPort: NGINX.httpPort },
  edge: NGINX_EDGE,
  cniValues: () => ({}),
  beforeCni: () => [],
  certManager: { http01: () => ({ ingress: { ingressClassName: NGINX.ingressClass } }), config: () => undefined },
} as const satisfies IngressController<"nginx", typeof nginxConfigSchema>;
