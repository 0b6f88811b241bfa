import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffStates } from "../../plan/diff";
import { previousFromPlanFiles, type PreviousState, type StateResource } from "../../plan/diff-state";
import { failUpdate, STALE_OUTPUT } from "../../plan/failure";
import { planFilesOfState, renderFailure } from "../../plan/failure-files";
import { deleteAntichains } from "../../plan/failure-order";

const opts = { stack: "prod", project: "k3s-sites" };
const TYPES = {
  network: "hcloud:index/network:Network", // 2 s in the deploy model
  firewall: "hcloud:index/firewall:Firewall", // 2 s
  group: "hcloud:index/placementGroup:PlacementGroup", // 2 s
  deployment: "kubernetes:apps/v1:Deployment", // 60 s: a workload the provider awaits
  configMap: "kubernetes:core/v1:ConfigMap", // 1 s
  command: "command:remote:Command", // 3 s
} as const;
function res(name: string, type: keyof typeof TYPES, inputs: Record<string, unknown> = {}, extra: Partial<StateResource> = {}): StateResource {
  return { urn: `${TYPES[type]}::${name}`, type: TYPES[type], name, custom: true, inputs, ...extra };
}
const urn = (r: StateResource) => r.urn;
const names = (urns: readonly string[]) => urns.map((u) => u.split("::")[1]).sort();
const state = (resources: StateResource[], outputs: Record<string, unknown> = {}): PreviousState => ({ source: "plan", resources, outputs });

// A first deployment: net (0-2 s); then side by side dep (2-62 s) and fw (2-4 s); after fw, group; after dep, cm.
const net = res("net", "network");
const dep = res("dep", "deployment", { spec: 1 }, { dependsOn: [urn(net)] });
const fw = res("fw", "firewall", {}, { dependsOn: [urn(net)] });
const group = res("group", "group", {}, { dependsOn: [urn(fw)] });
const cm = res("cm", "configMap", {}, { dependsOn: [urn(dep)] });
const first = [net, dep, fw, group, cm];

describe("a failed pulumi up (plan/failure.ts)", () => {
  it("stops every step not yet started; a step already running finishes (step_executor.go, cancelDueToError)", () => {
    const diff = diffStates(state([]), first, opts);
    const f = failUpdate(undefined, first, {}, {}, diff, "fw");
    assert.deepEqual(names(f.completed), ["dep", "net"]);
    assert.deepEqual(names(f.inFlight), ["dep"]);
    assert.deepEqual(names(f.notStarted), ["cm", "group"]);
    // A failed create leaves nothing: @pulumi/command and hcloud return a plain error, no partial state.
    assert.deepEqual(names(f.state.resources.map(urn)), ["dep", "net"]);
    assert.match(renderFailure(f), /^if the create of fw fails, `pulumi up` stops there:\n  completed: net, dep\n/);
  });

  it("keeps the old inputs of a failed or unreached update, the new ones of an update that completed", () => {
    const before = first.map((r) => ({ ...r, inputs: { ...r.inputs, v: 1 } }));
    const after = first.map((r) => ({ ...r, inputs: { ...r.inputs, v: 2 } }));
    const diff = diffStates(state(before), after, opts);
    const f = failUpdate(state(before), after, {}, {}, diff, "fw");
    const v = (name: string) => f.state.resources.find((r) => r.name === name)!.inputs.v;
    assert.deepEqual([v("net"), v("dep"), v("fw"), v("group"), v("cm")], [2, 2, 1, 1, 1]);
  });

  it("saves the stack outputs over the old ones only when all they come from was done before the failure", () => {
    const diff = diffStates(state([]), first, opts);
    const old = { kept: "old", version: "v1" };
    const next = { version: "v2" };
    const saved = failUpdate(state([], old), first, next, { version: [urn(net)] }, diff, "fw");
    assert.equal(saved.stackOutputs, "saved");
    // An update that fails writes the outputs it has over the old ones and deletes none (pulumi/pulumi#15754).
    assert.deepEqual(saved.state.outputs, { kept: "old", version: "v2" });
    // dep runs past the failure: the SDK sends the outputs only once it is done, and the engine has stopped reading.
    const kept = failUpdate(state([], old), first, next, { version: [urn(net), urn(dep)] }, diff, "fw");
    assert.equal(kept.stackOutputs, "kept");
    assert.deepEqual(kept.state.outputs, old);
  });

  it("deletes nothing when a registration fails; a failed delete lets its antichain finish and stops the next", () => {
    // The previous deployment had a chain a <- b <- c (c depends on b, b on a) and a lone x; all four go.
    const a = res("a", "command", { delete: "x" });
    const b = res("b", "command", { delete: "x" }, { dependsOn: [urn(a)] });
    const c = res("c", "command", { delete: "x" }, { dependsOn: [urn(b)] });
    const x = res("x", "command", { delete: "x" });
    const previous = state([a, b, c, x]);
    const diff = diffStates(previous, [net], opts);
    // Dependents first (step_generator.go, ScheduleDeletes).
    assert.deepEqual(deleteAntichains(previous.resources, diff).map(names), [["c", "x"], ["b"], ["a"]]);
    const f = failUpdate(previous, [net], {}, {}, diff, "c");
    assert.deepEqual(names(f.completed), ["net", "x"]);
    assert.deepEqual(names(f.state.resources.map(urn)), ["a", "b", "c", "net"]);
    const g = failUpdate(previous, [net, fw], {}, {}, diffStates(previous, [net, fw], opts), "fw");
    assert.deepEqual(names(g.state.resources.map(urn)), ["a", "b", "c", "net", "x"]);
  });

  it("marks an input the retry must change although the offline outputs look the same", () => {
    // read is replaced (its new output unknown in the preview), and prov takes it: once read is done and prov fails,
    // prov's stored input is the old output and the new one differs, which offline mocks cannot show.
    const read = res("read", "command", { triggers: ["a"] });
    const prov = res("prov", "configMap", { kubeconfig: "k" }, { dependsOn: [urn(read)], propertyDependencies: { kubeconfig: [urn(read)] } });
    const after = [{ ...read, inputs: { triggers: ["b"] }, replaceOnChanges: ["triggers"] }, prov];
    const diff = diffStates(state([read, prov]), after, opts);
    assert.deepEqual(diff.steps.map((s) => s.action), ["replace", "update"]);
    const f = failUpdate(state([read, prov]), after, {}, {}, diff, "prov");
    const stored = f.state.resources.find((r) => r.name === "prov")!;
    assert.deepEqual(stored.inputs.kubeconfig, { [STALE_OUTPUT]: urn(read) });
    const retry = diffStates(f.state, after, opts);
    assert.deepEqual(retry.steps.map((s) => s.action), ["same", "update"]);
  });

  it("with --continue-on-error, skips only what depends on the failed step, and deletes all but what it depends on", () => {
    // The previous deployment had fw, depending on a, and gone; this run updates fw, and a and gone go.
    const a = res("a", "command", { delete: "x" });
    const gone = res("gone", "command", { delete: "x" });
    const oldFw = { ...fw, inputs: { v: 1 }, dependsOn: [urn(a)] };
    const previous = state([a, gone, oldFw], { old: 1 });
    const next = first.map((r) => (r.name === "fw" ? { ...r, inputs: { v: 2 } } : r));
    const diff = diffStates(previous, next, opts);
    const f = failUpdate(previous, next, { v: 2 }, { v: [urn(dep)] }, diff, "fw", { continueOnError: true });
    assert.deepEqual(names(f.completed), ["cm", "dep", "gone", "net"]);
    // group waits for fw: skipped (deployment_executor.go, doesStepDependOn); a is what the failed fw depended on:
    // not deleted (performPostSteps, erroredDeps).
    assert.deepEqual(names(f.notStarted), ["a", "group"]);
    assert.deepEqual(names(f.state.resources.map(urn)), ["a", "cm", "dep", "fw", "net"]);
    assert.deepEqual(f.state.resources.find((r) => r.name === "fw")!.inputs, { v: 1 });
    assert.deepEqual(f.state.outputs, { old: 1, v: 2 });
    assert.match(renderFailure(f), /`pulumi up --continue-on-error` goes on with the rest:/);
  });

  it("refuses to fail a step that does not run, saying which ones can", () => {
    const diff = diffStates(state(first), first, opts);
    assert.throws(() => failUpdate(state(first), first, {}, {}, diff, "fw"), /^Error: fw is not changed by this run \(same\), so its step cannot fail: give the name of a resource the preview creates, updates, replaces or deletes$/);
    assert.throws(() => failUpdate(state(first), first, {}, {}, diff, "nope"), /^Error: no resource nope in this run or the previous state: give the name/);
  });

  it("writes a state that --previous reads back as the same state", () => {
    const secret = res("s", "command", { connection: { __secretDigest: "sha256:0123456789abcdef" }, delete: "x" }, { dependsOn: [urn(net)] });
    const diff = diffStates(state([]), [...first, secret], opts);
    const f = failUpdate(undefined, [...first, secret], { o: 1 }, {}, diff, "cm");
    const files = planFilesOfState(f.state);
    assert.ok(!files["resources.json"]!.includes("__secretDigest"), "digests go to secretDigests, values to [secret]");
    assert.deepEqual(previousFromPlanFiles(files["resources.json"]!, files["outputs.json"]), f.state);
  });
});
