/**
 * The `storage` section of the stack config: which driver gives the site its default StorageClass (storage.driver),
 * each driver's fragment under its name, and the volumes the stack declares. StorageDriver comes from here, as
 * CniName comes from src/cni/section.ts.
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
  volumes: z
    .array(volume)
    .default([])
    .meta({
      description:
        "Claims the program creates on the default StorageClass and never deletes (a volume removed from this list " +
        "stays in the cluster): they are checked against Hetzner's limits and counted in the monthly cost. Default: none.",
    }),
});

export type StorageSection = z.output<typeof storageSchema>;
/** A storage driver's name, the value of storage.driver. */
export type StorageDriver = NonNullable<StorageSection["driver"]>;
export type VolumeSpec = StorageSection["volumes"][number];

/** The storage section with its driver chosen, as SiteConfig carries it. */
export type StorageConfig = StorageSection & { readonly driver: StorageDriver };

/** The default driver of a site kind: Hetzner's volumes in the cloud, k3s's local-path at home. */
export function defaultStorageDriver(kind: "hetzner" | "ssh"): StorageDriver {
  return kind === "hetzner" ? "hcloud-csi" : "local-path";
}
