import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  LATENCY_SECONDS,
  criticalPath,
  formatDuration,
  latencyOf,
  makespan,
  parallelWithin,
  stepsOf,
  type GraphResource,
  type Step,
} from "../../plan/deploy-model";
import { CHART_TYPE, TYPE } from "../../src/type-tokens";

const step = (seconds: number, ...after: number[]): Step => ({ urn: `s${seconds}-${after.join(",")}`, seconds, after });

/** A root, then `n` independent steps of 10 s that wait for it. */
const fan = (n: number): Step[] => [step(1), ...Array.from({ length: n }, () => step(10, 0))];

const res = (urn: string, extra: Partial<GraphResource> = {}): GraphResource => ({
  urn,
  type: "hcloud:index/network:Network",
  name: urn,
  custom: true,
  dependsOn: [],
  inputs: {},
  ...extra,
});

describe("deploy model", () => {
  it("takes the longest chain of waits as the ideal", () => {
    assert.equal(criticalPath([step(5), step(7, 0), step(1, 0), step(2, 1, 2)]), 14);
  });

  it("runs one step at a time with one slot", () => {
    assert.equal(makespan(fan(4), 1), 41);
  });

  it("queues steps beyond the slots: 8 steps of 10 s on 4 slots take two rounds", () => {
    assert.equal(makespan(fan(8), 4), 21);
    assert.equal(makespan(fan(8), Infinity), criticalPath(fan(8)));
  });

  it("starts ready steps first come, first served, as the engine queues registrations", () => {
    // Step 3 was ready at 0 and step 1 only at 1: step 3 takes the free slot although step 1 registered first.
    assert.equal(makespan([step(1), step(5, 0), step(5), step(5), step(10, 1)], 2), 20);
  });

  it("refuses a cycle instead of looping", () => {
    assert.throws(() => criticalPath([step(1, 1), step(1, 0)]), /dependency cycle/);
    assert.throws(() => makespan([step(1, 1), step(1, 0)], 2), /dependency cycle/);
  });

  it("finds the fewest slots within 10% of the ideal", () => {
    // 20 parallel steps: 20 slots give 11 s; 10 slots give 21 s (1.9x); 19 give 21 s too.
    assert.equal(parallelWithin(fan(20)), 20);
    assert.equal(parallelWithin([step(5), step(5, 0)]), 1);
  });

  it("waits on every step beneath a component, on its provider and not on a component parent", () => {
    const steps = stepsOf(
      [
        res("comp", { custom: false, type: "k3s-sites:x:Comp" }),
        res("a", { parent: "comp" }),
        res("p", { type: "pulumi:providers:hcloud" }),
        res("b", { dependsOn: ["comp"], provider: "p", parent: "comp" }),
      ],
      () => 1,
    );
    assert.deepEqual(
      steps.map((s) => [s.urn, s.after]),
      [
        ["a", []],
        ["p", []],
        ["b", [0, 1]],
      ],
    );
  });

  it("counts a Helm chart as one step the provider expands, and our own components as none", () => {
    const steps = stepsOf([
      res("site", { custom: false, type: TYPE.site }),
      res("chart", { custom: false, type: CHART_TYPE, parent: "site" }),
    ]);
    assert.deepEqual(steps.map((s) => [s.urn, s.seconds]), [["chart", LATENCY_SECONDS.kubernetesChart]]);
  });

  it("times the first node's bootstrap, a joining server's and an agent's apart", () => {
    const cmd = "command:remote:Command";
    const first = res("n1", { type: cmd, name: "site-k3s-node-c1", inputs: { create: "ROLE=server\n" } });
    const join = res("n2", { type: cmd, name: "site-k3s-node-c2", dependsOn: ["n1"], inputs: { create: "ROLE=server\n" } });
    const agent = res("n3", { type: cmd, name: "site-k3s-node-w1", dependsOn: ["n1"], inputs: { create: "ROLE=agent\n" } });
    const kubeconfig = res("k", { type: cmd, name: "site-k3s-kubeconfig", dependsOn: ["n1"], inputs: { create: "cat" } });
    const byUrn = new Map([first, join, agent, kubeconfig].map((r) => [r.urn, r]));
    assert.deepEqual(
      [first, join, agent, kubeconfig].map((r) => latencyOf(r, byUrn)),
      [
        LATENCY_SECONDS.firstServerBootstrap,
        LATENCY_SECONDS.joiningServerBootstrap,
        LATENCY_SECONDS.agentBootstrap,
        LATENCY_SECONDS.otherCommand,
      ],
    );
  });

  it("times a server by its API calls: a protected one takes longer than an agent", () => {
    const server = (protect: boolean) =>
      res(`s${protect}`, {
        type: "hcloud:index/server:Server",
        inputs: { deleteProtection: protect, networks: [{}], sshKeys: ["1"], placementGroupId: 1 },
      });
    const byUrn = new Map();
    assert.ok(latencyOf(server(true), byUrn) > latencyOf(server(false), byUrn));
    assert.ok(latencyOf(server(false), byUrn) > 20);
  });

  it("keeps in the ideal graph only a node's wait for the first server, not for another joining server", () => {
    const cmd = "command:remote:Command";
    const resources = [
      res("n1", { type: cmd, name: "site-k3s-node-c1" }),
      res("n2", { type: cmd, name: "site-k3s-node-c2", dependsOn: ["n1"] }),
      res("n3", { type: cmd, name: "site-k3s-node-c3", dependsOn: ["n1", "n2"] }),
    ];
    assert.deepEqual(stepsOf(resources, () => 1).map((s) => s.after), [[], [0], [0, 1]]);
    assert.deepEqual(stepsOf(resources, () => 1, { ideal: true }).map((s) => s.after), [[], [0], [0]]);
  });

  it("formats durations as minutes and seconds", () => {
    assert.deepEqual([formatDuration(42), formatDuration(754)], ["42s", "12m34s"]);
  });
});

describe("a command that only has a delete", () => {
  it("costs no time when it is created: the provider runs nothing", () => {
    const membership = {
      urn: "command:remote:Command::site-k3s-membership-worker-1",
      type: "command:remote:Command",
      name: "site-k3s-membership-worker-1",
      custom: true,
      dependsOn: [],
      inputs: { delete: "drain and delete the node" },
    };
    assert.equal(latencyOf(membership, new Map()), 0);
    assert.ok(latencyOf({ ...membership, name: "site-k3s-kubeconfig", inputs: { create: "cat" } }, new Map()) > 0);
  });
});
