/**
 * What upgrading a chart changes: the site's chart rendered at another vendored version against the pinned one,
 * compared object by object (apiVersion is left out of the key so that a moved API shows as a change), and which
 * changes Pulumi's Kubernetes provider carries out by replacing the object.
 *
 * Chart v4 registers each rendered object as a child resource named after its kind, namespace and name, so an
 * object that keeps its key keeps its URN and the provider diffs it: a change under one of its force-new fields
 * (plan/replacements.ts, KUBERNETES_FORCE_NEW, from provider/pkg/provider/diff.go at v4.32.0) replaces it, and since
 * a chart's objects are named (no generateName) and keep their name and namespace, the provider asks for delete
 * before replace (provider/pkg/provider/provider.go at v4.32.0, Diff: `deleteBeforeReplace` when the object is
 * replaced, named, not autonamed, and keeps its name and namespace). A Job's pod template is immutable in the API, so
 * this is what lets an upgrade change its image at all: an update would be refused by the API server.
 */
import { isDeepStrictEqual } from "node:util";
import { kubernetesReplaceOn, pathCovers } from "../replacements";
import type { KubernetesObject } from "../../src/kubernetes/object";

/** How the provider carries out a change to an object that keeps its key. */
export interface Replacement {
  /** The force-new fields the change touches, e.g. `spec.template`. */
  readonly fields: readonly string[];
  /** The old object is deleted before the new one is created (same name and namespace). */
  readonly deleteFirst: boolean;
}

export interface ObjectChange {
  readonly key: string;
  /** Paths whose values differ, like `spec.template.spec.containers[0].image`, with both values when short. */
  readonly paths: readonly string[];
  /** Set when the change replaces the object instead of updating it. */
  readonly replacement?: Replacement;
}

export interface ChartDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly ObjectChange[];
}

export function objectKey(o: KubernetesObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
}

function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isDeepStrictEqual(a, b)) return;
  const isObj = (v: unknown) => v !== null && typeof v === "object";
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => diffPaths(v, b[i], `${path}[${i}]`, out));
    return;
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
      diffPaths(ao[k], bo[k], path ? `${path}.${k}` : k, out);
    }
    return;
  }
  const scalar = (v: unknown) => v === undefined || v === null || typeof v !== "object";
  const shown = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  const label = path || "(whole object)";
  out.push(scalar(a) && scalar(b) && shown(a).length + shown(b).length < 400 ? `${label}: ${shown(a)} -> ${shown(b)}` : label);
}

/** Whether changing `paths` of `o` replaces it; apiVersion is the new object's, as the provider diffs new inputs. */
export function replacementOf(o: KubernetesObject, paths: readonly string[]): Replacement | undefined {
  const changed = paths.map((p) => p.replace(/: .*$/s, ""));
  const fields = kubernetesReplaceOn(o.apiVersion, o.kind).filter((rule) => changed.some((c) => pathCovers(rule, c)));
  if (fields.length === 0) return undefined;
  return { fields, deleteFirst: typeof o.metadata.name === "string" && o.metadata.name !== "" };
}

/** The objects an upgrade from `from` to `to` adds, removes and changes. */
export function diffObjects(from: readonly KubernetesObject[], to: readonly KubernetesObject[]): ChartDiff {
  const before = new Map(from.map((o) => [objectKey(o), o]));
  const after = new Map(to.map((o) => [objectKey(o), o]));
  const changed: ObjectChange[] = [];
  for (const [key, o] of after) {
    const old = before.get(key);
    if (!old) continue;
    const paths: string[] = [];
    diffPaths(old, o, "", paths);
    if (paths.length === 0) continue;
    const replacement = replacementOf(o, paths);
    changed.push({ key, paths, ...(replacement ? { replacement } : {}) });
  }
  return {
    added: [...after.keys()].filter((k) => !before.has(k)).sort(),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
    changed: changed.sort((a, b) => a.key.localeCompare(b.key)),
  };
}

/** Labels every object of a chart carries with the chart's version: a change to them alone says nothing new. */
const VERSION_LABELS = /^(metadata|spec\.template\.metadata|spec\.jobTemplate\.spec\.template\.metadata)\.labels\.(app\.kubernetes\.io\/version|helm\.sh\/chart)(:|$)/;

/** Whether a change touches only the chart's version labels (and is not a replacement: a Job's template labels). */
export function onlyVersionLabels(change: ObjectChange): boolean {
  return change.replacement === undefined && change.paths.every((p) => VERSION_LABELS.test(p));
}

function replacementNote(r: Replacement | undefined): string {
  if (!r) return "";
  return ` (replaced: ${r.fields.join(", ")} ${r.fields.length > 1 ? "are" : "is"} force-new in the provider; ${r.deleteFirst ? "deleted first, then created with the same name" : "created first"})`;
}

/** The diff as the plan prints it; objects whose only change is the chart's version labels are counted, not listed. */
export function formatDiff(chart: string, from: string, to: string, diff: ChartDiff): string {
  const replaced = diff.changed.filter((c) => c.replacement).length;
  const lines = [
    `chart ${chart} ${from} -> ${to}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed` +
      `${replaced > 0 ? ` (${replaced} replaced)` : ""}`,
  ];
  for (const k of diff.added) lines.push(`  + ${k}`);
  for (const k of diff.removed) lines.push(`  - ${k}`);
  const labelsOnly = diff.changed.filter(onlyVersionLabels);
  if (labelsOnly.length > 0) lines.push(`  ~ ${labelsOnly.length} objects change only their version labels (app.kubernetes.io/version, helm.sh/chart)`);
  for (const c of diff.changed.filter((c) => !onlyVersionLabels(c))) {
    lines.push(`  ~ ${c.key}${replacementNote(c.replacement)}`);
    for (const p of c.paths) lines.push(`      ${p}`);
  }
  return `${lines.join("\n")}\n`;
}
