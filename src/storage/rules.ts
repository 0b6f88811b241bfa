/**
 * The storage section's rules: the driver fits the site, the declared volumes have somewhere to live and fit
 * Hetzner's limits. Each returns problems with the key, the value and the fix, before any resource.
 */
import type { Problem } from "../config/problems";
import type { NodeSpec } from "../config/site";
import { checkHetznerVolumeLimits } from "./hcloud-csi/limits";
import type { StorageConfig } from "./section";

/** What the storage rules read of a site (SiteConfig has it). */
export interface StorageRuleInput {
  readonly site: { readonly kind: "hetzner" | "ssh" };
  readonly storage: StorageConfig;
  readonly nodes: readonly NodeSpec[];
  readonly networkPolicies: { readonly apps: readonly { readonly name: string; readonly namespace: string }[] };
}

/** Hetzner's driver needs Hetzner servers: its node plugin asks Hetzner's metadata service which server it is on. */
export function checkStorageDriver(config: StorageRuleInput): Problem[] {
  const { driver } = config.storage;
  const problems: Problem[] = [];
  if (driver === "hcloud-csi" && config.site.kind !== "hetzner") {
    problems.push({
      path: "storage.driver",
      message:
        "hcloud-csi needs Hetzner Cloud servers (its node plugin reads Hetzner's metadata service), and this is an ssh " +
        "site: use local-path (the default on ssh sites) or none",
    });
  }
  if (config.storage.hcloudCsi.encryption && driver !== "hcloud-csi") {
    problems.push({
      path: "storage.hcloudCsi.encryption",
      message: `true encrypts Hetzner volumes, but storage.driver is ${driver}: remove it, or use storage.driver hcloud-csi`,
    });
  }
  return problems;
}

/**
 * Declared volumes: a driver to make them, a namespace the program creates (an app's), one claim per name, and on
 * Hetzner the volume limits.
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
  if (driver === "hcloud-csi") problems.push(...checkHetznerVolumeLimits({ volumes, nodeCount: config.nodes.length }));
  return problems;
}
