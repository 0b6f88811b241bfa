/** Calico alone as a concern (src/concerns/contract.ts): calico.yaml, its IP pools, BGP to the segments' routers. */
import { INSTALLED_CNI_K3S, NO_POLICIES, NO_TRAITS, type Concern } from "../../concerns/contract";
import { CALICO_MANIFEST_PINS } from "../manifest";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { checkCalico, checkSegments } from "./rules";
import { calicoSchema } from "./schema";

export const calico = {
  kind: "cni",
  title: "Calico",
  name: "calico",
  key: "cni.calico",
  fragment: calicoSchema,
  uses: (config) => config.cni.plugin === "calico",
  // checkSegments runs on every ssh site: segments on a site that is not Calico are refused there.
  rules: [checkCalico, checkSegments],
  pins: (config) => [
    {
      name: "Calico",
      version: () => config.cni.calico.version,
      key: () => "cni.calico.version",
      support: KUBERNETES_SUPPORT.calico,
    },
  ],
  codePins: Object.keys(CALICO_MANIFEST_PINS).map((version) => ({ component: "calico", version, where: "CALICO_MANIFEST_PINS (src/cni/manifest.ts)" })),
  k3s: INSTALLED_CNI_K3S,
  // IPIP or VXLAN give each node a tunnel address from the pool; with None, BIRD's routes leave from the node's own.
  fixedSettings: (config) => ({
    calicoBlockSize: config.cni.calico.blockSize,
    calicoBlockSizeV6: config.k3s.ipFamilies === "dual-stack" ? config.cni.calico.blockSizeV6 : null,
  }),
  loadBalancerAddresses: () => false,
  policies: { nodeTrafficFromPodRange: (config) => config.cni.calico.encapsulation !== "None", ...NO_POLICIES },
  traits: {
    ...NO_TRAITS,
    // calico-node runs BIRD on every node, whatever the site's BGP settings.
    bgpFromNodes: () => ({ name: "Calico", announce: "Calico (cni.calico.bgp.serviceLoadBalancerIPs)", section: "cni.calico" }),
    // The Service ranges Calico advertises to the routers: never the pods' or the Services' own.
    addressPools: (config) =>
      (["serviceLoadBalancerIPs", "serviceExternalIPs"] as const).flatMap((key) =>
        config.cni.calico.bgp[key].map((text, i) => ({ path: `cni.calico.bgp.${key}[${i}]`, text })),
      ),
  },
} as const satisfies Concern<"calico", typeof calicoSchema>;
