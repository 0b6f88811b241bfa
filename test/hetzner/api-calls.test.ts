import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  PROVIDER_DEFAULT_POLL,
  SERVER_TYPE,
  pollSettingsOf,
  pollWait,
  pollsFor,
  serverCreateCalls,
  total,
  type ServerShape,
} from "../../src/hetzner/api-calls";
import { serverShapeOf } from "../../plan/deploy-model";
import { HCLOUD_POLL } from "../../src/hetzner/model";
import { byName, planOf } from "../plan/run";

const control: ServerShape = { protect: true, placementGroup: true, network: true, sshKeys: 1 };
const agent: ServerShape = { ...control, protect: false };

describe("Hetzner API calls of @pulumi/hcloud 1.41.0 (terraform-provider-hcloud v1.68.0, hcloud-go v2.47.0)", () => {
  it("waits 0.5 s doubling to a 60 s cap between polls by default (provider.go poll_interval, poll_function)", () => {
    assert.deepEqual(
      Array.from({ length: 9 }, (_, n) => pollWait(n, PROVIDER_DEFAULT_POLL)),
      [0.5, 1, 2, 4, 8, 16, 32, 60, 60],
    );
  });

  it("waits the same interval every time with pollFunction constant", () => {
    assert.deepEqual([0, 1, 5].map((n) => pollWait(n, { intervalSeconds: 3, fn: "constant" })), [3, 3, 3]);
  });

  it("polls a 12 s action five times by default, seeing it done at 15.5 s", () => {
    assert.deepEqual(pollsFor(12, PROVIDER_DEFAULT_POLL), { polls: 5, seenAfter: 15.5 });
  });

  it("does not poll an action that is already done in the response", () => {
    assert.deepEqual(pollsFor(0, PROVIDER_DEFAULT_POLL), { polls: 0, seenAfter: 0 });
  });

  it("looks up the server type, the image, each SSH key and the placement group before the create", () => {
    const before = serverCreateCalls(agent).map((c) => c.what);
    assert.deepEqual(before.slice(0, before.indexOf("POST /servers") + 1), [
      "GET /server_types?name=",
      "GET /images?name=&architecture=",
      "GET /ssh_keys/{id}",
      "GET /placement_groups/{id}",
      "POST /servers",
    ]);
  });

  it("attaches the network in a separate call after the create, and reads the server last", () => {
    const calls = serverCreateCalls(agent).map((c) => c.what);
    assert.ok(calls.indexOf("POST /servers/{id}/actions/attach_to_network") > calls.indexOf("POST /servers"));
    assert.equal(calls.at(-1), "GET /servers/{id}");
  });

  it("spends 21 requests on a protected control-plane server and 19 on an agent with the default polling", () => {
    assert.equal(total(serverCreateCalls(control)).requests, 21);
    assert.equal(total(serverCreateCalls(agent)).requests, 19);
  });

  it("cannot go below 12 and 10 requests: one poll per action at best", () => {
    const oncePerAction = { intervalSeconds: 60, fn: "constant" } as const;
    assert.equal(total(serverCreateCalls(control, oncePerAction)).requests, 12);
    assert.equal(total(serverCreateCalls(agent, oncePerAction)).requests, 10);
  });

  it("spends 15 and 13 requests with pollInterval 2s, exponential, and is no slower", () => {
    const twoSeconds = { intervalSeconds: 2, fn: "exponential" } as const;
    assert.equal(total(serverCreateCalls(control, twoSeconds)).requests, 15);
    assert.equal(total(serverCreateCalls(agent, twoSeconds)).requests, 13);
    assert.ok(total(serverCreateCalls(control, twoSeconds)).seconds <= total(serverCreateCalls(control)).seconds);
  });
});

describe("the poll settings the program gives the hcloud Provider", () => {
  it("reads a Go duration and the poll function from the provider's inputs, the defaults where unset", () => {
    assert.deepEqual(pollSettingsOf({ pollInterval: "2s", pollFunction: "exponential" }), { intervalSeconds: 2, fn: "exponential" });
    assert.deepEqual(pollSettingsOf({ pollInterval: "750ms", pollFunction: "constant" }), { intervalSeconds: 0.75, fn: "constant" });
    assert.deepEqual(pollSettingsOf({}), PROVIDER_DEFAULT_POLL);
  });

  it("keeps a prod server at 15 requests or fewer: the provider polls 2 s doubling", async () => {
    const run = await planOf("prod");
    const provider = byName(run, "site-hetzner-provider");
    assert.deepEqual([provider.inputs.pollInterval, provider.inputs.pollFunction], [HCLOUD_POLL.pollInterval, HCLOUD_POLL.pollFunction]);
    const poll = pollSettingsOf(provider.inputs);
    for (const server of run.resources.filter((r) => r.type === SERVER_TYPE)) {
      assert.ok(total(serverCreateCalls(serverShapeOf(server), poll)).requests <= 15, server.name);
    }
  });
});
