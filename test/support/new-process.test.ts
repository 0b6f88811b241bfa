import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asNewProcess } from "./new-process";

describe("asNewProcess", () => {
  it("gives a fresh instance of the module under the environment given, and puts the environment back", () => {
    const path = require.resolve("../../plan/charts/helm");
    const loaded = require(path) as unknown;
    process.env.K3S_SITES_NEW_PROCESS_KEEP = "kept";
    try {
      const seen = asNewProcess(path, { K3S_SITES_NEW_PROCESS_SET: "set", K3S_SITES_NEW_PROCESS_KEEP: undefined }, (fresh: unknown) => {
        assert.notEqual(fresh, loaded);
        return [process.env.K3S_SITES_NEW_PROCESS_SET, process.env.K3S_SITES_NEW_PROCESS_KEEP];
      });
      assert.deepEqual(seen, ["set", undefined]);
      assert.equal(process.env.K3S_SITES_NEW_PROCESS_SET, undefined);
      assert.equal(process.env.K3S_SITES_NEW_PROCESS_KEEP, "kept");
      assert.throws(() => asNewProcess(path, { K3S_SITES_NEW_PROCESS_SET: "set" }, () => { throw new Error("inside"); }), /inside/);
      assert.equal(process.env.K3S_SITES_NEW_PROCESS_SET, undefined, "put back after a throw too");
    } finally {
      delete process.env.K3S_SITES_NEW_PROCESS_KEEP;
    }
  });
});
