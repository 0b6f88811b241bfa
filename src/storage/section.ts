/**
 * The `storage` section of the stack config: which driver gives the site its default StorageClass (storage.driver),
 * each driver's fragment under its name, and the volumes the stack declares; and the storage concerns' names, the
 * slot a storage driver registers in (src/concerns/registry.ts, STORAGE; components/concerns.ts,
 * STORAGE_COMPONENTS). Adding one: its folder src/storage/<name>/ with its concern.ts, its name in STORAGE_NAMES, its
 * fragment here, and one line in each registry.
 */
import { z } from "zod";
import { dnsLabel } from "../config/fields";
import { hcloudCsiSchema } from "./hcloud-csi/schema";
import { localPathSchema } from "./local-path/schema";

const volume = z.strictObject({
  name: dnsLabel().meta({ description: "The PersistentVolumeClaim's name; an app mounts it by this name." }),
  namespace: dnsLabel().meta({ description: "Its namespace: the namespace of an app of networkPolicies.apps." }),
  sizeGb: z
    .int({ message: "expected a whole number of gigabytes, e.g. 10" })
    .min(1, { message: "expected at least 1 (GB)" })
    .meta({ description: "Size in GB; the claim asks for <sizeGb>Gi (Hetzner's driver counts a GB as 1024^3 bytes)." }),
});

/** The `storage.volumes` fragment (src/storage/volumes). */
export const volumesSchema = z
  .array(volume)
  .default([])
  .meta({
    description:
      "Claims the program creates on the default StorageClass and never deletes (a volume removed from this list " +
      "stays in the cluster): they are checked against Hetzner's limits and counted in the monthly cost. Default: none.",
  });

export const storageSchema = z.strictObject({
  driver: z
    .enum(["hcloud-csi", "local-path", "none"], { message: "expected hcloud-csi, local-path or none" })
    .optional()
    .meta({
      description:
        "What provides the default StorageClass: hcloud-csi (Hetzner Cloud volumes, hetzner sites), local-path (k3s's " +
        "local-path provisioner, a directory on the node) or none. Default: hcloud-csi on hetzner, local-path on ssh sites.",
    }),
  hcloudCsi: hcloudCsiSchema.prefault({}).meta({ description: "Hetzner's CSI driver (storage.driver hcloud-csi)." }),
  localPath: localPathSchema.prefault({}).meta({ description: "k3s's local-path provisioner (storage.driver local-path)." }),
  volumes: volumesSchema,
});

export type StorageSection = z.output<typeof storageSchema>;
/** A storage driver's name, the value of storage.driver. */
export type StorageDriver = NonNullable<StorageSection["driver"]>;
export type VolumeSpec = StorageSection["volumes"][number];

/** The storage section with its driver chosen, as SiteConfig carries it. */
export type StorageConfig = StorageSection & { readonly driver: StorageDriver };

/**
 * The storage concerns: the two drivers, and the volumes the stack declares. storage.driver `none` is no concern of
 * its own: it is the local-path concern's "off" (k3s's provisioner switched off).
 */
export const STORAGE_NAMES = ["hcloud-csi", "local-path", "volumes"] as const;

/** A storage concern's name. */
export type StorageName = (typeof STORAGE_NAMES)[number];

/** The default driver of a site kind: Hetzner's volumes in the cloud, k3s's local-path at home. */
export function defaultStorageDriver(kind: "hetzner" | "ssh"): StorageDriver {
  return kind === "hetzner" ? "hcloud-csi" : "local-path";
}
