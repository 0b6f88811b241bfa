/**
 * Multus as a concern (src/concerns/contract.ts): extra macvlan networks for apps' pods, on home sites that list
 * `networks`. Its component goes in after the NetworkPolicies, which create the apps' namespaces.
 */
import { NO_K3S_FLAGS, NO_POLICIES, NO_TRAITS, type Concern } from "../concerns/contract";
import { checkNetworks } from "./networks";
import { networksSchema } from "./schema";

export const multus = {
  kind: "networkAttachments",
  title: "Multus",
  name: "multus",
  key: "networks",
  fragment: networksSchema,
  uses: (config) => config.networks.length > 0,
  rules: [checkNetworks],
  // Multus (MULTUS in src/multus/manifest.ts) states no Kubernetes range for v4.3.0 in what was read here, and the
  // support windows' table has no entry for it: nothing to check k3s.version against until one is read.
  pins: () => [],
  codePins: [],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  // Its namespaces and their baseline are its component's own (multusNamespaces in src/multus/networks.ts).
  policies: { nodeTrafficFromPodRange: () => false, ...NO_POLICIES },
  traits: NO_TRAITS,
} as const satisfies Concern<"multus", typeof networksSchema>;
