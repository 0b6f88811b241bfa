/**
 * npm run init -- [options]: writes a starting stack file, Pulumi.<stack>.yaml, for a Hetzner Cloud site or for
 * existing hosts over SSH, from flags or, in a terminal without --kind, from answers to a few questions. It reads the
 * operator's SSH public key, never invents a secret, and prints the commands that store the secrets still needed.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ConfigError } from "../../src/config/problems";
import { parseSiteConfig } from "../../src/config/load";
import { checkStack, scaffoldSections, scaffoldText, secretCommands } from "./scaffold";
import { check, expand, fail, answersFromFlags, parseFlags, UsageError, USAGE, type Flags } from "./flags";
import { flagsFromPrompts } from "./prompts";

const ROOT = join(__dirname, "..", "..");

export async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // npm runs scripts in the package's folder; paths the user typed are relative to where they typed them.
  const base = process.env.INIT_CWD ?? process.cwd();
  try {
    if (flags.kind === undefined) {
      if (!process.stdin.isTTY) fail("give --kind hetzner or --kind ssh, or run npm run init in a terminal to be asked");
      flags = await flagsFromPrompts(flags, base);
    }
    if (flags.stack !== undefined) check(checkStack(flags.stack));
    const { answers, privateKey } = answersFromFlags(flags, base);
    const dir = flags.dir !== undefined ? resolve(base, expand(flags.dir)) : ROOT;
    const file = join(dir, `Pulumi.${answers.stack}.yaml`);
    if (existsSync(file) && !flags.force) fail(`${file} exists: choose another --stack, or give --force to replace it`);
    // Refuse to write what the program would refuse to plan.
    try {
      parseSiteConfig(scaffoldSections(answers), answers.stack);
    } catch (err) {
      if (err instanceof ConfigError) fail(`nothing written: the program would refuse this stack file (change the flag or answer behind each key)\n${err.message}`);
      throw err;
    }
    mkdirSync(dir, { recursive: true });
    const inClone = resolve(dir) === resolve(ROOT);
    // Editors find the schema for completion: relative inside the clone, absolute elsewhere.
    const schemaFile = join(ROOT, "schema", "stack-config.json");
    const schema = inClone ? relative(dir, schemaFile).replace(/^(?!\.)/, "./") : schemaFile;
    writeFileSync(file, scaffoldText(answers, schema));
    const projectFile = join(dir, "Pulumi.yaml");
    // The plan and pulumi read the project's name from the Pulumi.yaml beside a stack file.
    const copied = !inClone && !existsSync(projectFile);
    if (copied) copyFileSync(join(ROOT, "Pulumi.yaml"), projectFile);
    const planCommand = inClone ? `npm run plan -- --stack ${answers.stack}` : `npm run plan -- --stack-file ${file}`;
    const configFile = inClone ? undefined : file;
    const lines = [
      `wrote ${file}${copied ? ` (and ${projectFile}, the project file the plan reads beside it)` : ""}`,
      "",
      "Next, in this clone:",
      `  1. see what it would create (offline, nothing contacted):  ${planCommand}`,
      `  2. create the stack and store its secrets (never in the file):`,
      `       pulumi stack init ${answers.stack}`,
      ...secretCommands(answers, privateKey, configFile).map((c) => `       ${c}`),
      `  3. deploy:  pulumi up --stack ${answers.stack}${configFile ? ` --config-file ${configFile}` : ""}`,
      "See docs/getting-started.md.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`init failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(3);
    },
  );
}
