import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REMOVAL_SCRIPT, checkRemovalScript } from "../../src/cluster/removal-script";
import { exampleSections, parse1 } from "../helpers";

const home = parse1(exampleSections("home"));

describe("the removal script the membership commands hold", () => {
  it("refuses a removal unless the previous deployment recorded this version's script", () => {
    const missing = checkRemovalScript(home, ["pi-2"], undefined, true);
    assert.equal(missing.length, 1);
    assert.equal(missing[0]!.path, "site.hosts");
    assert.match(missing[0]!.message, /^would remove pi-2, but the previous deployment does not record .*no stack output removalScript.*\(keep pi-2 in site\.hosts.*; then remove them$/);
    const other = checkRemovalScript(home, ["pi-2"], "leave.sh sha256:00", true);
    assert.match(other[0]!.message, /records another removal script \(removalScript: leave\.sh sha256:00; this version's: leave\.sh sha256:[0-9a-f]{64}\)/);
  });

  it("lets through a removal with this version's script, a run that removes nothing, and a first deployment", () => {
    assert.deepEqual(checkRemovalScript(home, ["pi-2"], REMOVAL_SCRIPT, true), []);
    assert.deepEqual(checkRemovalScript(home, [], undefined, true), []);
    assert.deepEqual(checkRemovalScript(home, [], undefined, false), []);
  });
});
