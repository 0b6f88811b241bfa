import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

describe("runProgram", () => {
  it("reports an error thrown inside an apply as a RunError with its message, instead of hanging", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "test/plan/apply-throws.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stdout,
      'RunError: a value computed at deploy time was refused: error serializing property "value": ' +
        "ingress.config.proxy-protocol is refused: remove it\n",
    );
  });
});
