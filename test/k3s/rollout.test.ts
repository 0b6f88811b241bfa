import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUpgrade } from "../../src/k3s/rollout";

describe("isUpgrade", () => {
  it("is false on a first install, whatever the version", () => {
    assert.equal(isUpgrade({ deployed: false }, "v1.33.5+k3s1"), false);
  });

  it("is true when the deployed version differs, and false when it is the same", () => {
    assert.equal(isUpgrade({ deployed: true, k3sVersion: "v1.33.5+k3s1" }, "v1.34.1+k3s1"), true);
    assert.equal(isUpgrade({ deployed: true, k3sVersion: "v1.33.5+k3s1" }, "v1.33.5+k3s1"), false);
  });

  it("counts a deployment that recorded no version as an upgrade: the safe order", () => {
    assert.equal(isUpgrade({ deployed: true }, "v1.33.5+k3s1"), true);
  });
});
