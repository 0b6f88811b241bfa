/**
 * `npm run plan -- <args>` in the test's own process: plan/command.ts with the repository as its folder, the
 * program's runs from the plan cache, and what it prints collected. test/plan/cli.test.ts runs the real process.
 */
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
