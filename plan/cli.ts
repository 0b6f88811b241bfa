/**
 * npm run plan -- --stack <name> [--out <dir>]
 * npm run plan -- --stack-file <path> [--out <dir>]
 *   [--previous <plan dir | stack export file>] [--previous-outputs <outputs.json>]
 *   [--fail <resource name> [--continue-on-error]]
 *
 * Runs the real program offline and writes what it would register (see docs/plan.md). An invalid stack
 * config, or a change Pulumi's engine would refuse, prints why, writes nothing and exits 1. `--fail` also writes the
 * state a `pulumi up` leaves when that resource's step fails (plan/failure.ts) into <out>/failed-state, a folder
 * `--previous` reads.
 */
import { applyPlanSettings } from "./engine-settings";

// First, before any Pulumi module loads: settings that make the plan cheaper without changing what it records (see
// the file). Then the command, required after them (an import would load it first).
applyPlanSettings();
const { planCommand } = require("./command") as typeof import("./command");

// A reader that stops early (`npm run plan -- --help | head`) closes the pipe: the rest is not wanted, which is not
// a failure of the plan, so the process ends quietly instead of throwing EPIPE with a stack.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

planCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`plan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(3);
  },
);
