/**
 * npm run plan -- --stack <name> [--out <dir>]
 * npm run plan -- --stack-file <path> [--out <dir>]
 *   [--previous <plan dir | stack export file>] [--previous-outputs <outputs.json>]
 *
 * Runs the real program offline and writes what it would register (see README, "Offline plan"). An invalid stack
 * config prints its problems, writes nothing and exits 1.
 */
// First: settings that make the plan cheaper without changing what it records (see the file).
import "./bench/engine-settings";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../src/config/secrets";
import { diffStates, renderDiff } from "./diff";
import { readPrevious, stateOfRun, type PreviousState } from "./diff-state";
import { readStackFile, runProgram, stackNameOf } from "./engine";
import { planCharts } from "./charts/plan";
import { chartPrerender } from "./charts/prerender";
import { renderFiles, summarize } from "./render";
// index.ts is the program `pulumi up` runs; it exports the function that builds the site.
import program = require("../index");

const USAGE =
  "usage: npm run plan -- (--stack <name> | --stack-file <path>) [--out <dir>] [--previous <dir|export.json>]" +
  " [--previous-outputs <outputs.json>] [--chart-diff <chart>=<version>]...";

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        "stack-file": { type: "string" },
        out: { type: "string" },
        "previous-outputs": { type: "string" },
        previous: { type: "string" },
        "chart-diff": { type: "string", multiple: true },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (Boolean(args.stack) === Boolean(args["stack-file"])) {
    process.stderr.write(`give exactly one of --stack and --stack-file\n${USAGE}\n`);
    return 2;
  }
  const stackFile = resolve(args["stack-file"] ?? `Pulumi.${args.stack}.yaml`);
  let stack: string;
  try {
    stack = stackNameOf(stackFile);
    readFileSync(stackFile);
  } catch (err) {
    process.stderr.write(`${(err as NodeJS.ErrnoException).code === "ENOENT" ? `${stackFile} does not exist` : (err as Error).message}\n`);
    return 2;
  }
  const outDir = resolve(args.out ?? join("out", stack));

  let run;
  let previous: PreviousState | undefined;
  let stackConfig;
  try {
    // `pulumi stack output --json` of the deployed stack: lets the plan check the guards on fixed settings.
    let previousOutputs = args["previous-outputs"]
      ? (JSON.parse(readFileSync(args["previous-outputs"], "utf8")) as Record<string, unknown>)
      : undefined;
    // A previous plan's folder or `pulumi stack export`: the plan prints what would change (README, "Changing a site").
    if (args.previous) {
      try {
        previous = readPrevious(resolve(args.previous), previousOutputs);
      } catch (err) {
        process.stderr.write(`--previous ${args.previous}: ${(err as Error).message}\n`);
        return 2;
      }
      previousOutputs = previous.outputs;
    }
    stackConfig = readStackFile(stackFile, SECRET_KEYS);
    const prerender = chartPrerender(stackConfig);
    try {
      run = await runProgram(stackConfig, program, { previousOutputs, onResource: prerender.onResource });
    } finally {
      await prerender.settled();
    }
  } catch (err) {
    if (pulumi.RunError.isInstance(err as Error) || pulumi.ResourceError.isInstance(err as Error)) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
  const files = renderFiles(run);
  let charts;
  try {
    charts = planCharts(run, stackConfig, args["chart-diff"]);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  Object.assign(files, charts.files);
  rmSync(outDir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  process.stdout.write(summarize(run, files));
  process.stdout.write(charts.text);
  process.stdout.write(`written to ${outDir}\n`);
  if (previous) {
    const diff = diffStates(previous, stateOfRun(run), { stack: run.stack, project: run.project });
    const against = previous.source === "plan" ? "a previous plan" : "a stack export";
    process.stdout.write(renderDiff(diff, `preview of stack ${run.stack} against ${args.previous} (${against}):`));
    // As `pulumi preview`, a change the engine would refuse fails the run.
    if (diff.errors.length > 0) return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`plan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(3);
  },
);
