/**
 * The `storage.localPath` fragment: k3s's bundled local-path provisioner (storage.driver local-path, the default on
 * ssh sites). k3s deploys it from its packaged manifest local-storage.yaml (k3s-io/k3s manifests/local-storage.yaml):
 * StorageClass `local-path`, default, reclaimPolicy Delete, volumes in directories under one path on each node.
 */
import { z } from "zod";

/** k3s's default: <data-dir>/storage (pkg/cli/server/server.go: DefaultLocalStoragePath unset -> dataDir + "/storage"). */
export const K3S_DEFAULT_STORAGE_PATH = "/var/lib/rancher/k3s/storage";

export const localPathSchema = z.strictObject({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._\-/]*$/, { message: "expected an absolute path such as /srv/k3s-storage" })
    .refine((p) => p !== "/" && !p.split("/").includes(".."), {
      message: "expected a directory of its own below /, without '..', such as /srv/k3s-storage",
    })
    .default(K3S_DEFAULT_STORAGE_PATH)
    .meta({
      description:
        "The directory on every node that holds the volumes (k3s default-local-storage-path). Changing it moves only new " +
        "volumes; existing ones stay where they are. Default: /var/lib/rancher/k3s/storage.",
    }),
});

export type LocalPathSettings = z.output<typeof localPathSchema>;
