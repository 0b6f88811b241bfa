import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";
import { assign, readWeights, shardEntries, shareOf, SHARDS_DIR, testFiles } from "./shards";

describe("the suite's shards", () => {
  it("puts the heaviest file first into the lightest shard, and counts a file without a weight as the median", () => {
    assert.deepEqual(assign(["a", "b", "c", "d"], { a: 10, b: 6, c: 5, d: 1 }, 2), [["a", "d"], ["b", "c"]]);
    // e has no weight and counts as 5.5, the median of 10, 6, 5 and 1: after a (10) and b (6) it goes with b (11.5),
    // then c goes with a (15) and d with b (12.5). As 5 it would come after c and go with b, and c with a.
    assert.deepEqual(assign(["a", "b", "c", "d", "e"], { a: 10, b: 6, c: 5, d: 1 }, 2), [["a", "c"], ["b", "d", "e"]]);
    assert.deepEqual(assign(["x", "y"], {}, 3), [["x"], ["y"], []]);
    assert.throws(() => assign(["x"], {}, 0), /0 is not a number of shards/);
  });

  it("runs every test file exactly once over the entries npm test gives node", () => {
    const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { test: string } }).scripts.test;
    assert.match(script, / test\/shards\/shard-\*\.ts$/, "npm test runs the shard entries");
    const entries = shardEntries();
    assert.deepEqual(entries, entries.map((_, i) => i + 1));
    assert.ok(script.includes(`--test-concurrency=${entries.length} `), `npm test runs all ${entries.length} shards at once`);
    const shares = entries.map((n) => shareOf(join(SHARDS_DIR, `shard-${n}.ts`)));
    const all = shares.flat();
    assert.deepEqual([...all].sort(), testFiles(), "every test file, none twice");
    assert.ok(all.includes("test/support/shards.test.ts"));
  });

  // A shard process allocates much more than one plan does (plans, renders, parsed YAML one after another): with
  // V8's young generation at 64 MB its scavenges cost less, about a tenth of a cold run's CPU (docs/performance.md).
  const inShard = /[\\/]test[\\/]shards[\\/]shard-\d+\.ts$/.test(process.argv[1] ?? "");
  it("gives each shard process the young generation npm test asks node for", { skip: inShard ? false : "run alone, not by npm test's shards" }, () => {
    const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { test: string } }).scripts.test;
    const option = /--max-semi-space-size=\d+/.exec(script)?.[0];
    assert.ok(option, script);
    assert.ok(process.execArgv.includes(option), `${process.execArgv.join(" ")} lacks ${option}`);
  });

  it("weighs only files that exist, so a renamed file is weighed again", () => {
    const files = new Set(testFiles());
    assert.deepEqual(Object.keys(readWeights().seconds).filter((f) => !files.has(f)), []);
  });

  it("holds test files that share a process to the rules: no root-level beforeEach or afterEach", () => {
    const offending = testFiles().filter((f) => /^(beforeEach|afterEach)\(/m.test(readFileSync(join(ROOT, f), "utf8")));
    assert.deepEqual(offending, [], "put these hooks inside a describe(): at the root they run around every file's tests in the shard");
  });
});
