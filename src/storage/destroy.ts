/**
 * What `pulumi destroy` leaves of a site's data, said before it runs: in the stack output `volumesLeftOnDestroy`
 * (`pulumi stack output volumesLeftOnDestroy`), the plan's summary and docs/storage.md.
 *
 * - Hetzner: a volume is a resource of its own, deleted only by its own delete ("Deletes a volume. All Volume data is
 *   irreversibly destroyed. The Volume must not be attached to a Server", Hetzner Cloud API DELETE /volumes/{id}, as
 *   generated clients copy it); the destroy deletes servers, never volumes, and the driver deletes a volume only for
 *   a deleted claim of a class with reclaimPolicy Delete. That a server's deletion detaches its volumes rather than
 *   failing was not read in Hetzner's own pages here. The declared claims are never deleted (retainOnDelete), so with
 *   Retain every volume of the site stays, and bills, until it is deleted in Hetzner's console or with
 *   `hcloud volume delete`; they carry the label k3s-sites/site=<stack> (hcloudCsiValues).
 * - The storage check's claim (class with reclaimPolicy Delete) is deleted in the destroy and Pulumi waits for the
 *   claim to be gone, but its volume is deleted afterwards by the driver's controller (the external-provisioner, once
 *   the volume is detached), while the destroy goes on to delete the driver: the volume may outlive the stack.
 * - Home: destroy takes the nodes out of the cluster and leaves the hosts' disks alone, local-path directories
 *   included.
 */
import { storageDriverOf } from "../concerns/registry";
import type { StorageConfig } from "./section";

export const DESTROY_OUTPUT = "volumesLeftOnDestroy";

export interface DestroyLeaves {
  /** The declared claims (storage.volumes), `<namespace>/<name>`: never deleted by the program. */
  readonly claims: readonly string[];
  /** One sentence on the rest: where the data is and how to list or delete it. */
  readonly note: string;
}

export function destroyLeaves(config: { readonly storage: StorageConfig }, siteName: string): DestroyLeaves {
  const { storage } = config;
  const claims = storage.volumes.map((v) => `${v.namespace}/${v.name}`);
  const driver = storageDriverOf(storage);
  return { claims, note: driver ? driver.driver.leftOnDestroy(storage, siteName) : "no storage driver: the program made no volume" };
}
