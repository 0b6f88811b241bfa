/**
 * Where the storage check runs and whether it does: apart from src/storage/verify.ts, which reads the site's driver
 * from the registry, so that the drivers' policies (src/storage/policies.ts) can read these without an import circle.
 */
import type { StorageConfig } from "./section";

/**
 * The check's own namespace: its pods need no network (default-deny and DNS, storageCheckPolicies), and they stay
 * out of the driver's namespace, where any pod could mount the token's Secret.
 */
export const STORAGE_CHECK_NAMESPACE = "k3s-sites-verify-storage";

/** Whether the site runs the storage check (checks on, and a driver). */
export function runsStorageCheck(config: { readonly storage: StorageConfig; readonly verify: boolean }): boolean {
  return config.verify && config.storage.driver !== "none";
}
