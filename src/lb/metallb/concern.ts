/**
 * MetalLB as a concern (src/concerns/contract.ts): LAN addresses for LoadBalancer Services on home sites whose CNI
 * has no LB-IPAM. Its component goes in before the ingress controller's (components/concerns.ts), whose Service asks
 * it for an address.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type Concern } from "../../concerns/contract";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { metallbAnnouncer } from "./announcer";
import { checkMetallb, metallbOf } from "./metallb";
import { metallbPolicies } from "./policies";
import { METALLB_CHART, metallbSchema } from "./schema";

const versionOf = (config: Parameters<typeof metallbOf>[0]): string => metallbOf(config)?.version ?? METALLB_CHART.version;

export const metallb = {
  kind: "loadBalancer",
  title: "MetalLB",
  name: "metallb",
  key: "site.loadBalancer.metallb",
  fragment: metallbSchema,
  uses: (config) => metallbOf(config) !== undefined,
  rules: [checkMetallb],
  pins: (config) => [
    {
      name: "MetalLB",
      version: () => versionOf(config),
      key: () => (versionOf(config) !== METALLB_CHART.version ? "site.loadBalancer.metallb.version" : undefined),
      support: KUBERNETES_SUPPORT.metallb,
    },
  ],
  codePins: [{ component: "metallb", version: METALLB_CHART.version, where: "METALLB_CHART (src/lb/metallb/schema.ts)" }],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => true,
  policies: {
    // Its speakers run on the host network; what they send is the nodes' own traffic.
    nodeTrafficFromPodRange: () => false,
    // Its namespace's baseline is part of its own policies, which keep it out of the managed namespaces' list.
    namespaces: () => [],
    system: metallbPolicies,
    inAppNamespace: () => [],
  },
  traits: { ...NO_TRAITS, lanAnnouncer: metallbAnnouncer },
} as const satisfies Concern<"metallb", typeof metallbSchema>;
