import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REMOTE_COMMAND_TYPE, nodeCommandName, nodeOfCommand } from "../../src/k3s/names";

describe("a node's bootstrap command", () => {
  it("is found by the name it is given", () => {
    assert.equal(nodeOfCommand({ type: REMOTE_COMMAND_TYPE, name: nodeCommandName("site-k3s", "cp-1") }), "cp-1");
  });

  it("is not another remote command, nor another type with the same name", () => {
    assert.equal(nodeOfCommand({ type: REMOTE_COMMAND_TYPE, name: "site-k3s-drain-cp-1" }), undefined);
    assert.equal(nodeOfCommand({ type: "random:index/randomPassword:RandomPassword", name: "site-k3s-node-cp-1" }), undefined);
  });
});
