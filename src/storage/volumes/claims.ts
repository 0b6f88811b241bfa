/**
 * The claims a stack declares (storage.volumes), on the class its driver makes the default. The component creates
 * them with retainOnDelete: removing one from the stack file, or a typo in its name, leaves the claim and its data in
 * the cluster instead of deleting them (the claim is only forgotten by Pulumi; `kubectl delete pvc` deletes it).
 */
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim" with { "resolution-mode": "import" };
import { storageDriverOf } from "../../concerns/registry";
import type { StorageConfig } from "../section";

/** The default StorageClass of the site's driver, or undefined without one. */
export function defaultStorageClass(storage: StorageConfig): string | undefined {
  return storageDriverOf(storage)?.driver.defaultClass(storage);
}

/**
 * One claim per declared volume, on the class that is the default when the claim is created, written out. A claim's
 * class is immutable: the component ignores later changes of it (components/storage/volumes.ts), so that a change of
 * the default class (storage.hcloudCsi.encryption) never replaces a claim that exists.
 */
export function volumeClaims(storage: StorageConfig): IPersistentVolumeClaim[] {
  const className = defaultStorageClass(storage);
  if (className === undefined) return [];
  return storage.volumes.map((v) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: v.name, namespace: v.namespace, labels: { "app.kubernetes.io/managed-by": "k3s-sites" } },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: className,
      // Hetzner's driver counts GB as GiB (internal/driver/helper.go volumeSizeFromCapacityRange).
      resources: { requests: { storage: `${v.sizeGb}Gi` } },
    },
  }));
}
