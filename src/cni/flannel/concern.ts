/** k3s's own Flannel as a concern (src/concerns/contract.ts): nothing to install, k3s's flags only. */
import { NO_POLICIES, NO_TRAITS, type Concern } from "../../concerns/contract";
import { checkFlannel, flannelNodeConfig, flannelOverlaySource, flannelServerConfig } from "./flannel";
import { flannelSchema } from "./schema";

export const flannel = {
  kind: "cni",
  title: "Flannel (k3s built-in)",
  name: "flannel",
  key: "cni.flannel",
  fragment: flannelSchema,
  uses: (config) => config.cni.plugin === "flannel",
  rules: [checkFlannel],
  // Flannel runs inside k3s: k3s.version is its pin, and k3s supports the Kubernetes it runs.
  pins: () => [],
  // k3s.version pins it: every stack names its own, and the support check adds them.
  codePins: [],
  k3s: { server: flannelServerConfig, node: flannelNodeConfig, replacesKubeProxy: () => false, runByK3s: true, serverSecretFiles: () => [] },
  fixedSettings: (config) => ({ flannelBackend: config.cni.flannel.backend }),
  loadBalancerAddresses: () => false,
  policies: { nodeTrafficFromPodRange: flannelOverlaySource, ...NO_POLICIES },
  traits: NO_TRAITS,
} as const satisfies Concern<"flannel", typeof flannelSchema>;
