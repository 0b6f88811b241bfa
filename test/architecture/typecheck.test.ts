/**
 * The repository type-checks: `tsc --noEmit` over tsconfig.json (strict; the program, the plan, the scripts and the
 * tests). It runs as one of the tests, in its own child process beside the others, instead of before them: a type
 * error fails `npm test` all the same, and the two cores are not left half idle while it runs. tsc keeps what it
 * learned in the cache folder the plans and renders use (`$XDG_CACHE_HOME` or `~/.cache`, then k3s-sites/tsc), one
 * file per checkout, so a second run checks only what changed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cacheRoot } from "../../plan/charts/helm";
import { ROOT } from "../helpers";

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

function tsc(...args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd: ROOT });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

describe("the repository's types", () => {
  it("check with tsc --noEmit, as npm run typecheck does", async () => {
    const checkout = createHash("sha256").update(ROOT).digest("hex").slice(0, 16);
    const result = await tsc("--noEmit", "--incremental", "--tsBuildInfoFile", join(cacheRoot(), "tsc", `${checkout}.tsbuildinfo`));
    assert.equal(result.status, 0, `tsc found type errors (npm run typecheck prints them):\n${result.output}`);
  });
});
