/**
 * The offline engine: runs the real program (index.ts) on pulumi.runtime.setMocks, with no Pulumi CLI, cloud,
 * cluster or network, and records every resource registration as the engine would receive it.
 *
 * The mocks' newResource callback does not see parent, dependsOn, protect and the other resource options, so a
 * recording wrapper sits around the SDK's mock monitor and reads them from each RegisterResourceRequest.
 */
import * as pulumi from "@pulumi/pulumi";
import { OfflineMocks } from "./mocks";
import { record, reveal, UrnMap, type OutputsRequest, type RecordedResource, type RegisterRequest } from "./record";
import { engineErrors } from "./rules";
import type { StackFile } from "./stack-file";
import { withTopDownStructs } from "./struct";

// The engine's vocabulary, for the plan and the tests: one import for a run and what it records.
export { SECRET, UNKNOWN, type RecordedResource } from "./record";
export { readStackFile, secretPlaceholder, stackNameOf, type StackFile } from "./stack-file";

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /**
   * For each stack output, the resources (short URNs) its value comes from: the SDK registers the stack's outputs
   * once all of them are known, so only after each of these is done (plan/failure.ts).
   */
  readonly outputDependencies: Readonly<Record<string, readonly string[]>>;
  /**
   * What the program logged through pulumi.log (warnings of a site's config, notes on what this run will do), in
   * order. The engine keeps them instead of printing them; the plan prints them as `pulumi up` would.
   */
  readonly messages: readonly LogMessage[];
}

export interface LogMessage {
  readonly severity: LogSeverity;
  readonly message: string;
}

export type LogSeverity = "info" | "warning" | "error";

/** A log message as the SDK prints it when no engine listens (`warning: [runtime] ...`), for the plan. */
export function printLogMessage({ severity, message }: LogMessage): void {
  const line = `${severity}: [runtime] ${message}`;
  if (severity === "warning") console.warn(line);
  else if (severity === "error") console.error(line);
  else console.log(line);
}

// pulumi.log's functions, replaced once: while a run is under way they hand each message to its collector. Not
// debug: the SDK's own chatter, printed only when its excessive debug output is on.
const LOG_FUNCTIONS = { info: "info", warn: "warning", error: "error" } as const;
let collect: ((m: LogMessage) => void) | undefined;
let logPatched = false;
function patchLog(): void {
  if (logPatched) return;
  logPatched = true;
  const log = pulumi.log as unknown as Record<string, (...args: unknown[]) => Promise<void>>;
  for (const [fn, severity] of Object.entries(LOG_FUNCTIONS)) {
    const original = log[fn]!;
    log[fn] = (...args: unknown[]) => {
      if (!collect) return original(...args);
      collect({ severity, message: String(args[0]) });
      return Promise.resolve();
    };
  }
}

export interface RunOptions {
  readonly previousOutputs?: Readonly<Record<string, unknown>>;
  /** Called with each resource as it is registered (its inputs final, its urn not yet set). */
  readonly onResource?: (resource: RecordedResource) => void;
  /** Called with each message the program logs, as it logs it (the run's `messages` hold them all). */
  readonly onLog?: (message: LogMessage) => void;
}

/**
 * For the length of one run: no source maps and no stack traces, put back by the function returned. The SDK takes a
 * stack per resource and per promise, which the run never reads, and under tsx each is mapped back to TypeScript (the
 * reasons and figures: plan/engine-settings.ts, which `npm run plan` applies to its whole process). A test process
 * keeps both for its own failures. PLAN_STACK_TRACES=1 keeps them during runs too.
 */
function withoutStackCosts(): () => void {
  if (process.env.PLAN_STACK_TRACES) return () => {};
  const maps = process.sourceMapsEnabled;
  const limit = Error.stackTraceLimit;
  process.setSourceMapsEnabled(false);
  Error.stackTraceLimit = 0;
  return () => {
    process.setSourceMapsEnabled(maps);
    Error.stackTraceLimit = limit;
  };
}

/** The run in progress, if any: the next run starts when it has ended, whether it succeeded or not. */
let running: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` (the default export of index.ts) as `pulumi up` would, against the offline mocks. Config errors
 * come back as the RunError the program throws. `previousOutputs` stands in for the stack's last deployment.
 *
 * Runs in one process take turns: the SDK's mocks, config and stack are global to the process (setMocks and
 * setAllConfig replace them), so two runs at once would register into each other's stack. A caller that starts a
 * run while another is under way waits for it.
 */
export function runProgram(
  stackFile: StackFile,
  program: () => Promise<Record<string, unknown>>,
  options: RunOptions = {},
): Promise<ProgramRun> {
  const run = running.then(() => runAlone(stackFile, program, options));
  running = run.catch(() => undefined);
  return run;
}

async function runAlone(
  stackFile: StackFile,
  program: () => Promise<Record<string, unknown>>,
  options: RunOptions,
): Promise<ProgramRun> {
  patchLog();
  const messages: LogMessage[] = [];
  const outer = collect;
  collect = (m) => {
    messages.push(m);
    options.onLog?.(m);
  };
  pulumi.runtime.setAllConfig(stackFile.config, [...stackFile.secretKeys]);
  // "organization" is the organization of stacks on DIY backends (pulumi login --local, S3, ...).
  await pulumi.runtime.setMocks(
    new OfflineMocks(options.previousOutputs),
    stackFile.project,
    stackFile.stack,
    false,
    "organization",
  );

  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, res: unknown) => void): Promise<void>;
    registerResourceOutputs(req: OutputsRequest, cb: (err: unknown, res: unknown) => void): void;
  };
  const resources: RecordedResource[] = [];
  const original = monitor.registerResource.bind(monitor);
  const urns = new UrnMap();
  monitor.registerResource = (req, cb) => {
    const entry = record(req, urns);
    resources.push(entry);
    options.onResource?.(entry);
    return original(req, (err, res) => {
      if (res) {
        const mockUrn = (res as { getUrn(): string }).getUrn();
        (entry as { urn: string }).urn = urns.add(mockUrn, req.getType(), req.getName(), req.getParent());
      }
      cb(err, res);
    });
  };
  // The stack's outputs as the engine receives them: serialized, with secrets still marked as secrets.
  let stackOutputs: Record<string, unknown> = {};
  const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
    return originalOutputs(req, cb);
  };

  // The program's own error is caught inside the stack, so that the SDK's promises around the Stack resource do not
  // reject unhandled, and rethrown once the stack is done.
  let failure: { error: unknown } | undefined;
  let returned: Record<string, unknown> = {};
  // An Output that rejects while a resource's inputs are serialized (a failed download, a bad digest) surfaces as an
  // unhandled rejection; the Pulumi CLI fails the run on those, and so does the plan.
  let rejected = (): void => {};
  const firstRejection = new Promise<void>((resolve) => (rejected = resolve));
  const onRejection = (error: unknown) => {
    failure ??= { error: asRunError(error) };
    rejected();
  };
  process.on("unhandledRejection", onRejection);
  const restoreStacks = withoutStackCosts();
  const restoreStructs = withTopDownStructs();
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        returned = await program();
        return returned;
      } catch (error) {
        failure = { error };
        return {};
      }
    });
    // A resource whose inputs rejected is never registered, so the SDK's wait for its RPCs would never end (and
    // the process would exit saying only that promises were still active): the first rejection ends the wait.
    await Promise.race([(pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), firstRejection]);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    restoreStructs();
    restoreStacks();
    process.off("unhandledRejection", onRejection);
    collect = outer;
  }
  if (failure) throw failure.error;
  const registered = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
  // What `pulumi up` would refuse (plan/rules.ts) fails the plan too, before anything is written.
  const refused = engineErrors(registered, stackFile);
  if (refused.length > 0) {
    throw new pulumi.RunError(`Pulumi's engine would refuse this program:\n${refused.map((e) => `  ${e}`).join("\n")}`);
  }
  return {
    project: stackFile.project,
    stack: stackFile.stack,
    resources: registered,
    outputs: reveal(stackOutputs, false) as Record<string, unknown>,
    outputDependencies: await outputDependenciesOf(returned, urns),
    messages,
  };
}

/** The resources each stack output's value comes from, through every Output nested in it. */
async function outputDependenciesOf(outputs: Record<string, unknown>, urns: UrnMap): Promise<Record<string, string[]>> {
  const deps: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const output = pulumi.output(value) as unknown as { allResources?: () => Promise<Set<pulumi.Resource>> };
    const resources = [...((await output.allResources?.()) ?? new Set<pulumi.Resource>())];
    const list = await Promise.all(resources.map(async (r) => urns.get(await promiseOf(r.urn))));
    deps[key] = [...new Set(list)].sort();
  }
  return deps;
}

/**
 * An error thrown inside an apply, as the user should read it: its own message, without the SDK's stack. The SDK
 * names the input it was computing ("error serializing property \"objs\": ..."), which stays as a pointer.
 */
function asRunError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  // RunError is an Error in shape, so its type guard would narrow a plain Error away: read the message first.
  const message = error.message;
  if (pulumi.RunError.isInstance(error) || pulumi.ResourceError.isInstance(error)) return error;
  return new pulumi.RunError(`a value computed at deploy time was refused: ${message}`);
}

/** The value of an Output, for tests and the plan. Unknown values resolve to undefined. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}
