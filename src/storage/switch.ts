/**
 * A change of storage.driver on a running site, said plainly before anything happens: the program logs these lines as
 * warnings (so `pulumi preview` and `pulumi up` show them). The deployed driver is recorded in a stack output; a site
 * deployed before storage.driver existed ran k3s's local-path provisioner (k3s deploys it unless disabled), so a
 * deployed site without the record counts as local-path.
 *
 * What the switch does to existing data (k3s-io/k3s pkg/cli/cmds/server.go, `disable`: "Do not deploy packaged
 * components and delete any deployed components"): k3s deletes the provisioner and its StorageClass; the
 * PersistentVolumes, their claims and their directories stay, and their pods keep running on their nodes.
 */
import type { StorageDriver } from "./section";
import { defaultStorageClass } from "./volumes/claims";
import type { StorageConfig } from "./section";

/** The stack output that records the storage driver the deployment installed. */
export const STORAGE_DRIVER_OUTPUT = "storageDriver";

/** What every site ran before storage.driver existed. */
const BEFORE_THE_CHOICE: StorageDriver = "local-path";

/**
 * The warning lines of this run's change of storage.driver; none on a new site or when the driver stays.
 * `previous` is the recorded driver (undefined for a deployment that predates the record).
 */
export function storageDriverSwitch(deployed: boolean, previous: unknown, storage: StorageConfig): string[] {
  if (!deployed) return [];
  const from = typeof previous === "string" ? previous : BEFORE_THE_CHOICE;
  const to = storage.driver;
  if (from === to) return [];
  const lines: string[] = [];
  const newDefault = defaultStorageClass(storage);
  const claimsNow = newDefault ? `claims that name no class now get ${newDefault}` : "claims that name no class stay Pending (no default class)";
  if (from === "local-path") {
    lines.push(
      `storage.driver local-path -> ${to}: this run switches k3s's local-path provisioner off on the running site ` +
        "(k3s disable: local-storage deletes the provisioner and its StorageClass local-path). Existing local-path " +
        "volumes keep their data on their nodes and their pods keep running, but a claim naming the class local-path " +
        `(a StatefulSet's volumeClaimTemplates) stays Pending, a deleted claim leaves its directory, and ${claimsNow}. ` +
        "List them first: kubectl get pv -o wide | grep local-path. Removing a node that holds one is refused on " +
        "Hetzner (its disk goes with it): move the data to new claims before.",
    );
  } else if (from === "hcloud-csi") {
    lines.push(
      `storage.driver hcloud-csi -> ${to}: this run deletes Hetzner's CSI driver and its StorageClasses. Existing ` +
        "Hetzner volumes and their claims stay (and are billed), but no volume can be attached, detached, created or " +
        `grown without the driver: a pod on one fails once it moves to another node, and ${claimsNow}. Keep ` +
        "storage.driver hcloud-csi while any claim uses a Hetzner volume (kubectl get pvc -A).",
    );
  } else {
    lines.push(`storage.driver ${from} -> ${to}: ${claimsNow}; existing claims keep their class.`);
  }
  return lines;
}
