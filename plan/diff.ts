/**
 * The offline preview: what `pulumi up` would do to a previous deployment, resource by resource, from the new
 * offline run. It follows the engine's step generation (pulumi/pulumi pkg/resource/deploy/step_generator.go at
 * v3.248.0): resources are matched by URN (or an alias), ignoreChanges keeps the old value, a change under a
 * replaceOnChanges path or a path the provider replaces on (plan/replacements.ts) replaces, and a protected
 * resource that would be replaced or deleted is an error with the engine's wording. As in a preview, every output
 * of a resource being created or replaced is unknown, so a property that comes from one changes too.
 */
import { REMOTE_COMMAND_TYPE } from "../src/k3s/names";
import { SECRET, UNKNOWN } from "./engine";
import { isSecretValue, type PreviousState, type StateResource } from "./diff-state";
import {
  HCLOUD_POWER_OFF_ON,
  KUBERNETES_PROVIDER_TYPE,
  pathCovers,
  providerReplaceOn,
  type PropertyPath,
} from "./replacements";
import { CHART_TYPE } from "../src/type-tokens";

export type Action = "create" | "update" | "replace" | "delete" | "same" | "not-compared";

export interface PropertyChange {
  readonly path: PropertyPath;
  readonly old?: unknown;
  readonly new?: unknown;
  /** Why the value changes when it is not a config edit: the resource it comes from is created or replaced. */
  readonly from?: string;
}

export interface Step {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly action: Action;
  /** Replacements: the old resource goes first (deleteBeforeReplace, or the provider asks for it). */
  readonly deleteBeforeReplace?: boolean;
  readonly changes: readonly PropertyChange[];
  /** The changed paths that make this a replacement. */
  readonly replaceCauses: readonly string[];
  /** What else a reviewer must know: a server powered off, a retained resource, a command that runs. */
  readonly notes: readonly string[];
  /** The error `pulumi up` stops with for this resource. */
  readonly error?: string;
}

export interface PreviewDiff {
  readonly steps: readonly Step[];
  readonly errors: readonly string[];
}

export interface DiffOptions {
  /** The `urn:pulumi:<stack>::<project>::` prefix for error messages. */
  readonly stack: string;
  readonly project: string;
}

function fullUrn(opts: DiffOptions, urn: string): string {
  return `urn:pulumi:${opts.stack}::${opts.project}::${urn}`;
}

/** The engine's errors (pkg/resource/deploy/step_generator.go and step.go, deleteProtectedError, at v3.248.0). */
export function protectedReplaceError(urn: string): string {
  return (
    `unable to replace resource "${urn}"\n` +
    "as it is currently marked for protection. To unprotect the resource, remove the `protect` flag from the " +
    "resource in your Pulumi program and run `pulumi up`"
  );
}

export function protectedDeleteError(urn: string): string {
  return (
    `resource "${urn}" cannot be deleted\n` +
    "because it is protected. To unprotect the resource, either remove the `protect` flag from the resource in " +
    `your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${urn}'\``
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !isSecretValue(v);
}

/** Leaf-level differences between two input trees. Secrets compare by digest; an unknown digest never differs. */
export function changedPaths(oldValue: unknown, newValue: unknown, path = ""): PropertyChange[] {
  if (oldValue === newValue) return []; // the same object: a resource a failed run's state took from the run
  if (isSecretValue(oldValue) || isSecretValue(newValue)) {
    const a = isSecretValue(oldValue) ? oldValue.__secretDigest : undefined;
    const b = isSecretValue(newValue) ? newValue.__secretDigest : undefined;
    if (a === null || b === null) return [];
    return a === b ? [] : [{ path, old: SECRET, new: SECRET }];
  }
  if (newValue === UNKNOWN) return [{ path, old: oldValue, new: UNKNOWN }];
  if (Array.isArray(oldValue) && Array.isArray(newValue)) {
    const out: PropertyChange[] = [];
    for (let i = 0; i < Math.max(oldValue.length, newValue.length); i++) {
      out.push(...changedPaths(oldValue[i], newValue[i], `${path}[${i}]`));
    }
    return out;
  }
  if (isPlainObject(oldValue) && isPlainObject(newValue)) {
    const keys = [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])];
    return keys.flatMap((k) => changedPaths(oldValue[k], newValue[k], path ? `${path}.${k}` : k));
  }
  if (oldValue === undefined && newValue === undefined) return [];
  return JSON.stringify(oldValue) === JSON.stringify(newValue) ? [] : [{ path, old: oldValue, new: newValue }];
}

/** The top-level property a change path starts with: `networks[0].ip` -> `networks`. */
function topKey(path: string): string {
  return path.split(/[.[]/)[0] as string;
}

/** Whether a path is under an ignoreChanges entry (Pulumi keeps the old value there). */
function ignored(ignoreChanges: readonly string[] | undefined, path: string): boolean {
  return (ignoreChanges ?? []).some((p) => p === "*" || (pathCovers(p, path) && path.length >= p.length));
}

/** Notes for an update that does more than change a setting. */
function updateNotes(r: StateResource, changes: readonly PropertyChange[]): string[] {
  const notes: string[] = [];
  const powerOff = (HCLOUD_POWER_OFF_ON[r.type] ?? []).filter((p) => changes.some((c) => pathCovers(p, c.path)));
  if (powerOff.length > 0) notes.push(`powers the server off to change ${powerOff.join(", ")}`);
  if (r.type === REMOTE_COMMAND_TYPE) {
    notes.push(`runs its ${r.inputs.update !== undefined ? "update" : "create"} command again on the host`);
  }
  return notes;
}

/**
 * Diffs the previous deployment with the new run's resources (StateResource form, see stateOfRun). Steps come in
 * the new run's registration order, then the deletes.
 */
export function diffStates(previous: PreviousState, next: readonly StateResource[], opts: DiffOptions): PreviewDiff {
  const oldByUrn = new Map(previous.resources.map((r) => [r.urn, r]));
  const matched = new Set<string>();
  /** URNs whose outputs are unknown in the preview (created or replaced), with the action. */
  const pending = new Map<string, "create" | "replace">();
  const steps: Step[] = [];
  const errors: string[] = [];
  // Parents whose children are not known offline: a chart's objects (rendered at deploy time), a ConfigGroup whose
  // objects are secret.
  const opaque = new Set(
    next.filter((r) => r.type === CHART_TYPE || (r.type === "kubernetes:yaml/v2:ConfigGroup" && isSecretValue(r.inputs.objs))).map((r) => r.urn),
  );

  for (const r of next) {
    const oldUrn = oldByUrn.has(r.urn) ? r.urn : r.aliases?.find((a) => oldByUrn.has(a));
    const old = oldUrn ? oldByUrn.get(oldUrn) : undefined;
    const base = { urn: r.urn, type: r.type, name: r.name };
    if (!old) {
      pending.set(r.urn, "create");
      steps.push({ ...base, action: "create", changes: [], replaceCauses: [], notes: [] });
      continue;
    }
    matched.add(old.urn);

    let changes = changedPaths(old.inputs, r.inputs).filter((c) => !ignored(r.ignoreChanges, c.path));
    if (previous.source === "export") {
      // The deployed inputs carry the provider's defaults (Check's output), which the program never sets.
      changes = changes.filter((c) => c.new !== undefined);
    }
    // Values from resources that are created or replaced are unknown until they are.
    for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) {
      const from = deps.find((d) => pending.has(d));
      if (!from) continue;
      if (key === "*") {
        changes = [{ path: "", new: UNKNOWN, from }];
        break;
      }
      if (!ignored(r.ignoreChanges, key)) {
        changes = [...changes.filter((c) => topKey(c.path) !== key), { path: key, old: old.inputs[key], new: UNKNOWN, from }];
      }
    }
    const renamed = oldUrn !== r.urn ? [`renamed from ${oldUrn} (alias)`] : [];
    // A replaced provider replaces everything it manages, changed or not.
    const providerReplaced = r.provider !== undefined && pending.get(r.provider) === "replace";
    if (changes.length === 0 && !providerReplaced) {
      steps.push({ ...base, action: "same", changes: [], replaceCauses: [], notes: renamed });
      continue;
    }

    const replaceOn = [...providerReplaceOn(r.type, r.inputs), ...(r.replaceOnChanges ?? [])];
    let replaceCauses = [
      ...new Set(
        changes
          .filter((c) => c.path === "" || replaceOn.some((p) => p === "*" || pathCovers(p, c.path)))
          .map((c) => c.path || "(the whole object)"),
      ),
    ];
    if (r.type === KUBERNETES_PROVIDER_TYPE) replaceCauses = kubernetesProviderReplaces(old, r, changes);
    if (providerReplaced) replaceCauses.push(`its provider ${r.provider} is replaced`);

    if (replaceCauses.length === 0) {
      steps.push({ ...base, action: "update", changes, replaceCauses: [], notes: [...renamed, ...updateNotes(r, changes)] });
      continue;
    }
    pending.set(r.urn, "replace");
    const kubernetesObject = r.type.startsWith("kubernetes:") && r.custom && typeof r.inputs.kind === "string";
    // The Kubernetes provider deletes first when the object keeps its name and namespace (provider.go, Diff).
    const sameIdentity =
      kubernetesObject && !changes.some((c) => c.path === "metadata.name" || c.path === "metadata.namespace" || c.path === "");
    const deleteBeforeReplace = Boolean(r.deleteBeforeReplace) || sameIdentity;
    const notes = [...renamed];
    if (r.type === REMOTE_COMMAND_TYPE) {
      notes.push(
        `runs ${old.inputs.delete !== undefined ? "its delete command, then " : ""}its create command again on the host`,
      );
    }
    if (old.retainOnDelete) notes.push("retainOnDelete: the old one is left in place, outside the stack");
    let error: string | undefined;
    if (r.protect && old.protect) {
      error = protectedReplaceError(fullUrn(opts, r.urn));
      errors.push(error);
    }
    steps.push({
      ...base,
      action: "replace",
      ...(deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
      changes,
      replaceCauses,
      notes,
      ...(error ? { error } : {}),
    });
  }

  const opaqueParent = (r: StateResource): boolean => {
    let parent = r.parent;
    while (parent) {
      if (opaque.has(parent)) return true;
      parent = oldByUrn.get(parent)?.parent;
    }
    return false;
  };
  const deletes = previous.resources.filter((r) => !matched.has(r.urn)).reverse();
  for (const r of deletes) {
    const base = { urn: r.urn, type: r.type, name: r.name, changes: [], replaceCauses: [] };
    // The engine registers default providers itself; the program never does.
    if (r.type.startsWith("pulumi:providers:") && r.name.startsWith("default")) continue;
    if (opaqueParent(r)) {
      steps.push({ ...base, action: "not-compared", notes: ["rendered at deploy time: not known offline"] });
      continue;
    }
    const notes: string[] = [];
    if (r.retainOnDelete) notes.push("retainOnDelete: removed from the stack, left in place");
    if (r.type === REMOTE_COMMAND_TYPE) {
      notes.push(r.inputs.delete !== undefined ? "runs its delete command on the host" : "no delete command: the host is left as it is");
    }
    let error: string | undefined;
    if (r.protect) {
      error = protectedDeleteError(fullUrn(opts, r.urn));
      errors.push(error);
    }
    steps.push({ ...base, action: "delete", notes, ...(error ? { error } : {}) });
  }
  return { steps, errors };
}

/** The Kubernetes provider's own rule (DiffConfig): see KUBERNETES_PROVIDER_TYPE. */
function kubernetesProviderReplaces(old: StateResource, r: StateResource, changes: readonly PropertyChange[]): string[] {
  const id = (s: StateResource) => s.inputs.clusterIdentifier;
  if (id(old) !== undefined && id(r) !== undefined && id(old) !== id(r)) return ["clusterIdentifier"];
  if (id(r) !== undefined && id(old) === id(r)) return [];
  return changes.filter((c) => ["kubeconfig", "context", "cluster"].includes(topKey(c.path))).map((c) => c.path);
}
