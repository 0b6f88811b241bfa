/**
 * npm run test:weights [-- --jobs <n>]
 *
 * Times each test file alone (`node --import tsx --test <file>`, two at a time by default, as on a 2-core machine)
 * and writes the seconds to test/shards/weights.json, which `npm test` uses to share the files out between its
 * processes (test/support/shards.ts). Run it after adding a heavy test file; a file without a weight counts as the
 * median. The figures are wall seconds with the caches as they are: clear `~/.cache/k3s-sites` first to weigh a
 * fresh machine, as CI is.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { testFiles, WEIGHTS_FILE, type Weights } from "../test/support/shards";

const ROOT = join(__dirname, "..");

function timed(file: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=dot", file], { cwd: ROOT, stdio: "ignore" });
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) process.stderr.write(`${file}: exited ${code} (its time is kept)\n`);
      resolve(Math.round(seconds * 10) / 10);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: "string", default: "2" } } });
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs ${values.jobs}: give a whole number of files to time at once`);
  const files = testFiles();
  const seconds: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      seconds[file] = await timed(file);
      process.stdout.write(`${seconds[file]!.toFixed(1).padStart(6)} s ${file}\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const weights: Weights = {
    measured: `each file alone, ${jobs} at a time: npm run test:weights, ${new Date().toISOString().slice(0, 10)}`,
    seconds: Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  writeFileSync(WEIGHTS_FILE, `${JSON.stringify(weights, null, 1)}\n`);
  process.stdout.write(`wrote ${WEIGHTS_FILE}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
