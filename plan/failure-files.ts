/**
 * A failed update as the plan shows it: the state it leaves, in the files `--previous` reads back, and the summary
 * it prints.
 */
import { isSecretValue, type PreviousState, type StateResource } from "./diff-state";
import { SECRET } from "./engine";
import type { FailedUpdate } from "./failure";

/** A state in the files of a plan's output folder (resources.json, outputs.json), which `--previous` reads back. */
export function planFilesOfState(state: PreviousState): Record<string, string> {
  const children = new Map<string, StateResource[]>();
  for (const r of state.resources) if (r.expandedFrom) children.set(r.expandedFrom, [...(children.get(r.expandedFrom) ?? []), r]);
  const resources = state.resources
    .filter((r) => !r.expandedFrom)
    .map((r) => {
      const digests: Record<string, string> = {};
      const inputs = children.has(r.urn) ? { ...r.inputs, objs: children.get(r.urn)!.map((c) => c.inputs) } : r.inputs;
      const { expandedFrom: _e, dependsOn, ...rest } = r;
      return {
        ...rest,
        dependsOn: dependsOn ?? [],
        inputs: withoutDigests(inputs, digests),
        ...(Object.keys(digests).length > 0 ? { secretDigests: digests } : {}),
      };
    });
  return {
    "resources.json": `${JSON.stringify(resources, null, 2)}\n`,
    "outputs.json": `${JSON.stringify(state.outputs, null, 2)}\n`,
  };
}

/** SecretValue back to the "[secret]" marker, its digest into `digests` by property path. */
function withoutDigests(value: unknown, digests: Record<string, string>, path = ""): unknown {
  if (isSecretValue(value)) {
    if (value.__secretDigest !== null) digests[path] = value.__secretDigest;
    return SECRET;
  }
  if (Array.isArray(value)) return value.map((v, i) => withoutDigests(v, digests, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutDigests(v, digests, path ? `${path}.${k}` : k)]));
  }
  return value;
}

const nameOf = (urn: string) => urn.split("::").slice(1).join("::");

/** What a failed update did and left, as the plan prints it. */
export function renderFailure(f: FailedUpdate): string {
  const list = (urns: readonly string[]) => (urns.length > 0 ? urns.map(nameOf).join(", ") : "none");
  return [
    f.continued
      ? `if the ${f.failed.action} of ${f.failed.name} fails, \`pulumi up --continue-on-error\` goes on with the rest:`
      : `if the ${f.failed.action} of ${f.failed.name} fails, \`pulumi up\` stops there:`,
    `  completed: ${list(f.completed)}`,
    ...(f.continued ? [] : [`  still running when it failed, so completed too: ${list(f.inFlight)}`]),
    `  ${f.continued ? "skipped (they depend on it) or kept (it depends on them)" : "never started"}: ${list(f.notStarted)}`,
    `  stack outputs: ${f.stackOutputs === "saved" ? "this run's saved over the previous ones" : "the previous ones kept"}`,
    ...(f.pendingDeletes.length > 0 ? [`  replaced, old one pending deletion: ${list(f.pendingDeletes)}`] : []),
    "",
  ].join("\n");
}
