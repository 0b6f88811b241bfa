/** Canal as a concern (src/concerns/contract.ts): Calico's policy engine on Flannel's VXLAN, from canal.yaml. */
import { INSTALLED_CNI_K3S, NO_POLICIES, NO_TRAITS, type Concern } from "../../concerns/contract";
import { CALICO_PINS } from "../manifest";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { checkCanal, checkCanalMtu } from "./rules";
import { canalSchema } from "./schema";

export const canal = {
  kind: "cni",
  title: "Canal (Calico policy, Flannel VXLAN)",
  name: "canal",
  key: "cni.canal",
  fragment: canalSchema,
  uses: (config) => config.cni.plugin === "canal",
  rules: [checkCanal, checkCanalMtu],
  pins: (config) => [
    {
      name: "Calico (Canal)",
      version: () => config.cni.canal.version,
      key: () => "cni.canal.version",
      support: KUBERNETES_SUPPORT.calico,
    },
  ],
  codePins: Object.keys(CALICO_PINS).map((version) => ({ component: "calico", version, where: "CALICO_PINS (src/cni/manifest.ts)" })),
  k3s: INSTALLED_CNI_K3S,
  // Flannel's VXLAN: a node reaches remote pods from its flannel.1 address, in the pod range.
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  policies: { nodeTrafficFromPodRange: () => true, ...NO_POLICIES },
  traits: NO_TRAITS,
} as const satisfies Concern<"canal", typeof canalSchema>;
