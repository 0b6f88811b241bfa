/** plan/register.js, the TypeScript loader of `npm run plan` and the bench. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { planNodeArgs } from "../../scripts/bench";
import { ROOT } from "../helpers";

const REGISTER = join(ROOT, "plan", "register.js");

function run(cache: string, args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ["--require", REGISTER, ...args], {
    cwd,
    env: { ...process.env, XDG_CACHE_HOME: cache, PLAN_STACK_TRACES: "" },
    encoding: "utf8",
  });
}

describe("the plan's TypeScript loader", () => {
  it("is what npm run plan and the bench run the plan with", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.plan, "node --require ./plan/register.js plan/cli.ts");
    assert.deepEqual(planNodeArgs(pkg.scripts.plan), [
      "--require",
      "./plan/register.js",
      "--require",
      "./plan/bench/report-usage.ts",
      "plan/cli.ts",
    ]);
    assert.throws(() => planNodeArgs("tsx plan/cli.ts"), /scripts\.plan is "tsx plan\/cli\.ts": the bench expects "node <options> plan\/cli\.ts"/);
  });

  it("loads the program without tsx: no tsx module, no ES-module lexer on node_modules", () => {
    const cache = mkdtempSync(join(tmpdir(), "plan-register-"));
    try {
      const script = [
        'require("./index.ts");',
        "const keys = Object.keys(require.cache);",
        "process.stdout.write(JSON.stringify({ tsx: keys.filter((k) => /[\\\\/]node_modules[\\\\/]tsx[\\\\/]/.test(k)).length, ours: keys.some((k) => k.endsWith('program/main.ts')) }));",
      ].join("\n");
      const r = run(cache, ["-e", script]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { tsx: 0, ours: true });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("reuses a compiled file while its source is the same, and keeps one entry per source file", () => {
    const cache = mkdtempSync(join(tmpdir(), "plan-register-"));
    const src = mkdtempSync(join(tmpdir(), "plan-register-src-"));
    try {
      const file = join(src, "answer.ts");
      const answer = () => {
        const r = run(cache, ["-e", `process.stdout.write(String(require(${JSON.stringify(file)}).answer))`], src);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      const entries = () => readdirSync(join(cache, "k3s-sites", "plan-ts"));
      writeFileSync(file, "export const answer: number = 41;\n");
      assert.equal(answer(), "41");
      const [entry] = entries();
      assert.ok(entry);
      // A stale entry is never used: the entry names the source's digest on its first line.
      const path = join(cache, "k3s-sites", "plan-ts", entry);
      writeFileSync(path, readFileSync(path, "utf8").replace("41", "40"));
      assert.equal(answer(), "40", "the cached entry is used while the source is the same");
      writeFileSync(file, "export const answer: number = 42;\n");
      assert.equal(answer(), "42");
      assert.deepEqual(entries(), [entry]);
    } finally {
      rmSync(cache, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  });
});
