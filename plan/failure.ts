/**
 * A `pulumi up` that fails at one resource, and the state it leaves: which steps ran, which were never started,
 * what the state then holds, and which stack outputs were saved. Read from pulumi/pulumi at v3.248.0 (the version
 * package-lock.json pins), @pulumi/command 1.2.1 and pulumi-go-provider v1.3.0 (the version it builds on):
 *
 * - Registrations first, deletes after: the deployment executor generates the deletes only once the program has
 *   registered everything and no step failed (pkg/resource/deploy/deployment_executor.go, Execute: performPostSteps
 *   runs after the source's last event). A failed create, update or replace therefore deletes nothing.
 * - A step starts once the resources it depends on are done: the SDK sends a registration only when the URNs and
 *   inputs it waits for have resolved, and the engine answers a registration only when its step is done. Steps
 *   that do not depend on each other run side by side (ExecuteSerial per registration, a worker each).
 * - The first failure cancels the deployment (step_executor.go, cancelDueToError: se.cancel() unless
 *   --continue-on-error). A step already running finishes (executeChain checks the context only between steps), no
 *   new step starts, and the executor stops reading events (Execute's loop returns on ctx.Done()). The one exception
 *   is a refused delete of a protected resource, which never cancels (cancelDueToError, deleteProtectedError).
 * - Deletes go in antichains, dependents first (step_generator.go, ScheduleDeletes); deployment_executor.go runs
 *   each antichain to its end before the next, so a failed delete lets its antichain finish and stops the rest.
 * - What the state keeps (pkg/backend/snapshot.go, the mutations' End(step, successful)): a successful step's new
 *   state; for a failed step, nothing new. @pulumi/command returns a failed command as a plain error, not as a
 *   partial "initialization failed" resource (provider/pkg/provider/remote/commandController.go: Create, Update and
 *   Delete return the command's error; pulumi-go-provider infer/resource.go keeps partial state only for
 *   ResourceInitFailedError): a failed create leaves no resource, a failed update the old inputs, a failed delete
 *   the resource as it was. A later delete runs with the inputs the state holds.
 * - Stack outputs (step_executor.go, executeRegisterResourceOutputs, since pulumi/pulumi#15754): the stack's
 *   RegisterResourceOutputs is held until the end; when the update failed, its outputs are written over the old
 *   ones, and old outputs it does not name are kept. The Node.js SDK sends them in one call once every output's
 *   value is known, so they are saved when all the resources they come from were done before the failure
 *   (ProgramRun.outputDependencies), and not at all otherwise.
 *
 * Times come from the deploy model (plan/deploy-model.ts) with unbounded parallelism (the CLI's default --parallel is
 * four times the CPUs, pkg/cmd/pulumi/operations/up.go, defaultParallel; a site's steps rarely exceed it): the
 * failing step fails at the end of its run, and whatever started before that runs to its end.
 */
import type { PreviewDiff, Step } from "./diff";
import type { PreviousState, StateResource } from "./diff-state";
import { CHANGES, deleteAntichains, dependenciesOf, dependencyOrder, scheduleOf } from "./failure-order";

export interface FailedUpdate {
  /** The step that failed. */
  readonly failed: Pick<Step, "urn" | "name" | "action">;
  /** Steps that changed something and completed, in the order they finished. */
  readonly completed: readonly string[];
  /** Of those, the ones still running when the failure came (the engine lets them finish). */
  readonly inFlight: readonly string[];
  /** Steps that change something and never started. */
  readonly notStarted: readonly string[];
  /** Whether the run's stack outputs were saved (over the old ones), or the old ones kept as they were. */
  readonly stackOutputs: "saved" | "kept";
  /** Old resources replaced create-first whose delete never ran: Pulumi keeps them pending deletion. */
  readonly pendingDeletes: readonly string[];
  /** The state the failed run leaves. */
  readonly state: PreviousState;
  /** Run with --continue-on-error: the other steps went on. */
  readonly continued?: boolean;
}

/**
 * Marks an input of a resource the failed run left as it was, where the unbroken run would have given it an output
 * of a resource this run created or replaced and did complete. The stored value is the old one, and the new value
 * is that resource's new output, which the offline run cannot know (its mocks answer the same every time): without
 * the mark, the retry's preview would take the two for equal and skip the change.
 */
export const STALE_OUTPUT = "[stale: an output of a resource a failed run created or replaced]";

function staleInputs(r: StateResource, step: Step | undefined, done: ReadonlySet<string>): StateResource {
  const stale = (step?.changes ?? []).filter((c) => c.from !== undefined && done.has(c.from));
  if (stale.length === 0) return r;
  if (stale.some((c) => c.path === "")) return { ...r, inputs: { [STALE_OUTPUT]: stale.map((c) => c.from) } };
  return { ...r, inputs: { ...r.inputs, ...Object.fromEntries(stale.map((c) => [c.path, { [STALE_OUTPUT]: c.from }])) } };
}

/**
 * What `pulumi up` leaves when the step of `failing` (a URN or a resource name) fails. `previous` is the state it
 * ran against (none for a first deployment), `next` the run's resources (stateOfRun) and `diff` its preview.
 */
export function failUpdate(
  previous: PreviousState | undefined,
  next: readonly StateResource[],
  nextOutputs: Readonly<Record<string, unknown>>,
  outputDependencies: Readonly<Record<string, readonly string[]>>,
  diff: PreviewDiff,
  failing: string,
  options: { readonly continueOnError?: boolean } = {},
): FailedUpdate {
  const step = diff.steps.find((s) => s.urn === failing) ?? diff.steps.find((s) => s.name === failing);
  const pick = "give the name of a resource the preview creates, updates, replaces or deletes";
  if (!step) throw new Error(`no resource ${failing} in this run or the previous state: ${pick}`);
  if (!CHANGES.has(step.action)) {
    throw new Error(`${step.name} is not changed by this run (${step.action}), so its step cannot fail: ${pick}`);
  }
  const old = new Map((previous?.resources ?? []).map((r) => [r.urn, r]));
  const stepOf = new Map(diff.steps.map((s) => [s.urn, s]));
  const registration = scheduleOf(next, diff, stepOf);
  const completed: { urn: string; at: number }[] = [];
  const inFlight: string[] = [];
  const deleted = new Set<string>();
  let failedAt: number;
  let deletesReached = false;

  if (options.continueOnError) {
    return continuedUpdate(previous, next, nextOutputs, outputDependencies, diff, step, stepOf);
  }
  if (step.action !== "delete") {
    failedAt = registration.finish.get(step.urn)!;
    for (const r of next) {
      const s = stepOf.get(r.urn);
      if (r.urn === step.urn || !s) continue;
      const start = registration.start.get(r.urn)!;
      const finish = registration.finish.get(r.urn)!;
      if (start < failedAt) {
        if (CHANGES.has(s.action)) completed.push({ urn: r.urn, at: finish });
        if (finish > failedAt) inFlight.push(r.urn);
      }
    }
  } else {
    // Every registration was done; the deletes ran antichain by antichain until the failed one's.
    deletesReached = true;
    failedAt = Math.max(0, ...registration.finish.values());
    for (const r of next) {
      const s = stepOf.get(r.urn);
      if (s && CHANGES.has(s.action)) completed.push({ urn: r.urn, at: registration.finish.get(r.urn)! });
    }
    let at = failedAt;
    for (const antichain of deleteAntichains(previous?.resources ?? [], diff)) {
      const failedHere = antichain.includes(step.urn);
      for (const urn of antichain) {
        if (urn === step.urn) continue;
        deleted.add(urn);
        completed.push({ urn, at: at + 1 });
        if (failedHere) inFlight.push(urn);
      }
      at += 1;
      if (failedHere) break;
    }
  }
  const done = new Set(completed.map((c) => c.urn));

  // The state: the run's resources whose step completed, the old ones otherwise.
  const resources: StateResource[] = [];
  const pendingDeletes: string[] = [];
  for (const r of next) {
    const s = stepOf.get(r.urn);
    const was = old.get(r.urn) ?? (r.aliases ?? []).map((a) => old.get(a)).find((x) => x !== undefined);
    if (r.urn === step.urn && !deletesReached) {
      // A failed create leaves nothing, a failed update or replace the old resource; a replacement that deletes
      // first has deleted it already.
      if (was && !(step.action === "replace" && step.deleteBeforeReplace)) resources.push(staleInputs(was, s, done));
      continue;
    }
    const reached = deletesReached || done.has(r.urn) || (s?.action === "same" && registration.start.get(r.urn)! < failedAt);
    if (reached) {
      resources.push(r);
      if (s?.action === "replace" && !s.deleteBeforeReplace && !deletesReached) pendingDeletes.push(r.urn);
    } else if (was) {
      resources.push(staleInputs(was, s, done));
    }
  }
  const kept = new Set(resources.map((r) => r.urn));
  for (const r of previous?.resources ?? []) {
    if (kept.has(r.urn) || deleted.has(r.urn)) continue;
    // Renamed by an alias: the new resource stands in for it once its step ran.
    if (next.some((n) => kept.has(n.urn) && (n.aliases ?? []).includes(r.urn))) continue;
    resources.push(r);
  }

  const outputsReady = Object.values(outputDependencies)
    .flat()
    .every((urn) => (registration.finish.get(urn) ?? Infinity) < failedAt || deletesReached);
  const outputs = outputsReady ? { ...(previous?.outputs ?? {}), ...nextOutputs } : { ...(previous?.outputs ?? {}) };
  const changes = diff.steps.filter((s) => CHANGES.has(s.action)).map((s) => s.urn);
  return {
    failed: { urn: step.urn, name: step.name, action: step.action },
    completed: completed.sort((a, b) => a.at - b.at).map((c) => c.urn),
    inFlight,
    notStarted: changes.filter((u) => u !== step.urn && !done.has(u)),
    stackOutputs: outputsReady ? "saved" : "kept",
    pendingDeletes,
    state: { source: previous?.source ?? "plan", resources: dependencyOrder(resources), outputs },
  };
}

/**
 * `pulumi up --continue-on-error`: a failed step cancels nothing (step_executor.go, cancelDueToError); the steps that
 * depend on it, through a parent, provider, dependsOn, property or deletedWith, are skipped
 * (deployment_executor.go, handleSingleEvent, doesStepDependOn), every other step runs, and the deletes run too,
 * but for what a failed step depends on (performPostSteps, erroredDeps). A failed delete stops nothing either.
 */
function continuedUpdate(
  previous: PreviousState | undefined,
  next: readonly StateResource[],
  nextOutputs: Readonly<Record<string, unknown>>,
  outputDependencies: Readonly<Record<string, readonly string[]>>,
  diff: PreviewDiff,
  step: Step,
  stepOf: ReadonlyMap<string, Step>,
): FailedUpdate {
  const skipped = new Set<string>([step.urn]);
  for (const r of next) {
    if ([...dependenciesOf(r), ...(r.deletedWith ? [r.deletedWith] : [])].some((d) => skipped.has(d))) skipped.add(r.urn);
  }
  // What the failed resource depends on, in the previous deployment or in this run: never deleted this time.
  const edges = new Map<string, string[]>();
  for (const r of [...(previous?.resources ?? []), ...next]) edges.set(r.urn, [...(edges.get(r.urn) ?? []), ...dependenciesOf(r)]);
  const keep = new Set<string>();
  const visit = (urn: string) => {
    for (const d of edges.get(urn) ?? []) {
      if (!keep.has(d)) {
        keep.add(d);
        visit(d);
      }
    }
  };
  visit(step.urn);
  const old = new Map((previous?.resources ?? []).map((r) => [r.urn, r]));
  const completed: string[] = [];
  const resources: StateResource[] = [];
  for (const r of next) {
    const s = stepOf.get(r.urn);
    const ran = !skipped.has(r.urn);
    if (ran && s && CHANGES.has(s.action)) completed.push(r.urn);
    const was = old.get(r.urn) ?? (r.aliases ?? []).map((a) => old.get(a)).find((x) => x !== undefined);
    if (ran) resources.push(r);
    else if (was && !(r.urn === step.urn && step.action === "replace" && step.deleteBeforeReplace)) resources.push(was);
  }
  const deleted = new Set<string>();
  for (const s of diff.steps) {
    if (s.action !== "delete" || s.urn === step.urn || keep.has(s.urn)) continue;
    deleted.add(s.urn);
    completed.push(s.urn);
  }
  const present = new Set(resources.map((r) => r.urn));
  for (const r of previous?.resources ?? []) {
    if (present.has(r.urn) || deleted.has(r.urn)) continue;
    if (next.some((n) => present.has(n.urn) && (n.aliases ?? []).includes(r.urn))) continue;
    resources.push(r);
  }
  const saved = Object.values(outputDependencies).flat().every((urn) => !skipped.has(urn));
  const outputs = saved ? { ...(previous?.outputs ?? {}), ...nextOutputs } : { ...(previous?.outputs ?? {}) };
  const changes = diff.steps.filter((s) => CHANGES.has(s.action)).map((s) => s.urn);
  const done = new Set(completed);
  return {
    failed: { urn: step.urn, name: step.name, action: step.action },
    completed,
    inFlight: [],
    notStarted: changes.filter((u) => u !== step.urn && !done.has(u)),
    stackOutputs: saved ? "saved" : "kept",
    pendingDeletes: [],
    state: { source: previous?.source ?? "plan", resources: dependencyOrder(resources), outputs },
    continued: true,
  };
}
