/**
 * npm run diagram: writes the README's picture of a site, docs/images/site-prod.svg, from the offline plan of
 * Pulumi.prod.yaml (the same drawing `npm run plan -- --stack prod` writes to out/prod/site.svg).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readStackFile, runProgram } from "../plan/engine";
import { README_DIAGRAM, siteSvg } from "../plan/diagram/site";
import { SECRET_KEYS } from "../src/config/secrets";
import program = require("../index");

async function main(): Promise<void> {
  const root = join(__dirname, "..");
  const stackFile = readStackFile(join(root, `Pulumi.${README_DIAGRAM.stack}.yaml`), SECRET_KEYS);
  const svg = await siteSvg(await runProgram(stackFile, program), stackFile);
  const target = join(root, README_DIAGRAM.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, svg);
  process.stdout.write(`written ${README_DIAGRAM.path}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
