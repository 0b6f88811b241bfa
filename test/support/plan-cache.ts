/**
 * Whole-program plans kept between test processes: many test files plan the same stacks (the examples, the
 * scenarios' before and after), and one plan of prod costs seconds of CPU. A run is stored on disk by the digest of
 * everything it depends on: the program's sources (index.ts, src/, components/, plan/, upstream/, schema/, policy/,
 * Pulumi.yaml and package-lock.json, every file's path and content), node's version, the UTC day (the program reads
 * the clock for certificate renewal), the environment the program reads (K3S_SITES_CACHE_DIR, XDG_CACHE_HOME), the
 * stack file as the engine receives it, the previous outputs and the offline Hetzner project the mocks answer from
 * (plan/mocks.ts; tests fill it). A changed source file plans afresh.
 *
 * Only runs that succeed are kept, and only when node's structured clone gives them back exactly (no functions or
 * class instances in them). Entries sit under the cache folder the chart renders use, in one folder per digest of
 * the sources; folders of other sources unused for a day are removed. K3S_SITES_PLAN_CACHE=off turns it off.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { deserialize, serialize } from "node:v8";
import { gunzipSync, gzipSync } from "node:zlib";
import { cacheRoot } from "../../plan/charts/helm";
import type { Runner } from "../../plan/command";
import { runProgram, type ProgramRun, type StackFile } from "../../plan/engine";
import { OFFLINE_HCLOUD_PROJECT } from "../../plan/mocks";
import program = require("../../index");

const ROOT = join(__dirname, "..", "..");
/** What the program is made of: a change to any file here is a new program, whose runs are planned again. */
export const PLAN_SOURCES = ["index.ts", "Pulumi.yaml", "package-lock.json", "src", "components", "program", "plan", "upstream", "schema", "policy"];
const STALE_MS = 24 * 3600_000;

export const planCacheEnabled = (): boolean => process.env.K3S_SITES_PLAN_CACHE !== "off";

export function planCacheDir(): string {
  return join(cacheRoot(), "plans");
}

/** SHA-256 over these files and folders under `root`: every file's path and content, folders walked in order. */
export function digestOf(root: string, entries: readonly string[]): string {
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    const path = join(root, rel);
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(rel, name));
    } else {
      hash.update(`${rel}\0`).update(readFileSync(path)).update("\0");
    }
  };
  for (const entry of entries) walk(entry);
  return hash.digest("hex");
}

let sources: string | undefined;

/** The digest of the program's sources, once per process. */
export function sourcesDigest(): string {
  if (sources === undefined) {
    sources = digestOf(ROOT, PLAN_SOURCES);
    prune(sources);
  }
  return sources;
}

/** Removes the folders of other sources that no test has used for a day (another checkout may still use its own). */
function prune(current: string): void {
  try {
    for (const name of readdirSync(planCacheDir())) {
      const dir = join(planCacheDir(), name);
      if (name !== current && Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
    }
  } catch {
    // no cache yet
  }
}

/** The file a run of this stack file, with these previous outputs, is kept in. */
export function planCacheFile(stackFile: StackFile, previousOutputs?: Readonly<Record<string, unknown>>): string {
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        process.version,
        new Date().toISOString().slice(0, 10),
        process.env.K3S_SITES_CACHE_DIR ?? null,
        process.env.XDG_CACHE_HOME ?? null,
        stackFile.project,
        stackFile.stack,
        Object.entries(stackFile.config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        [...stackFile.secretKeys].sort(),
        previousOutputs ?? null,
        OFFLINE_HCLOUD_PROJECT,
      ]),
    )
    .digest("hex");
  return join(planCacheDir(), sourcesDigest(), `${key}.v8.gz`);
}

function read(file: string): ProgramRun | undefined {
  try {
    const run = deserialize(gunzipSync(readFileSync(file))) as ProgramRun;
    const now = new Date();
    utimesSync(join(file, ".."), now, now);
    return run;
  } catch {
    return undefined;
  }
}

function store(file: string, run: ProgramRun): ProgramRun {
  let data: Buffer;
  let copy: ProgramRun;
  try {
    data = serialize(run);
    copy = deserialize(data) as ProgramRun;
  } catch {
    return run; // something structured clone cannot copy: not kept
  }
  if (!isDeepStrictEqual(copy, run)) return run;
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    // Written aside and renamed: a test process storing the same run at the same time never leaves half a file.
    const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
    writeFileSync(partial, gzipSync(data, { level: 1 }));
    renameSync(partial, file);
  } catch {
    // read-only or vanished: plan again next time
  }
  // Every caller gets a copy of its own, cached or fresh, so a test that edits its run spoils no other.
  return copy;
}

/** The program's run on this stack file, from the cache when an earlier test process planned the same. */
export async function cachedRun(stackFile: StackFile, previousOutputs?: Readonly<Record<string, unknown>>): Promise<ProgramRun> {
  const options = previousOutputs ? { previousOutputs } : {};
  if (!planCacheEnabled()) return runProgram(stackFile, program, options);
  const file = planCacheFile(stackFile, previousOutputs);
  const hit = read(file);
  if (hit) return hit;
  return store(file, await runProgram(stackFile, program, options));
}

/**
 * `runProgram` for the plan command run in a test's own process (plan/command.ts): the run from the cache, its
 * resources and log lines handed to the command's callbacks as a fresh run hands them. Another program runs as given.
 */
export const cachedRunner: Runner = async (stackFile, given, options = {}) => {
  if (given !== program) return runProgram(stackFile, given, options);
  const run = await cachedRun(stackFile, options.previousOutputs);
  for (const resource of run.resources) options.onResource?.(resource);
  for (const message of run.messages) options.onLog?.(message);
  return run;
};
