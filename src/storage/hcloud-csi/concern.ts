/**
 * Hetzner's CSI driver as a concern (src/concerns/contract.ts): Hetzner Cloud volumes on hetzner sites
 * (storage.driver hcloud-csi, their default). Its component (components/storage/hcloud-csi.ts) installs the chart in
 * its own namespace with the token Secret, then the StorageClasses, and runs the storage check.
 */
import { NO_K3S_FLAGS, NO_TRAITS, type StorageDriverConcern } from "../../concerns/contract";
import { siteSelector } from "../../hetzner/model";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { LOCAL_STORAGE_COMPONENT } from "../local-path/k3s";
import { storageCheckPolicies } from "../policies";
import { defaultHcloudClass, HCLOUD_CLASSES, HCLOUD_CSI } from "./driver";
import { HETZNER_VOLUME_LIMITS } from "./limits";
import { hcloudCsiPolicies } from "./policies";
import { checkHcloudCsi, hcloudCsiUnavailableOn } from "./rules";
import { HCLOUD_CSI_CHART, hcloudCsiSchema } from "./schema";

export const hcloudCsi = {
  kind: "storage",
  title: "Hetzner's CSI driver",
  name: "hcloud-csi",
  key: "storage.hcloudCsi",
  fragment: hcloudCsiSchema,
  uses: (config) => config.storage.driver === "hcloud-csi",
  rules: [checkHcloudCsi],
  pins: () => [
    { name: "Hetzner's CSI driver", version: () => HCLOUD_CSI_CHART.version, key: () => undefined, support: KUBERNETES_SUPPORT["hcloud-csi"] },
  ],
  codePins: [{ component: "hcloud-csi", version: HCLOUD_CSI_CHART.version, where: "HCLOUD_CSI_CHART (src/storage/hcloud-csi/schema.ts)" }],
  // k3s's local-path class is marked default too: with two defaults a claim's class would depend on which is newer.
  k3s: {
    ...NO_K3S_FLAGS,
    server: () => ({ disable: [LOCAL_STORAGE_COMPONENT] }),
    // The API token for the controller, on the servers where it runs: in no Secret (src/k3s/secret-files.ts).
    serverSecretFiles: () => [{ secret: "hcloudToken", path: `${HCLOUD_CSI.tokenFile.folder}/${HCLOUD_CSI.tokenFile.file}` }],
  },
  fixedSettings: () => ({}),
  loadBalancerAddresses: () => false,
  traits: NO_TRAITS,
  policies: {
    nodeTrafficFromPodRange: () => false,
    // Its namespace's baseline is part of its own policies, as MetalLB's is.
    namespaces: () => [],
    system: (config) => [...hcloudCsiPolicies(config), ...storageCheckPolicies(config)],
    inAppNamespace: () => [],
  },
  driver: {
    unavailableOn: hcloudCsiUnavailableOn,
    defaultClass: (storage) => defaultHcloudClass(storage.hcloudCsi),
    // The class whose volumes go with their claim, so a destroyed stack leaves no check volume behind; Hetzner's
    // smallest volume.
    checkClaim: () => ({ className: HCLOUD_CLASSES.scratch, size: `${HETZNER_VOLUME_LIMITS.minGb}Gi` }),
    switchedAway: (to, claimsNow) =>
      `storage.driver hcloud-csi -> ${to}: this run deletes Hetzner's CSI driver and its StorageClasses. Existing ` +
      "Hetzner volumes and their claims stay (and are billed), but no volume can be attached, detached, created or " +
      `grown without the driver: a pod on one fails once it moves to another node, and ${claimsNow}. Keep ` +
      "storage.driver hcloud-csi while any claim uses a Hetzner volume (kubectl get pvc -A).",
    leftOnDestroy: (storage, siteName) =>
      `Hetzner volumes stay after a destroy${storage.hcloudCsi.reclaimPolicy === "Retain" ? ", those of deleted claims too (reclaimPolicy Retain)" : " unless their claim was deleted first (reclaimPolicy Delete)"}, ` +
      `and are billed until deleted: list them with hcloud volume list -l ${siteSelector(siteName)}; the ` +
      `verification check's volume (class ${HCLOUD_CLASSES.scratch}) is deleted by the driver once its claim is gone, ` +
      `which the destroy does not wait for before it deletes the driver: if that list shows it afterwards, delete it ` +
      `with hcloud volume delete`,
  },
} as const satisfies StorageDriverConcern<"hcloud-csi", typeof hcloudCsiSchema>;
