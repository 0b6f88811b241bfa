import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { criticalPath, makespan, stepsOf } from "../../../plan/bench/model";
import { deployLine } from "../../../plan/render";
import { planOf } from "../run";

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
