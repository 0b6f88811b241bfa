import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OfflineMocks } from "../../plan/mocks";

describe("offline mocks", () => {
  it("fail loudly on a provider function nobody mocked", () => {
    assert.throws(
      () => new OfflineMocks().call({ token: "hcloud:index/getImage:getImage", inputs: {} }),
      /Mock not implemented: function hcloud:index\/getImage:getImage/,
    );
  });

  it("fail loudly on a resource type nobody mocked", () => {
    assert.throws(
      () => new OfflineMocks().newResource({ type: "aws:s3/bucket:Bucket", name: "b", inputs: {}, custom: true }),
      /Mock not implemented: resource aws:s3\/bucket:Bucket \(b\)/,
    );
  });

  it("give Hetzner objects numeric IDs and Kubernetes objects namespace/name IDs", () => {
    const mocks = new OfflineMocks();
    const net = mocks.newResource({ type: "hcloud:index/network:Network", name: "n", inputs: {}, custom: true });
    assert.match(String(net.id), /^\d+$/);
    const cm = mocks.newResource({
      type: "kubernetes:core/v1:ConfigMap",
      name: "c",
      inputs: { metadata: { name: "cfg", namespace: "edge" } },
      custom: true,
    });
    assert.equal(cm.id, "edge/cfg");
  });

  it("give a remote component no state back: the engine returns its provider's outputs, not its inputs", () => {
    const group = new OfflineMocks().newResource({
      type: "kubernetes:yaml/v2:ConfigGroup",
      name: "g",
      inputs: { objs: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } }] },
      custom: false,
    });
    assert.deepEqual(group, { id: undefined, state: {} });
  });
});
