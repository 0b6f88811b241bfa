/**
 * k3s's bundled local-path provisioner, switched by two server flags (k3s-io/k3s pkg/cli/cmds/server.go, read at
 * 005499a9; not at the v1.33.5+k3s1 tag):
 * - `default-local-storage-path`: "(storage) Default local storage path for local provisioner storage class"; unset,
 *   k3s uses <data-dir>/storage (pkg/cli/server/server.go). k3s writes it into the provisioner's ConfigMap
 *   (`%{DEFAULT_LOCAL_STORAGE_PATH}%` in manifests/local-storage.yaml) for every node (DEFAULT_PATH_FOR_NON_LISTED_NODES),
 *   so it is one path per site, set alike on every server.
 * - `disable: [local-storage]`: "Do not deploy packaged components and delete any deployed components". Deleting the
 *   provisioner and its StorageClass leaves the PersistentVolumes and their directories alone: the data stays, but
 *   no new local-path volume can be made and none is cleaned up.
 * Its StorageClass `local-path` carries `storageclass.kubernetes.io/is-default-class: "true"` and reclaimPolicy
 * Delete (manifests/local-storage.yaml).
 */
import type { LocalPathSettings } from "./schema";
import { K3S_DEFAULT_STORAGE_PATH } from "./schema";

/** The packaged component's name in k3s's `disable` list. */
export const LOCAL_STORAGE_COMPONENT = "local-storage";

/** The StorageClass k3s's manifest creates. */
export const LOCAL_PATH_CLASS = "local-path";

/**
 * The server flags for k3s's local-path provisioner: its path when kept on (none at k3s's default path, so that a
 * site that never set it keeps exactly the config it had), or `local-storage` to add to `disable` when off.
 */
export function localPathServerFlags(on: boolean, settings: LocalPathSettings): { readonly flags: Readonly<Record<string, unknown>>; readonly disable: readonly string[] } {
  if (!on) return { flags: {}, disable: [LOCAL_STORAGE_COMPONENT] };
  return {
    flags: settings.path === K3S_DEFAULT_STORAGE_PATH ? {} : { "default-local-storage-path": settings.path },
    disable: [],
  };
}
