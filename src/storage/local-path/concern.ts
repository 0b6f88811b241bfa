/**
 * k3s's bundled local-path provisioner as a concern (src/concerns/contract.ts): kept on at storage.localPath.path
 * (storage.driver local-path, the default on ssh sites) or switched off by choice (storage.driver none). Either way
 * only k3s's flags change (k3s.ts); its component runs the storage check and says what a destroy leaves.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type Concern } from "../../concerns/contract";
import { storageCheckPolicies } from "../policies";
import { localPathServerFlags } from "./k3s";
import { localPathSchema } from "./schema";

export const localPath = {
  kind: "storage",
  name: "local-path",
  key: "storage.localPath",
  fragment: localPathSchema,
  uses: (config) => config.storage.driver === "local-path" || config.storage.driver === "none",
  // The path's shape is the fragment's; nothing else of it can be wrong on its own.
  rules: [],
  // k3s ships it with its own release (manifests/local-storage.yaml): no version of its own to check.
  pins: () => [],
  codePins: [],
  k3s: {
    ...NO_K3S_FLAGS,
    server: (config) => {
      const { flags, disable } = localPathServerFlags(config.storage.driver === "local-path", config.storage.localPath);
      return { ...flags, ...(disable.length > 0 ? { disable } : {}) };
    },
  },
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  traits: NO_TRAITS,
  policies: {
    nodeTrafficFromPodRange: () => false,
    namespaces: () => [],
    system: (config) => storageCheckPolicies(config),
    inAppNamespace: () => [],
  },
} as const satisfies Concern<"local-path", typeof localPathSchema>;
