/**
 * Settings for a part the site does not use: the user clearly expects them to act, and they would not. These rules
 * read the raw stack config, since defaults fill every section once parsed. A part chosen by one key (cni.plugin,
 * storage.driver) is found in its registry, so a new CNI or driver is covered by its registry line.
 */
import { CNIS, STORAGE_DRIVERS } from "../concerns/registry";
import type { Problem } from "./problems";
import type { SiteConfig } from "./site";

function keysOf(value: unknown): string[] {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

/** The raw value at a dotted key such as `cni.canal`. */
function valueAt(raw: Readonly<Record<string, unknown>>, key: string): unknown {
  return key.split(".").reduce<unknown>((value, part) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined), raw);
}

/** One key choosing among concerns (cni.plugin among the CNIs), the choice, and what a change of it takes. */
interface Choice<C extends { readonly key: string }> {
  readonly key: string;
  readonly chosen: string;
  readonly concerns: Readonly<Record<string, C>>;
  /** After "set <key>: <name>", when changing the choice has a condition. */
  readonly condition: string;
  /** Why choosing the concern is not possible on this site, so the message only says to remove its settings. */
  readonly unavailable: (concern: C) => string | undefined;
}

function unusedChoices<C extends { readonly key: string }>(raw: Readonly<Record<string, unknown>>, config: SiteConfig, choice: Choice<C>): Problem[] {
  const set = valueAt(raw, choice.key) !== undefined;
  const chosen = set ? choice.chosen : `${choice.chosen} (the default for ${config.site.kind} sites)`;
  return Object.entries(choice.concerns).flatMap(([name, concern]): Problem[] => {
    const keys = keysOf(valueAt(raw, concern.key));
    if (name === choice.chosen || keys.length === 0) return [];
    const why = choice.unavailable(concern);
    const fix = why === undefined ? `remove ${concern.key}, or set ${choice.key}: ${name}${choice.condition}` : `remove ${concern.key} (${why})`;
    return [{ path: concern.key, message: `sets ${keys.join(", ")}, but ${choice.key} is ${chosen}, so they would do nothing: ${fix}` }];
  });
}

export function checkUnusedSettings(raw: Readonly<Record<string, unknown>>, config: SiteConfig): Problem[] {
  const problems: Problem[] = [
    ...unusedChoices(raw, config, {
      key: "cni.plugin",
      chosen: config.cni.plugin,
      concerns: CNIS,
      condition: " (only on a new site: the CNI is fixed at creation)",
      unavailable: () => undefined,
    }),
    ...unusedChoices(raw, config, {
      key: "storage.driver",
      chosen: config.storage.driver,
      concerns: STORAGE_DRIVERS,
      condition: "",
      unavailable: (driver) => driver.driver.unavailableOn(config.site.kind),
    }),
  ];
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
