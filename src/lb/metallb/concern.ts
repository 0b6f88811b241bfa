/**
 * MetalLB as a concern (src/concerns/contract.ts): LAN addresses for LoadBalancer Services on home sites whose CNI
 * has no LB-IPAM. Its component is still created by components/site.ts, which orders nginx after it.
 */
import { NO_K3S_FLAGS, type Concern } from "../../concerns/contract";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { checkMetallb, metallbOf } from "./metallb";
import { METALLB_CHART, metallbSchema } from "./schema";

const versionOf = (config: Parameters<typeof metallbOf>[0]): string => metallbOf(config)?.version ?? METALLB_CHART.version;

export const metallb = {
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
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => true,
  // Its speakers run on the host network; what they send is the nodes' own traffic.
  policies: { nodeTrafficFromPodRange: () => false },
} as const satisfies Concern<"metallb", typeof metallbSchema>;
