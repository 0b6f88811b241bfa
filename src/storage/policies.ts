/** The storage check's namespace: default-deny and DNS, nothing else (its pods only read and write their claim). */
import type { SiteConfig } from "../config/site";
import type { NetworkPolicy } from "../policy/objects";
import { namespaceBaseline } from "../policy/system";
import { STORAGE_CHECK_NAMESPACE, runsStorageCheck } from "./check-scope";

export function storageCheckPolicies(config: Pick<SiteConfig, "storage" | "verify">): NetworkPolicy[] {
  return runsStorageCheck(config) ? namespaceBaseline(STORAGE_CHECK_NAMESPACE) : [];
}
