/**
 * Settings for a part the site does not use: the user clearly expects them to act, and they would not. These rules
 * read the raw stack config, since defaults fill every section once parsed.
 */
import { CNI_NAMES } from "../cni/section";
import type { Problem } from "./problems";
import type { SiteConfig } from "./site";

function keysOf(value: unknown): string[] {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

export function checkUnusedSettings(raw: Readonly<Record<string, unknown>>, config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  const cni = raw.cni as Record<string, unknown> | undefined;
  const plugin = config.cni.plugin;
  const chosen = (cni?.plugin === undefined ? `${plugin} (the default for ${config.site.kind} sites)` : plugin);
  for (const other of CNI_NAMES) {
    const keys = keysOf(cni?.[other]);
    if (other === plugin || keys.length === 0) continue;
    problems.push({
      path: `cni.${other}`,
      message:
        `sets ${keys.join(", ")}, but cni.plugin is ${chosen}, so they would do nothing: remove cni.${other}, or set ` +
        `cni.plugin: ${other} (only on a new site: the CNI is fixed at creation)`,
    });
  }
  const snapshots = keysOf((raw.k3s as Record<string, unknown> | undefined)?.etcdSnapshots);
  if (config.k3s.datastore === "sqlite" && snapshots.length > 0) {
    problems.push({
      path: "k3s.etcdSnapshots",
      message:
        `sets ${snapshots.join(", ")}, but k3s.datastore is sqlite, which has no etcd to snapshot: remove ` +
        "k3s.etcdSnapshots, or use datastore etcd (the default)",
    });
  }
  return problems;
}
