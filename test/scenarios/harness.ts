/**
 * Scenario runs: plan a site through the offline engine, feed its plan files back as the previous deployment, plan
 * the changed site, and diff the two the way `npm run plan -- --previous` does.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { diffStates, type PreviewDiff, type Step } from "../../plan/diff";
import { previousFromPlanFiles, stateOfRun } from "../../plan/diff-state";
import { readStackFile, type ProgramRun } from "../../plan/engine";
import { failUpdate } from "../../plan/failure";
import { renderFiles } from "../../plan/render";
import { SECRET_KEYS } from "../../src/config/secrets";
import { ROOT } from "../helpers";
import { cachedRun } from "../support/plan-cache";
import { nodeOfCommand } from "../../src/k3s/names";

/** A stack file's `config:` block, keys as in the file (`k3s-sites:site`, `hcloud:token`). */
export type StackConfig = Record<string, any>;

export function exampleConfig(stack: "prod" | "home"): StackConfig {
  return (parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: StackConfig }).config;
}

/** A copy of `config` changed by `edit`. */
export function edited(config: StackConfig, edit: (c: StackConfig) => void): StackConfig {
  const copy = structuredClone(config);
  edit(copy);
  return copy;
}

/**
 * Plans a stack with this config, in a temporary folder removed afterwards. `previous` is the run it follows: its
 * outputs stand in for the deployed stack's (the guards read them through the StackReference), after `editOutputs`.
 */
export async function planConfig(
  config: StackConfig,
  previous?: ProgramRun,
  stack = "prod",
  editOutputs: (outputs: Record<string, unknown>) => void = () => {},
): Promise<ProgramRun> {
  const dir = mkdtempSync(join(tmpdir(), "scenario-"));
  try {
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
    const outputs = previous ? (JSON.parse(renderFiles(previous)["outputs.json"] as string) as Record<string, unknown>) : undefined;
    if (outputs) editOutputs(outputs);
    return await cachedRun(readStackFile(join(dir, `Pulumi.${stack}.yaml`), SECRET_KEYS), outputs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `plan --previous <before's folder>` reports for `after`: through the files a plan writes. */
export function previewOf(before: ProgramRun, after: ProgramRun): PreviewDiff {
  const files = renderFiles(before);
  const previous = previousFromPlanFiles(files["resources.json"] as string, files["outputs.json"]);
  return withoutChecks(diffStates(previous, stateOfRun(after), { stack: after.stack, project: after.project }));
}

/**
 * The verification Jobs (site-verify-*) are replaced, and so rerun, by every change to what they check: by design,
 * held by test/verify/jobs.rerun.test.ts and said once in docs/day2.md. The scenarios leave them out.
 */
export function withoutChecks(diff: PreviewDiff): PreviewDiff {
  return { ...diff, steps: diff.steps.filter((s) => !(s.type === "kubernetes:batch/v1:Job" && s.name.startsWith("site-verify-"))) };
}

const shortType = (s: Step) => s.type.split(":").pop() as string;

/** The steps of a kind on a resource type (its last segment: `Server`, `Command`). */
export function steps(diff: PreviewDiff, action: Step["action"], type?: string): Step[] {
  return diff.steps.filter((s) => s.action === action && (type === undefined || shortType(s) === type));
}

/** Every step that changes something. */
export function changed(diff: PreviewDiff): Step[] {
  return diff.steps.filter((s) => s.action !== "same" && s.action !== "not-compared");
}

/** Servers replaced or deleted, and node commands replaced: what a scenario must never do unasked. */
export function destructive(diff: PreviewDiff): string[] {
  return diff.steps
    .filter(
      (s) =>
        (shortType(s) === "Server" && (s.action === "replace" || s.action === "delete")) ||
        (shortType(s) === "Command" && s.action === "replace"),
    )
    .map((s) => `${s.action} ${s.name}`);
}

/** The bootstrap script a run gives a node. */
export function scriptOf(run: ProgramRun, node: string): string {
  const r = run.resources.find((x) => nodeOfCommand(x) === node);
  if (!r) throw new Error(`no bootstrap command for node ${node}`);
  return String(r.inputs.create);
}

/**
 * The run `pulumi up` of `config` leaves behind when the resource named `failing` fails, as far as the next run can
 * see it: the stack outputs, as plan/failure.ts models them (the one model of a failed update: saved all together
 * over the previous ones when everything they come from was done, else the previous ones kept). The returned run's
 * resources are the failed run's; only its outputs are what the next run reads.
 */
export async function failedRun(config: StackConfig, previous: ProgramRun, failing: string, stack = "prod"): Promise<ProgramRun> {
  const run = await planConfig(config, previous, stack);
  const files = renderFiles(previous);
  const state = previousFromPlanFiles(files["resources.json"] as string, files["outputs.json"]);
  const diff = diffStates(state, stateOfRun(run), { stack: run.stack, project: run.project });
  const failure = failUpdate(state, stateOfRun(run), run.outputs, run.outputDependencies, diff, failing);
  return { ...run, outputs: failure.state.outputs as Record<string, unknown> };
}
