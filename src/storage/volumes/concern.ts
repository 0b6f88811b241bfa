/**
 * The volumes a stack declares (storage.volumes) as a concern (src/concerns/contract.ts): claims the program creates,
 * in the apps' namespaces, on the driver's default class. Its component goes in after the NetworkPolicies, which
 * create those namespaces. Hetzner's limits on them are its driver's rule.
 */
import { NO_K3S_FLAGS, NO_TRAITS, NO_POLICIES, type Concern } from "../../concerns/contract";
import { volumesSchema } from "../section";
import { checkVolumes } from "./rules";

export const volumes = {
  kind: "storage",
  title: "declared volumes",
  name: "volumes",
  key: "storage.volumes",
  fragment: volumesSchema,
  uses: (config) => config.storage.volumes.length > 0 && config.storage.driver !== "none",
  rules: [checkVolumes],
  pins: () => [],
  codePins: [],
  k3s: NO_K3S_FLAGS,
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  // Claims only: no pod of its own.
  traits: NO_TRAITS,
  policies: { nodeTrafficFromPodRange: () => false, ...NO_POLICIES },
} as const satisfies Concern<"volumes", typeof volumesSchema>;
