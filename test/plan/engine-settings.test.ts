import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { lazyModule } from "../../plan/engine-settings";
import { ROOT } from "../helpers";

function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

describe("plan engine settings", () => {
  it("loads a lazy module on first use, not before, and keeps its members and default", () => {
    let loads = 0;
    const mod = lazyModule(() => {
      loads += 1;
      return { answer: 42 };
    }) as { __esModule: boolean; answer: number; default: { answer: number } };
    assert.equal(mod.__esModule, true);
    assert.equal(loads, 0);
    assert.equal(mod.answer, 42);
    assert.equal(mod.default.answer, 42);
    assert.equal(loads, 1);
  });

  it("changes nothing in a process that only imports it (a test process shares its modules with other tests)", () => {
    // This file imported it above: the process keeps its stack traces and loads every module as asked.
    assert.ok(Error.stackTraceLimit > 0, `Error.stackTraceLimit is ${Error.stackTraceLimit}`);
    assert.equal(typeof require("@pulumi/pulumi").automation.LocalWorkspace, "function");
  });

  it("loads the modules the program never uses only when they are used", () => {
    const script = [
      'require("./plan/engine-settings.ts").applyPlanSettings();',
      'const pulumi = require("@pulumi/pulumi");',
      'require("@pulumi/kubernetes");',
      "const loaded = (m) => Object.keys(require.cache).some((k) => k.includes(`/node_modules/${m}/`));",
      "const names = ['typescript', '@npmcli/arborist', 'normalize-package-data', 'glob', '@pulumi/pulumi/automation'];",
      "const before = names.filter(loaded);",
      "const workspace = typeof pulumi.automation.LocalWorkspace;",
      "process.stdout.write(JSON.stringify({ before, workspace, after: names.filter(loaded) }));",
    ].join("\n");
    const r = spawnSync(process.execPath, ["--require", "./plan/register.js", "-e", script], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { before: [], workspace: "function", after: ["@pulumi/pulumi/automation"] });
  });

  it("writes the same plan with and without them", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-settings-"));
    try {
      const plan = (out: string, env: Record<string, string>, loader: string[]) => {
        const r = spawnSync(process.execPath, [...loader, "plan/cli.ts", "--stack", "prod", "--out", out], {
          cwd: ROOT,
          env: { ...process.env, ...env },
          encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.replace(out, "<out>");
      };
      // As `npm run plan` runs it, against the plan before any of these settings (tsx, stacks, every module).
      const fast = plan(join(dir, "fast"), {}, ["--require", "./plan/register.js"]);
      const plain = plan(join(dir, "plain"), { PLAN_STACK_TRACES: "1", PLAN_EAGER_MODULES: "1", PLAN_PROTOBUF_STRUCTS: "1" }, ["--import", "tsx"]);
      assert.equal(fast, plain);
      assert.deepEqual(filesOf(join(dir, "fast")), filesOf(join(dir, "plain")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
