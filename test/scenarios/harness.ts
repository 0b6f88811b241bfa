/**
 * Scenario runs: plan a site through the offline engine, feed its plan files back as the previous deployment, plan
 * the changed site, and diff the two the way `npm run plan -- --previous` does.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { diffStates, type PreviewDiff, type Step } from "../../plan/diff";
import { previousFromPlanFiles, stateOfRun } from "../../plan/diff-state";
import { readStackFile, runProgram, type ProgramRun } from "../../plan/engine";
import { renderFiles } from "../../plan/render";
import { SECRET_KEYS } from "../../src/config/secrets";
import program = require("../../index");
import { ROOT } from "../helpers";

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
    return await runProgram(readStackFile(join(dir, `Pulumi.${stack}.yaml`), SECRET_KEYS), program, {
      ...(outputs ? { previousOutputs: outputs } : {}),
    });
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
 * held by test/verify/rerun.test.ts and said once in the README. The scenarios leave them out.
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
  const r = run.resources.find((x) => x.type === "command:remote:Command" && x.name.endsWith(`-node-${node}`));
  if (!r) throw new Error(`no bootstrap command for node ${node}`);
  return String(r.inputs.create);
}

/**
 * The run `pulumi up` of `config` leaves behind when the resource named `failing` fails, as far as the next run can
 * see it: the stack outputs. Pulumi saves the outputs that had resolved when an update fails; an output that waits
 * for `failing`, or for a resource that depends on it (which never ran), keeps the previous deployment's value. The
 * returned run's resources are the failed run's; only its outputs are what the next run reads.
 */
export async function failedRun(config: StackConfig, previous: ProgramRun, failing: string, stack = "prod"): Promise<ProgramRun> {
  const deps: Record<string, string[]> = {};
  const recording = async () => {
    const outputs = await program();
    for (const [key, value] of Object.entries(outputs)) {
      const all = await (pulumi.output(value) as unknown as { allResources(): Promise<Set<pulumi.Resource>> }).allResources();
      deps[key] = [...all].map((r) => (r as unknown as { __name: string }).__name);
    }
    return outputs;
  };
  const dir = mkdtempSync(join(tmpdir(), "scenario-"));
  let run: ProgramRun;
  try {
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
    const outputs = JSON.parse(renderFiles(previous)["outputs.json"] as string) as Record<string, unknown>;
    run = await runProgram(readStackFile(join(dir, `Pulumi.${stack}.yaml`), SECRET_KEYS), recording, { previousOutputs: outputs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  if (!run.resources.some((r) => r.name === failing)) throw new Error(`no resource ${failing} in the run`);
  // Everything that waits for the failed resource, through dependsOn or an input, never runs.
  const failed = new Set([failing]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const r of run.resources) {
      if (failed.has(r.name)) continue;
      const on = [...r.dependsOn, ...Object.values(r.propertyDependencies ?? {}).flat()];
      if (on.some((u) => failed.has(byUrn.get(u)?.name ?? ""))) {
        failed.add(r.name);
        grown = true;
      }
    }
  }
  const saved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(run.outputs)) {
    const waits = (deps[key] ?? []).some((n) => failed.has(n));
    if (!waits) saved[key] = value;
    else if (key in previous.outputs) saved[key] = previous.outputs[key];
  }
  return { ...run, outputs: saved };
}
