/**
 * Cilium's ingress controller and Gateway API as a concern (src/concerns/contract.ts). Nothing of its own runs:
 * the Cilium CNI's chart takes its values (cniValues), the Gateway API CRDs go in before Cilium (beforeCni), and its
 * component creates the site's GatewayClass and Gateway and the CiliumNetworkPolicies that admit Envoy to apps.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type IngressController } from "../../concerns/contract";
import { ciliumChart } from "../../cni/cilium/values";
import type { SiteConfig } from "../../config/site";
import { CERT_MANAGER_GATEWAY_CONFIG, gatewayHttp01Solver } from "./cert-manager";
import { CILIUM_EDGE } from "./edge";
import { gatewayApiObjects, gatewayApiOfCilium } from "./gateway-api";
import { ciliumIngressProblems } from "./rules";
import { ciliumIngressSchema, type CiliumIngressSettings } from "./schema";
import { ciliumIngressValues } from "./values";

/** The site's ingress.cilium section, its defaults where it is unset. */
export function ciliumIngressSettings(config: SiteConfig): CiliumIngressSettings {
  return config.ingress.cilium ?? { hosts: [] };
}

const uses = (config: SiteConfig): boolean => config.ingress.controller === "cilium";

export const ciliumIngress = {
  kind: "ingress",
  title: "Cilium's ingress and Gateway API",
  name: "cilium",
  key: "ingress.cilium",
  fragment: ciliumIngressSchema,
  uses,
  rules: [
    (config) => (uses(config) ? ciliumIngressProblems(config) : []),
    (config) =>
      !uses(config) && config.ingress.cilium !== undefined
        ? [{ path: "ingress.cilium", message: `is set, but ingress.controller is ${config.ingress.controller}, so it would do nothing: remove it, or set ingress.controller: cilium` }]
        : [],
  ],
  // What runs is the CNI's Cilium, pinned and checked there; the Gateway API CRDs follow its version (gateway-api.ts).
  pins: () => [],
  codePins: [],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  // Envoy is no pod: its admissions are CiliumNetworkPolicies, applied by its component (policies.ts).
  traits: NO_TRAITS,
  policies: { nodeTrafficFromPodRange: () => false, namespaces: () => [], system: () => [], inAppNamespace: () => [] },
  pods: undefined,
  edge: CILIUM_EDGE,
  cniValues: (config) => (uses(config) ? ciliumIngressValues() : {}),
  beforeCni: (config) => {
    const version = gatewayApiOfCilium(ciliumChart(config).version);
    // The rules refuse a Cilium without vendored CRDs before any resource.
    return uses(config) && version !== undefined ? gatewayApiObjects(version) : [];
  },
  certManager: { http01: () => gatewayHttp01Solver(), config: () => CERT_MANAGER_GATEWAY_CONFIG },
} as const satisfies IngressController<"cilium", typeof ciliumIngressSchema>;
