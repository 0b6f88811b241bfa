/**
 * `npm run plan -- <args>` in the test's own process: plan/command.ts with the repository as its folder, the
 * program's runs from the plan cache, and what it prints collected. planProcess runs the real process, for what only
 * a process shows: its exit status, and helm looked up afresh.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { join } from "node:path";
import { planCommand } from "../../plan/command";
import { cachedRunner } from "../support/plan-cache";
import { ROOT } from "../helpers";

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function plan(...args: string[]): Promise<CommandResult> {
  let stdout = "";
  let stderr = "";
  const status = await planCommand(args, {
    cwd: ROOT,
    runner: cachedRunner,
    io: {
      out: (text) => (stdout += text),
      err: (text) => (stderr += text),
      // As printLogMessage: warnings and errors to stderr, the rest to stdout.
      log: ({ severity, message }) => {
        const line = `${severity}: [runtime] ${message}\n`;
        if (severity === "warning" || severity === "error") stderr += line;
        else stdout += line;
      },
    },
  });
  return { status, stdout, stderr };
}

/**
 * The real process, started as `npm run plan` starts it (package.json, held by test/plan/register.test.ts): node with
 * plan/register.js, the loader that keeps compiled files in the cache folder, running plan/cli.ts.
 */
export function planProcess(args: readonly string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["--require", join(ROOT, "plan/register.js"), join(ROOT, "plan/cli.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env,
  });
}
