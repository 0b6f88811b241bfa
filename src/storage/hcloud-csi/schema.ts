/**
 * The `storage.hcloudCsi` fragment: Hetzner Cloud volumes through Hetzner's CSI driver (storage.driver hcloud-csi,
 * the default on hetzner sites), and the pinned chart. Facts with their sources: upstream/SOURCES.md, "hcloud-csi".
 */
import { z } from "zod";

/**
 * Hetzner's chart (hetznercloud/csi-driver, folder chart/, tag v2.22.1, commit 3186e787), vendored in
 * upstream/charts/hcloud-csi/2.22.1 and published to charts.hetzner.cloud like Hetzner's other charts. Chart.yaml has
 * no appVersion: the driver's image is tagged v<chart version> in values.yaml.
 */
export const HCLOUD_CSI_CHART = {
  chart: "hcloud-csi",
  repository: "https://charts.hetzner.cloud",
  version: "2.22.1",
} as const;

export const hcloudCsiSchema = z.strictObject({
  reclaimPolicy: z
    .enum(["Retain", "Delete"], { message: "expected Retain (a deleted claim keeps its volume) or Delete" })
    .default("Retain")
    .meta({
      description:
        "What happens to a Hetzner volume when its claim is deleted. Retain keeps the volume (and bills it) until you " +
        "delete it in Hetzner's console; Delete deletes it with the claim. Default: Retain.",
    }),
  encryption: z
    .boolean()
    .default(false)
    .meta({
      description:
        "Encrypt new volumes with LUKS: the default StorageClass becomes hcloud-volumes-encrypted, whose passphrase is " +
        "the secret k3s-sites:volumeEncryptionPassphrase. Losing the passphrase loses the data. Default: false.",
    }),
});

export type HcloudCsiSettings = z.output<typeof hcloudCsiSchema>;
