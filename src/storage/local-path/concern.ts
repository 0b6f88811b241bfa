/**
 * k3s's bundled local-path provisioner as a concern (src/concerns/contract.ts): kept on at storage.localPath.path
 * (storage.driver local-path, the default on ssh sites) or switched off by choice (storage.driver none). Either way
 * only k3s's flags change (k3s.ts); its component runs the storage check and says what a destroy leaves.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type StorageDriverConcern } from "../../concerns/contract";
import { storageCheckPolicies } from "../policies";
import { LOCAL_PATH_CLASS, localPathServerFlags } from "./k3s";
import { localPathSchema } from "./schema";

export const localPath = {
  kind: "storage",
  title: "k3s's local-path provisioner",
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
  driver: {
    unavailableOn: () => undefined,
    defaultClass: () => LOCAL_PATH_CLASS,
    // local-path does not enforce sizes; the request is for the reader. Its class deletes the directory with the claim.
    checkClaim: () => ({ className: LOCAL_PATH_CLASS, size: "64Mi" }),
    // k3s-io/k3s pkg/cli/cmds/server.go, `disable`: "Do not deploy packaged components and delete any deployed
    // components": the provisioner and its class go; the PersistentVolumes, claims and directories stay.
    switchedAway: (to, claimsNow) =>
      `storage.driver local-path -> ${to}: this run switches k3s's local-path provisioner off on the running site ` +
      "(k3s disable: local-storage deletes the provisioner and its StorageClass local-path). Existing local-path " +
      "volumes keep their data on their nodes and their pods keep running, but a claim naming the class local-path " +
      `(a StatefulSet's volumeClaimTemplates) stays Pending, a deleted claim leaves its directory, and ${claimsNow}. ` +
      "List them first: kubectl get pv -o wide | grep local-path. Removing a node that holds one is refused on " +
      "Hetzner (its disk goes with it): move the data to new claims before.",
    leftOnDestroy: (storage) =>
      `local-path volumes stay as directories under ${storage.localPath.path} on each host (on Hetzner, they go with the servers)`,
  },
} as const satisfies StorageDriverConcern<"local-path", typeof localPathSchema>;
