/**
 * Runs the real program offline on a stack file, for component tests. Runs are shared between test files through
 * test/support/plan-cache.ts (K3S_SITES_PLAN_CACHE=off plans every time).
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile, type ProgramRun, type RecordedResource } from "../../plan/engine";
import { ROOT } from "../helpers";
import { cachedRun } from "../support/plan-cache";

export async function planOf(
  stack: "prod" | "home" | string,
  dir = ROOT,
  previousOutputs?: Record<string, unknown>,
): Promise<ProgramRun> {
  const file = join(dir, `Pulumi.${stack}.yaml`);
  return cachedRun(readStackFile(file, SECRET_KEYS), previousOutputs);
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function byName(run: ProgramRun, name: string): RecordedResource {
  const found = run.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}; have ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
}

/** Runs the program on a stack made of these `k3s-sites:` sections, in a temporary directory. */
export async function planOfSections(
  sections: Record<string, unknown>,
  stack = "test",
  previousOutputs?: Record<string, unknown>,
): Promise<ProgramRun> {
  const dir = mkdtempSync(join(tmpdir(), "stack-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const config = Object.fromEntries(Object.entries(sections).map(([k, v]) => [`k3s-sites:${k}`, v]));
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify({ config }));
  try {
    return await planOf(stack, dir, previousOutputs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
