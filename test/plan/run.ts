/** Runs the real program offline on a stack file, for component tests. */
import { join } from "node:path";
import { requiredSecrets } from "../../src/config/secrets";
import { readStackFile, runProgram, type ProgramRun, type RecordedResource } from "../../plan/engine";
import program = require("../../index");
import { ROOT } from "../helpers";

export async function planOf(stack: "prod" | "home" | string, dir = ROOT): Promise<ProgramRun> {
  const file = join(dir, `Pulumi.${stack}.yaml`);
  return runProgram(readStackFile(file, [...requiredSecrets("hetzner"), ...requiredSecrets("ssh")].map((s) => s.key)), program);
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function byName(run: ProgramRun, name: string): RecordedResource {
  const found = run.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}; have ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
}
