/**
 * cert-manager as a concern (src/concerns/contract.ts): the chart, Let's Encrypt's ClusterIssuers, Hetzner's DNS
 * webhook where DNS-01 goes through Hetzner. Used unless certificates.enabled is false.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type Concern } from "../../concerns/contract";
import { CERT_MANAGER_CHART, HETZNER_WEBHOOK } from "./cert-manager";
import { CERT_MANAGER } from "../../edge/names";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { certManagerPolicies, solverPolicy, usesHttp01 } from "./policies";
import { checkCertificates } from "./rules";
import { certificatesSchema } from "./schema";

export const certManager = {
  kind: "certificates",
  title: "cert-manager",
  name: "cert-manager",
  key: "certificates",
  fragment: certificatesSchema,
  uses: (config) => config.certificates.enabled,
  rules: [checkCertificates],
  // Hetzner's webhook states no Kubernetes range (src/versions/support.ts, its window): only cert-manager's is checked.
  pins: () => [
    { name: "cert-manager", version: () => CERT_MANAGER_CHART.version, key: () => undefined, support: KUBERNETES_SUPPORT["cert-manager"] },
  ],
  codePins: [
    { component: "cert-manager", version: CERT_MANAGER_CHART.version, where: "CERT_MANAGER_CHART (src/certificates/cert-manager/cert-manager.ts)" },
    { component: "cert-manager-webhook-hetzner", version: HETZNER_WEBHOOK.version, where: "HETZNER_WEBHOOK (src/certificates/cert-manager/cert-manager.ts)" },
  ],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  policies: {
    nodeTrafficFromPodRange: () => false,
    namespaces: () => [CERT_MANAGER.namespace],
    system: certManagerPolicies,
    // HTTP-01 solver pods run in the namespace of their Certificate: the ingress must reach them there.
    inAppNamespace: (config, namespace, context) => (usesHttp01(config) && context.ingress ? [solverPolicy(namespace, context.ingress)] : []),
  },
  traits: NO_TRAITS,
} as const satisfies Concern<"cert-manager", typeof certificatesSchema>;
