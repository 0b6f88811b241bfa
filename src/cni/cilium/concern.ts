/** Cilium as a concern (src/concerns/contract.ts): its Helm chart, kube-proxy replacement, LB-IPAM on home sites. */
import { K3S_OWN_CNI_OFF, NO_POLICIES, type Concern } from "../../concerns/contract";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { checkCilium, checkCiliumL2Devices, checkCiliumMtu } from "./rules";
import { ciliumSchema } from "./schema";
import { CILIUM_CHART, ciliumChart, ciliumKubeProxyReplacement, ciliumValues } from "./values";

export const cilium = {
  kind: "cni",
  name: "cilium",
  key: "cni.cilium",
  fragment: ciliumSchema,
  uses: (config) => config.cni.plugin === "cilium",
  rules: [checkCilium, checkCiliumMtu, checkCiliumL2Devices],
  pins: (config) => [
    {
      name: "Cilium",
      version: () => ciliumChart(config).version,
      key: () => (ciliumChart(config).version !== CILIUM_CHART.version ? "cni.cilium.version" : undefined),
      support: KUBERNETES_SUPPORT.cilium,
    },
  ],
  codePins: [{ component: "cilium", version: CILIUM_CHART.version, where: "CILIUM_CHART (src/cni/cilium/values.ts)" }],
  k3s: { server: () => K3S_OWN_CNI_OFF, node: () => ({}), replacesKubeProxy: ciliumKubeProxyReplacement, runByK3s: false },
  fixedSettings: () => ({}),
  loadBalancerAddresses: (config) => config.site.kind !== "hetzner" && config.cni.cilium.loadBalancerPools.length > 0,
  policies: { nodeTrafficFromPodRange: (config) => ciliumValues(config).routingMode === "tunnel", ...NO_POLICIES },
} as const satisfies Concern<"cilium", typeof ciliumSchema>;
