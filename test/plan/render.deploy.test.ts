import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { criticalPath, makespan, stepsOf } from "../../plan/deploy-model";
import { deployLine } from "../../plan/render";
import { planOf } from "./run";
import { ROOT } from "../helpers";

describe("plan summary: modelled pulumi up", () => {
  it("prints the best time, the time at --parallel 8 and the fewest slots within 10% of the best", async () => {
    const run = await planOf("prod");
    const line = deployLine(run);
    const match = /^modelled pulumi up of a new site: (\S+) at best; (\S+) at --parallel 8; --parallel (\d+) gets within 10% of the best$/.exec(line);
    assert.ok(match, line);
    const p = Number(match[3]);
    const steps = stepsOf(run.resources);
    const best = criticalPath(steps);
    assert.ok(makespan(steps, p) <= best * 1.1, `--parallel ${p} is not within 10%`);
    if (p > 1) assert.ok(makespan(steps, p - 1) > best * 1.1, `--parallel ${p - 1} would do`);
  });
});

describe("plan/render.ts and its benchmark", () => {
  it("loads no module of plan/bench: the deploy model is plan/deploy-model.ts, which the bench uses too", () => {
    const loaded = execFileSync(
      process.execPath,
      ["--import", "tsx", "-e", 'require("./plan/render"); console.log(JSON.stringify(Object.keys(require.cache)))'],
      { cwd: ROOT, encoding: "utf8" },
    );
    const modules = JSON.parse(loaded) as string[];
    assert.ok(modules.some((m) => m.endsWith("plan/deploy-model.ts")), "the summary's deploy line comes from plan/deploy-model.ts");
    assert.deepEqual(modules.filter((m) => m.includes("/plan/bench/")), []);
  });
});
