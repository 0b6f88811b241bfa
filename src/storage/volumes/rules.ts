/**
 * The storage section's own rule: the declared volumes have somewhere to live. The drivers' rules are in their
 * folders. Each returns problems with the key, the value and the fix, before any resource.
 */
import type { Problem } from "../../config/problems";
import type { NodeSpec } from "../../config/site";
import type { StorageConfig } from "../section";

/** What the storage rules read of a site (SiteConfig has it). */
export interface StorageRuleInput {
  readonly site: { readonly kind: "hetzner" | "ssh" };
  readonly storage: StorageConfig;
  readonly nodes: readonly NodeSpec[];
  readonly networkPolicies: { readonly apps: readonly { readonly name: string; readonly namespace: string }[] };
}

/**
 * Declared volumes, whatever the driver: a driver to make them, a namespace the program creates (an app's), one claim
 * per name. Hetzner's limits are its driver's rule (hcloud-csi/rules.ts).
 */
export function checkVolumes(config: StorageRuleInput): Problem[] {
  const { volumes, driver } = config.storage;
  if (volumes.length === 0) return [];
  const problems: Problem[] = [];
  if (driver === "none") {
    problems.push({
      path: "storage.volumes",
      message: `declares ${volumes.length} volume${volumes.length === 1 ? "" : "s"}, but storage.driver is none, so no StorageClass can make them: choose a driver, or remove storage.volumes`,
    });
  }
  const namespaces = new Set(config.networkPolicies.apps.map((a) => a.namespace));
  const seen = new Map<string, number>();
  volumes.forEach((v, i) => {
    if (!namespaces.has(v.namespace)) {
      problems.push({
        path: `storage.volumes[${i}].namespace`,
        message:
          `${v.namespace} is the namespace of no app in networkPolicies.apps, and the program creates only its apps' ` +
          `namespaces: declare the app that uses the volume there, or use the namespace of one (${[...namespaces].join(", ") || "none declared"})`,
      });
    }
    const id = `${v.namespace}/${v.name}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({
        path: `storage.volumes[${i}].name`,
        message: `${v.name} is declared twice in namespace ${v.namespace} (also storage.volumes[${first}]): give each claim its own name`,
      });
    } else {
      seen.set(id, i);
    }
  });
  return problems;
}
