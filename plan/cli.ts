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
// First: settings that make the plan cheaper without changing what it records (see the file).
import "./engine-settings";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../src/config/secrets";
import { diffStates, type PreviewDiff } from "./diff";
import { renderDiff } from "./diff-render";
import { readPrevious, stateOfRun, type PreviousState } from "./diff-state";
import { printLogMessage, readStackFile, runProgram, stackNameOf } from "./engine";
import { failUpdate } from "./failure";
import { planFilesOfState, renderFailure } from "./failure-files";
import { engineErrors } from "./rules";
import { planCharts } from "./charts/plan";
import { chartPrerender } from "./charts/prerender";
import { renderFiles, summarize } from "./render";
import { siteSvg } from "./diagram/site";
// index.ts is the program `pulumi up` runs; it exports the function that builds the site.
import { ingressSwitchOf, previousDeploymentOf } from "../program/ingress-switch";
import { siteConfigOf } from "./charts/site";
import program = require("../index");

const USAGE =
  "usage: npm run plan -- (--stack <name> | --stack-file <path>) [--out <dir>] [--previous <dir|export.json>]" +
  " [--previous-outputs <outputs.json>] [--fail <resource name> [--continue-on-error]] [--chart-diff <chart>=<version>]...";

const HELP = `Runs the program offline (no Pulumi CLI, cloud or cluster) and writes what \`pulumi up\` would register:
resources.json, manifests.yaml, charts/, nodes/<node>.sh, outputs.json and site.svg (a diagram of the site) into
out/<stack>/ or --out. A new stack file: npm run init (docs/getting-started.md).

  --stack <name>             the stack file Pulumi.<name>.yaml in this directory
  --stack-file <path>        a stack file anywhere, with the project's Pulumi.yaml beside it
  --out <dir>                where to write (default out/<stack>)
  --previous <dir|file>      a previous plan's folder or \`pulumi stack export\`: also print what would change
  --previous-outputs <file>  \`pulumi stack output --json\` of the deployed stack
  --fail <resource name>     also write the state a \`pulumi up\` leaves when that resource's step fails, into
                             <out>/failed-state (a folder --previous reads)
  --continue-on-error        with --fail: as \`pulumi up --continue-on-error\`
  --chart-diff <chart>=<v>   also render a chart at another version and print the difference
  -h, --help                 this text
`;

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
        fail: { type: "string" },
        "continue-on-error": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n\n${HELP}`);
    return 0;
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
    // A previous plan's folder or `pulumi stack export`: the plan prints what would change (docs/day2.md).
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
    if (previous) {
      // A state Pulumi would not load (plan/rules.ts) is refused before the program runs.
      const refused = engineErrors(previous.resources, { stack, project: stackConfig.project });
      if (refused.length > 0) {
        process.stderr.write(
          `--previous ${args.previous}: Pulumi refuses this state:\n${refused.map((e) => `  ${e}`).join("\n")}\n` +
            "Fix: give the state `pulumi stack export` writes, or a plan folder this program wrote\n",
        );
        return 1;
      }
    }
    const prerender = chartPrerender(stackConfig);
    try {
      run = await runProgram(stackConfig, program, { previousOutputs, onResource: prerender.onResource, onLog: printLogMessage });
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
  try {
    files["site.svg"] = await siteSvg(run, stackConfig, charts.objects);
  } catch (err) {
    // The plan stands without its picture: say so, and write the rest.
    process.stderr.write(`site.svg not written: ${(err as Error).message}\n`);
  }

  // Everything `pulumi up` would refuse is known before anything is written: a refused plan writes nothing.
  let diff: PreviewDiff | undefined;
  const next = stateOfRun(run);
  // The objects of a ConfigGroup are resources too, registered by the provider at deploy time (plan/rules.ts).
  const refused = engineErrors(next, run);
  if (refused.length > 0) {
    process.stderr.write(`Pulumi's engine would refuse this program:\n${refused.map((e) => `  ${e}`).join("\n")}\nnothing written\n`);
    return 1;
  }
  if (previous || args.fail) {
    diff = diffStates(previous ?? { source: "plan", resources: [], outputs: {} }, next, { stack: run.stack, project: run.project });
  }
  if (previous && diff) {
    const against = previous.source === "plan" ? "a previous plan" : "a stack export";
    const preview = renderDiff(diff, `preview of stack ${run.stack} against ${args.previous} (${against}):`);
    // As `pulumi preview`, a change the engine would refuse fails the run.
    if (diff.errors.length > 0) {
      process.stdout.write(preview);
      process.stderr.write(`nothing written: \`pulumi up\` would stop with the errors above\n`);
      return 1;
    }
  }
  if (args.fail && diff) {
    let failed;
    try {
      failed = failUpdate(previous, next, run.outputs, run.outputDependencies, diff, args.fail, {
        continueOnError: Boolean(args["continue-on-error"]),
      });
    } catch (err) {
      process.stderr.write(`--fail ${args.fail}: ${(err as Error).message}\n`);
      return 2;
    }
    for (const [path, content] of Object.entries(planFilesOfState(failed.state))) files[`failed-state/${path}`] = content;
    files["failed-state/failure.txt"] = renderFailure(failed);
  }
  rmSync(outDir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const against = previous ? `${args.previous} (${previous.source === "plan" ? "a previous plan" : "a stack export"})` : undefined;
  process.stdout.write(
    summarize(run, files, { stackFileText: readFileSync(stackFile, "utf8"), diff: previous ? diff : undefined, against, chartObjects: charts.objects }),
  );
  process.stdout.write(charts.text);
  process.stdout.write(`written to ${outDir}\n`);
  if (previous && diff) {
    const against = previous.source === "plan" ? "a previous plan" : "a stack export";
    process.stdout.write(renderDiff(diff, `preview of stack ${run.stack} against ${args.previous} (${against}):`));
    // A change of ingress.controller, said plainly (the program warns the same on `pulumi preview` and `up`).
    const change = ingressSwitchOf(siteConfigOf(stackConfig), previousDeploymentOf(previous.outputs));
    for (const line of change?.lines ?? []) process.stdout.write(`  ${line}\n`);
  }
  if (args.fail) {
    process.stdout.write(files["failed-state/failure.txt"] as string);
    process.stdout.write(
      `the state it leaves: ${join(outDir, "failed-state")}; its retry: npm run plan -- ${args.stack ? `--stack ${args.stack}` : `--stack-file ${args["stack-file"]}`} --previous ${join(outDir, "failed-state")}\n`,
    );
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
