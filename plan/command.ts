/**
 * What `npm run plan` does, apart from the process it runs in (plan/cli.ts): reads the arguments, runs the program
 * offline, writes the plan's files and prints the summary, and returns the exit status. Everything it prints goes
 * through `io`, and the program runs through `runner`, so tests run it in their own process.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../src/config/secrets";
import { diffStates, type PreviewDiff } from "./diff";
import { renderDiff } from "./diff-render";
import { readPrevious, stateOfRun, type PreviousState } from "./diff-state";
import { printLogMessage, readStackFile, runProgram, stackNameOf, type LogMessage } from "./engine";
import { failUpdate } from "./failure";
import { planFilesOfState, renderFailure } from "./failure-files";
import { engineErrors } from "./rules";
import { planCharts } from "./charts/plan";
import { chartPrerender } from "./charts/prerender";
import { renderFiles, summarize } from "./render";
import { siteSvg } from "./diagram/site";
import { ingressSwitchOf, previousDeploymentOf } from "../program/ingress-switch";
import { siteConfigOf } from "./charts/site";
// index.ts is the program `pulumi up` runs; it exports the function that builds the site.
import program = require("../index");

/** Where the command's text goes: the summary and reports (`out`), refusals (`err`), the program's own log lines. */
export interface PlanIO {
  out(text: string): void;
  err(text: string): void;
  log(message: LogMessage): void;
}

export const PROCESS_IO: PlanIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  log: printLogMessage,
};

export type Runner = typeof runProgram;

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

export interface PlanOptions {
  readonly io?: PlanIO;
  readonly runner?: Runner;
  /** The folder `--stack`, `--out` and relative paths are read from (default: the process's). */
  readonly cwd?: string;
}

export async function planCommand(argv: readonly string[], options: PlanOptions = {}): Promise<number> {
  const { io = PROCESS_IO, runner = runProgram, cwd = process.cwd() } = options;
  let args;
  try {
    args = parseArgs({
      args: [...argv],
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
    io.err(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.out(`${USAGE}\n\n${HELP}`);
    return 0;
  }
  if (Boolean(args.stack) === Boolean(args["stack-file"])) {
    io.err(`give exactly one of --stack and --stack-file\n${USAGE}\n`);
    return 2;
  }
  if (args.stack && /[\\/]|\.ya?ml$/.test(args.stack)) {
    io.err(
      `--stack ${args.stack}: --stack takes a stack's name and reads Pulumi.<name>.yaml beside Pulumi.yaml, not a path.\n` +
        `Fix: --stack-file ${args.stack}\n`,
    );
    return 2;
  }
  const stackFile = resolve(cwd, args["stack-file"] ?? `Pulumi.${args.stack}.yaml`);
  let stack: string;
  try {
    stack = stackNameOf(stackFile);
    readFileSync(stackFile);
  } catch (err) {
    io.err(`${(err as NodeJS.ErrnoException).code === "ENOENT" ? `${stackFile} does not exist` : (err as Error).message}\n`);
    return 2;
  }
  const outDir = resolve(cwd, args.out ?? join("out", stack));

  let run;
  let previous: PreviousState | undefined;
  let stackConfig;
  try {
    // `pulumi stack output --json` of the deployed stack: lets the plan check the guards on fixed settings.
    let previousOutputs = args["previous-outputs"]
      ? (JSON.parse(readFileSync(resolve(cwd, args["previous-outputs"]), "utf8")) as Record<string, unknown>)
      : undefined;
    // A previous plan's folder or `pulumi stack export`: the plan prints what would change (docs/day2.md).
    if (args.previous) {
      try {
        previous = readPrevious(resolve(cwd, args.previous), previousOutputs);
      } catch (err) {
        io.err(`--previous ${args.previous}: ${(err as Error).message}\n`);
        return 2;
      }
      previousOutputs = previous.outputs;
    }
    stackConfig = readStackFile(stackFile, SECRET_KEYS);
    if (previous) {
      // A state Pulumi would not load (plan/rules.ts) is refused before the program runs.
      const refused = engineErrors(previous.resources, { stack, project: stackConfig.project });
      if (refused.length > 0) {
        io.err(
          `--previous ${args.previous}: Pulumi refuses this state:\n${refused.map((e) => `  ${e}`).join("\n")}\n` +
            "Fix: give the state `pulumi stack export` writes, or a plan folder this program wrote\n",
        );
        return 1;
      }
    }
    const prerender = chartPrerender(stackConfig);
    try {
      run = await runner(stackConfig, program, { previousOutputs, onResource: prerender.onResource, onLog: (m) => io.log(m) });
    } finally {
      await prerender.settled();
    }
  } catch (err) {
    if (pulumi.RunError.isInstance(err as Error) || pulumi.ResourceError.isInstance(err as Error)) {
      io.err(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
  const files = renderFiles(run);
  let charts;
  try {
    charts = planCharts(run, stackConfig, args["chart-diff"]);
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
  Object.assign(files, charts.files);
  try {
    files["site.svg"] = await siteSvg(run, stackConfig, charts.objects);
  } catch (err) {
    // The plan stands without its picture: say so, and write the rest.
    io.err(`site.svg not written: ${(err as Error).message}\n`);
  }

  // Everything `pulumi up` would refuse is known before anything is written: a refused plan writes nothing.
  let diff: PreviewDiff | undefined;
  const next = stateOfRun(run);
  // The objects of a ConfigGroup are resources too, registered by the provider at deploy time (plan/rules.ts).
  const refused = engineErrors(next, run);
  if (refused.length > 0) {
    io.err(`Pulumi's engine would refuse this program:\n${refused.map((e) => `  ${e}`).join("\n")}\nnothing written\n`);
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
      io.out(preview);
      io.err(`nothing written: \`pulumi up\` would stop with the errors above\n`);
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
      io.err(`--fail ${args.fail}: ${(err as Error).message}\n`);
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
  io.out(
    summarize(run, files, { stackFileText: readFileSync(stackFile, "utf8"), diff: previous ? diff : undefined, against, chartObjects: charts.objects }),
  );
  io.out(charts.text);
  io.out(`written to ${outDir}\n`);
  if (previous && diff) {
    const against = previous.source === "plan" ? "a previous plan" : "a stack export";
    io.out(renderDiff(diff, `preview of stack ${run.stack} against ${args.previous} (${against}):`));
    // A change of ingress.controller, said plainly (the program warns the same on `pulumi preview` and `up`).
    const change = ingressSwitchOf(siteConfigOf(stackConfig), previousDeploymentOf(previous.outputs));
    for (const line of change?.lines ?? []) io.out(`  ${line}\n`);
  }
  if (args.fail) {
    io.out(files["failed-state/failure.txt"] as string);
    io.out(
      `the state it leaves: ${join(outDir, "failed-state")}; its retry: npm run plan -- ${args.stack ? `--stack ${args.stack}` : `--stack-file ${args["stack-file"]}`} --previous ${join(outDir, "failed-state")}\n`,
    );
  }
  return 0;
}

