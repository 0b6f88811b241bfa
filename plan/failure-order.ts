/**
 * The order of a `pulumi up`: when each step starts and ends, and in which antichains the deletes run. Times come from
 * the deploy model (plan/deploy-model.ts) with unbounded parallelism; the facts behind both are in plan/failure.ts.
 */
import { latencyOf, type GraphResource } from "./deploy-model";
import type { PreviewDiff, Step } from "./diff";
import type { StateResource } from "./diff-state";

/** The actions that change something: the steps that take time, and can fail. */
export const CHANGES = new Set<Step["action"]>(["create", "update", "replace", "delete"]);

/** The resources a step waits for: parent, provider, dependsOn and property dependencies. */
export function dependenciesOf(r: StateResource): string[] {
  return [
    ...(r.parent ? [r.parent] : []),
    ...(r.provider ? [r.provider] : []),
    ...(r.dependsOn ?? []),
    ...Object.values(r.propertyDependencies ?? {}).flat(),
  ];
}

const schedules = new WeakMap<PreviewDiff, ReturnType<typeof registrationTimes>>();
/** The schedule of a run's registrations, once per preview (it does not depend on which step fails). */
export function scheduleOf(next: readonly StateResource[], diff: PreviewDiff, stepOf: ReadonlyMap<string, Step>) {
  if (!schedules.has(diff)) schedules.set(diff, registrationTimes(next, stepOf));
  return schedules.get(diff)!;
}

/**
 * When each registration's step starts and ends (seconds), with unbounded parallelism. A dependency on one of our
 * components is a dependency on everything beneath it (the SDK waits for a component's children).
 */
function registrationTimes(next: readonly StateResource[], stepOf: ReadonlyMap<string, Step>) {
  const byUrn = new Map<string, GraphResource>(next.map((r) => [r.urn, { ...r, dependsOn: r.dependsOn ?? [] }]));
  const children = new Map<string, string[]>();
  for (const r of next) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  const start = new Map<string, number>();
  const finish = new Map<string, number>();
  const done = (urn: string): number => {
    const own = finish.get(urn) ?? 0;
    const r = byUrn.get(urn);
    if (!r || r.custom) return own;
    return Math.max(own, ...(children.get(urn) ?? []).map(done));
  };
  for (const r of next) {
    // Parents are registered first and answered at once; only the other waits hold a step back.
    const waits = dependenciesOf(r).filter((d) => d !== r.parent || byUrn.get(d)?.custom);
    const begin = Math.max(0, ...waits.map((d) => (byUrn.get(d)?.custom ? (finish.get(d) ?? 0) : done(d))), r.parent ? (start.get(r.parent) ?? 0) : 0);
    const s = stepOf.get(r.urn);
    const seconds = s && CHANGES.has(s.action) ? latencyOf(byUrn.get(r.urn)!, byUrn) : 0;
    start.set(r.urn, begin);
    finish.set(r.urn, begin + seconds);
  }
  return { start, finish };
}

/** The deletes of a run in Pulumi's antichains: each holds the condemned resources nothing condemned depends on. */
export function deleteAntichains(previous: readonly StateResource[], diff: PreviewDiff): string[][] {
  const condemned = new Set(diff.steps.filter((s) => s.action === "delete").map((s) => s.urn));
  const dependents = new Map<string, Set<string>>();
  for (const r of previous) {
    for (const d of [...dependenciesOf(r), ...(r.deletedWith ? [r.deletedWith] : [])]) {
      dependents.set(d, (dependents.get(d) ?? new Set()).add(r.urn));
    }
  }
  const order = previous.map((r) => r.urn).filter((u) => condemned.has(u));
  const antichains: string[][] = [];
  while (condemned.size > 0) {
    const ready = order.filter((u) => condemned.has(u) && ![...(dependents.get(u) ?? [])].some((d) => condemned.has(d)));
    if (ready.length === 0) throw new Error(`the deletes of ${[...condemned].join(", ")} wait on each other`);
    for (const u of ready) condemned.delete(u);
    antichains.push(ready);
  }
  return antichains;
}

/** A stable order in which every resource comes after what it refers to, as a Pulumi state must be. */
export function dependencyOrder(resources: readonly StateResource[]): StateResource[] {
  const present = new Set(resources.map((r) => r.urn));
  const placed = new Set<string>();
  const out: StateResource[] = [];
  let rest = [...resources];
  while (rest.length > 0) {
    const later: StateResource[] = [];
    for (const r of rest) {
      const refs = [...dependenciesOf(r), ...(r.deletedWith ? [r.deletedWith] : [])].filter((d) => present.has(d));
      if (refs.every((d) => placed.has(d))) {
        out.push(r);
        placed.add(r.urn);
      } else later.push(r);
    }
    if (later.length === rest.length) return [...out, ...later]; // a cycle: left for the engine's rules to refuse
    rest = later;
  }
  return out;
}
