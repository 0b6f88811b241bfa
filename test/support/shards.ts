/**
 * The suite in a few long-lived processes instead of one per test file. Each file run alone pays for starting Node
 * and tsx and, when it plans, for loading the Pulumi SDK (about 2 s of CPU: the SDK loads TypeScript and npm's
 * arborist for closure serialization), and plans, renders and lints another file already made are made again or read
 * back from the disk cache. `npm test` hands node's runner the entry files in test/shards/ (shard-1.ts, ...): each
 * loads its share of the test files into one process, where the SDK loads once and in-process memos are shared.
 *
 * The share is fixed by the files' names and their weights (test/shards/weights.json, seconds measured with
 * `npm run test:weights`), greedily, heaviest first, into the lightest shard: every file is in exactly one shard,
 * whatever the weights say, and a file without a weight counts as the median. Stale weights only unbalance.
 *
 * Files in one process share it, so a test file must not start work when it loads (plan in a test or a hook, not at
 * the top level: the engine serializes runs, but a file's top-level work would run before the tests it belongs to),
 * must put back what it changes in process.env, and must not use root-level beforeEach/afterEach (they would run
 * around every file's tests in the process). To run one file alone: `node --import tsx --test <file>`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { median } from "../../plan/bench/median";

const ROOT = join(__dirname, "..", "..");
const SHARD_ENTRY = /^shard-(\d+)\.ts$/;
export const SHARDS_DIR = join(ROOT, "test", "shards");
export const WEIGHTS_FILE = join(SHARDS_DIR, "weights.json");

/** Every test file under test/, relative to the repository, sorted. */
export function testFiles(dir = join(ROOT, "test")): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith(".test.ts") ? [relative(ROOT, path)] : [];
    })
    .sort();
}

export interface Weights {
  /** How the figures were made. */
  readonly measured: string;
  /** Seconds each file takes alone, by path relative to the repository. */
  readonly seconds: Readonly<Record<string, number>>;
}

export function readWeights(file = WEIGHTS_FILE): Weights {
  return JSON.parse(readFileSync(file, "utf8")) as Weights;
}

/**
 * `files` in `count` shards: heaviest first (ties by name), each into the shard with the least weight so far (ties:
 * the lower index). Each shard's files are in name order, as the runner would take them one file at a time.
 */
export function assign(files: readonly string[], seconds: Readonly<Record<string, number>>, count: number): string[][] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shards: ${count} is not a number of shards (1 or more)`);
  const known = files.flatMap((f) => (seconds[f] === undefined ? [] : [seconds[f]!]));
  const fallback = known.length > 0 ? median(known) : 1;
  const weightOf = (f: string) => seconds[f] ?? fallback;
  const order = [...files].sort((a, b) => weightOf(b) - weightOf(a) || (a < b ? -1 : a > b ? 1 : 0));
  const shards = Array.from({ length: count }, () => ({ files: [] as string[], weight: 0 }));
  for (const file of order) {
    const lightest = shards.reduce((best, s) => (s.weight < best.weight ? s : best), shards[0]!);
    lightest.files.push(file);
    lightest.weight += weightOf(file);
  }
  return shards.map((s) => s.files.sort());
}

/** The entry files in test/shards, by index: shard-1.ts is 1. */
export function shardEntries(dir = SHARDS_DIR): number[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const m = SHARD_ENTRY.exec(name);
      return m ? [Number(m[1])] : [];
    })
    .sort((a, b) => a - b);
}

/** The test files the entry `entry` (a shard-N.ts path) runs. */
export function shareOf(entry: string): string[] {
  const m = SHARD_ENTRY.exec(basename(entry));
  if (!m) throw new Error(`shards: ${entry} is not a shard entry (test/shards/shard-<n>.ts)`);
  const indexes = shardEntries(dirname(entry));
  const index = Number(m[1]);
  if (indexes.join() !== indexes.map((_, i) => i + 1).join()) {
    throw new Error(`shards: the entries in test/shards are ${indexes.join(", ")}; number them 1 to ${indexes.length}`);
  }
  return assign(testFiles(), readWeights().seconds, indexes.length)[index - 1]!;
}

/**
 * Loads the share of the entry `entry` into this process. Every file is loaded before any test runs (require is
 * synchronous; node's runner starts the first test on a later turn), so each file's root-level before() and after()
 * hooks are in place when the run starts: before() hooks all run first, after() hooks at the end of the process.
 */
export function runShard(entry: string): void {
  for (const file of shareOf(entry)) require(join(ROOT, file));
}
