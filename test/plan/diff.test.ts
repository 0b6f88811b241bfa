import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  changedPaths,
  diffStates,
  protectedDeleteError,
  protectedReplaceError,
  type Step,
} from "../../plan/diff";
import { renderDiff, summarizeDiff } from "../../plan/diff-render";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../plan/engine";
import { planOf } from "./run";
import { expandConfigGroups, readStackExport, secretDigest, stateOfRun, type PreviousState, type StateResource } from "../../plan/diff-state";
import { CHART_TYPE } from "../../src/type-tokens";

const OPTS = { stack: "prod", project: "k3s-sites" };
const SERVER = "hcloud:index/server:Server";

function res(name: string, type: string, inputs: Record<string, unknown>, extra: Partial<StateResource> = {}): StateResource {
  return { urn: `${type}::${name}`, type, name, custom: true, inputs, ...extra };
}
const plan = (resources: StateResource[]): PreviousState => ({ source: "plan", resources, outputs: {} });
const stepOf = (steps: readonly Step[], name: string) => steps.find((s) => s.name === name)!;
const server = (inputs: Record<string, unknown>, extra: Partial<StateResource> = {}) =>
  res("srv", SERVER, { name: "prod-control-1", serverType: "cx23", image: "ubuntu-24.04", location: "fsn1", ...inputs }, extra);

describe("changedPaths", () => {
  it("lists leaf paths with list indices", () => {
    assert.deepEqual(changedPaths({ a: [{ b: 1 }, { b: 2 }] }, { a: [{ b: 1 }, { b: 3 }], c: true }), [
      { path: "a[1].b", old: 2, new: 3 },
      { path: "c", old: undefined, new: true },
    ]);
  });

  it("compares secrets by digest, and never when one side's digest is unknown", () => {
    const s = (v: string | null) => ({ __secretDigest: v });
    assert.deepEqual(changedPaths({ k: s("sha256:1") }, { k: s("sha256:1") }), []);
    assert.deepEqual(changedPaths({ k: s("sha256:1") }, { k: s("sha256:2") }), [{ path: "k", old: "[secret]", new: "[secret]" }]);
    assert.deepEqual(changedPaths({ k: s(null) }, { k: s("sha256:2") }), []);
  });

  it("digests secrets stably and without the value", () => {
    assert.equal(secretDigest("hunter2"), secretDigest("hunter2"));
    assert.notEqual(secretDigest("hunter2"), secretDigest("hunter3"));
    assert.ok(!secretDigest("hunter2").includes("hunter2"));
  });
});

describe("diffStates: resource options", () => {
  it("leaves an unchanged resource alone, creates a new one and deletes a gone one", () => {
    const a = res("a", SERVER, { x: 1 });
    const { steps } = diffStates(plan([a, res("gone", SERVER, {})]), [a, res("new", SERVER, {})], OPTS);
    assert.deepEqual(steps.map((s) => `${s.action} ${s.name}`), ["same a", "create new", "delete gone"]);
  });

  it("ignoreChanges keeps the old value: a new image never replaces a server that ignores it", () => {
    const { steps } = diffStates(plan([server({})]), [server({ image: "ubuntu-26.04" }, { ignoreChanges: ["image"] })], OPTS);
    assert.equal(steps[0]!.action, "same");
    const without = diffStates(plan([server({})]), [server({ image: "ubuntu-26.04" })], OPTS);
    assert.deepEqual([without.steps[0]!.action, without.steps[0]!.replaceCauses], ["replace", ["image"]]);
  });

  it("replaceOnChanges makes any change under its paths a replacement", () => {
    const old = res("c", "command:remote:Command", { create: "a" });
    const { steps } = diffStates(plan([old]), [res("c", "command:remote:Command", { create: "b" }, { replaceOnChanges: ["create"] })], OPTS);
    assert.deepEqual([steps[0]!.action, steps[0]!.replaceCauses], ["replace", ["create"]]);
  });

  it("deleteBeforeReplace marks the replacement delete-first", () => {
    const type = "hcloud:index/loadBalancerService:LoadBalancerService";
    const { steps } = diffStates(plan([res("s", type, { listenPort: 25 })]), [res("s", type, { listenPort: 2525 }, { deleteBeforeReplace: true })], OPTS);
    assert.deepEqual([steps[0]!.action, steps[0]!.deleteBeforeReplace], ["replace", true]);
  });

  it("refuses to replace a protected resource with Pulumi's error, unless the run unprotects it", () => {
    const old = server({}, { protect: true });
    const diff = diffStates(plan([old]), [server({ location: "nbg1" }, { protect: true })], OPTS);
    const urn = `urn:pulumi:prod::k3s-sites::${SERVER}::srv`;
    assert.deepEqual(diff.errors, [protectedReplaceError(urn)]);
    assert.equal(
      diff.errors[0],
      `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, ` +
        "remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`",
    );
    assert.deepEqual(diffStates(plan([old]), [server({ location: "nbg1" })], OPTS).errors, []);
  });

  it("refuses to delete a protected resource with Pulumi's error", () => {
    const diff = diffStates(plan([server({}, { protect: true })]), [], OPTS);
    const urn = `urn:pulumi:prod::k3s-sites::${SERVER}::srv`;
    assert.deepEqual(diff.errors, [protectedDeleteError(urn)]);
    assert.equal(
      diff.errors[0],
      `resource "${urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the ` +
        "`protect` flag from the resource in your Pulumi program and run `pulumi up`, or use the command:\n" +
        `\`pulumi state unprotect '${urn}'\``,
    );
  });

  it("says a retained resource is left in place, and whether a removed command runs a delete", () => {
    const ns = res("ns", "kubernetes:core/v1:Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "web" } }, { retainOnDelete: true });
    const cmd = res("cmd", "command:remote:Command", { create: "x" });
    const { steps } = diffStates(plan([ns, cmd]), [], OPTS);
    assert.deepEqual(stepOf(steps, "ns").notes, ["retainOnDelete: removed from the stack, left in place"]);
    assert.deepEqual(stepOf(steps, "cmd").notes, ["no delete command: the host is left as it is"]);
  });

  it("matches a renamed resource through its alias instead of replacing it", () => {
    const old = res("old-name", SERVER, { serverType: "cx23" });
    const renamed = res("new-name", SERVER, { serverType: "cx23" }, { aliases: [`${SERVER}::old-name`] });
    const { steps } = diffStates(plan([old]), [renamed], OPTS);
    assert.deepEqual(steps.map((s) => s.action), ["same"]);
  });
});

describe("diffStates: values from created or replaced resources", () => {
  it("a replaced network replaces its subnets (networkId is ForceNew) and updates the servers in them", () => {
    const net = (ipRange: string) => res("net", "hcloud:index/network:Network", { ipRange });
    const subnet = res("sub", "hcloud:index/networkSubnet:NetworkSubnet", { networkId: 1, ipRange: "10.0.1.0/24" }, {
      propertyDependencies: { networkId: ["hcloud:index/network:Network::net"] },
    });
    const srv = server({ networks: [{ subnetId: "1-10.0.1.0/24" }] }, {
      propertyDependencies: { networks: ["hcloud:index/networkSubnet:NetworkSubnet::sub"] },
    });
    const { steps } = diffStates(plan([net("10.0.0.0/16"), subnet, srv]), [net("10.1.0.0/16"), subnet, srv], OPTS);
    assert.deepEqual(steps.map((s) => `${s.action} ${s.name}`), ["replace net", "replace sub", "update srv"]);
    assert.equal(stepOf(steps, "sub").changes[0]!.from, "hcloud:index/network:Network::net");
  });

  it("an ignored property never changes because of its source: a new SSH key leaves the servers alone", () => {
    const key = (publicKey: string) => res("key", "hcloud:index/sshKey:SshKey", { publicKey });
    const srv = server({ sshKeys: ["1"] }, { ignoreChanges: ["sshKeys"], propertyDependencies: { sshKeys: ["hcloud:index/sshKey:SshKey::key"] } });
    const { steps } = diffStates(plan([key("ssh-ed25519 A"), srv]), [key("ssh-ed25519 B"), srv], OPTS);
    assert.deepEqual(steps.map((s) => `${s.action} ${s.name}`), ["replace key", "same srv"]);
  });
});

describe("diffStates: providers' rules", () => {
  it("a server resize and a public network change are updates that power the server off", () => {
    const { steps } = diffStates(plan([server({ publicNets: [{ ipv4Enabled: true }] })]), [server({ serverType: "cx33", publicNets: [{ ipv4Enabled: false }] })], OPTS);
    assert.deepEqual([steps[0]!.action, steps[0]!.notes], ["update", ["powers the server off to change serverType, publicNets"]]);
  });

  it("a command's script change re-runs it in place; a triggers change replaces it", () => {
    const cmd = (inputs: Record<string, unknown>) => res("c", "command:remote:Command", { create: "a", update: "a", ...inputs });
    const update = diffStates(plan([cmd({})]), [cmd({ create: "b", update: "b" })], OPTS).steps[0]!;
    assert.deepEqual([update.action, update.notes], ["update", ["runs its update command again on the host"]]);
    const replace = diffStates(plan([cmd({ triggers: [1] })]), [cmd({ triggers: [2] })], OPTS).steps[0]!;
    assert.deepEqual([replace.action, replace.replaceCauses], ["replace", ["triggers[0]"]]);
  });

  it("the Kubernetes provider is never replaced while its clusterIdentifier stays, and is when it changes", () => {
    const type = "pulumi:providers:kubernetes";
    const p = (kubeconfig: string, clusterIdentifier?: string) =>
      res("k8s", type, { kubeconfig, ...(clusterIdentifier ? { clusterIdentifier } : {}) });
    assert.equal(diffStates(plan([p("a", "site")]), [p("b", "site")], OPTS).steps[0]!.action, "update");
    assert.equal(diffStates(plan([p("a", "site")]), [p("a", "other")], OPTS).steps[0]!.action, "replace");
    assert.equal(diffStates(plan([p("a")]), [p("b")], OPTS).steps[0]!.action, "replace");
  });

  it("a replaced provider replaces every resource it manages", () => {
    const type = "pulumi:providers:kubernetes";
    const ns = res("ns", "kubernetes:core/v1:Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }, { provider: `${type}::k8s` });
    const { steps } = diffStates(plan([res("k8s", type, { clusterIdentifier: "a" }), ns]), [res("k8s", type, { clusterIdentifier: "b" }), ns], OPTS);
    assert.deepEqual(stepOf(steps, "ns").replaceCauses, [`its provider ${type}::k8s is replaced`]);
  });

  const ds = (selector: Record<string, string>, image: string, name = "canal") =>
    res(name, "kubernetes:apps/v1:DaemonSet", {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name, namespace: "kube-system" },
      spec: { selector: { matchLabels: selector }, template: { spec: { containers: [{ image }] } } },
    });

  it("a DaemonSet's new selector replaces it delete-first (same name); a new image updates it", () => {
    const replaced = diffStates(plan([ds({ app: "a" }, "x:1")]), [ds({ app: "b" }, "x:1")], OPTS).steps[0]!;
    assert.deepEqual([replaced.action, replaced.deleteBeforeReplace, replaced.replaceCauses], ["replace", true, ["spec.selector.matchLabels.app"]]);
    assert.equal(diffStates(plan([ds({ app: "a" }, "x:1")]), [ds({ app: "a" }, "x:2")], OPTS).steps[0]!.action, "update");
  });

  it("a Kubernetes object whose name changes is replaced create-first", () => {
    const old = ds({ app: "a" }, "x:1");
    const renamed = { ...old, inputs: { ...old.inputs, metadata: { name: "canal2", namespace: "kube-system" } } };
    const step = diffStates(plan([old]), [renamed], OPTS).steps[0]!;
    assert.deepEqual([step.action, step.deleteBeforeReplace], ["replace", undefined]);
  });
});

describe("ConfigGroup children", () => {
  it("are named <group>:<namespace>/<name> (or <group>:<name>) under the group, typed by apiVersion and kind", () => {
    const group = res("site-canal-manifest", "kubernetes:yaml/v2:ConfigGroup", {
      objs: [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "canal-config", namespace: "kube-system" } },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "calico-node" } },
      ],
    });
    assert.deepEqual(
      expandConfigGroups([group]).map((r) => r.urn),
      [
        "kubernetes:yaml/v2:ConfigGroup::site-canal-manifest",
        "kubernetes:yaml/v2:ConfigGroup$kubernetes:core/v1:ConfigMap::site-canal-manifest:kube-system/canal-config",
        "kubernetes:yaml/v2:ConfigGroup$kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::site-canal-manifest:calico-node",
      ],
    );
  });
});

describe("a `pulumi stack export` as the previous deployment", () => {
  const urn = (chain: string) => `urn:pulumi:prod::k3s-sites::${chain}`;
  const exportJson = JSON.stringify({
    version: 3,
    deployment: {
      manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "v3.248.0" },
      resources: [
        { urn: urn("pulumi:pulumi:Stack::k3s-sites-prod"), custom: false, type: "pulumi:pulumi:Stack", outputs: { kind: "hetzner" } },
        { urn: urn("pulumi:providers:random::default_4_21_2"), custom: true, id: "x", type: "pulumi:providers:random" },
        {
          urn: urn(`${SERVER}::srv`),
          custom: true,
          id: "1",
          type: SERVER,
          protect: true,
          parent: urn("pulumi:pulumi:Stack::k3s-sites-prod"),
          inputs: { __defaults: ["keepDisk"], name: "prod-control-1", serverType: "cx23", keepDisk: false },
          outputs: { ipv4Address: "198.51.100.1" },
        },
        {
          urn: urn("command:remote:Command::cmd"),
          custom: true,
          id: "c",
          type: "command:remote:Command",
          inputs: {
            create: "a",
            connection: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "AAAA" },
          },
        },
      ],
    },
  });

  it("reads resources with short URNs, protect, and the root stack's outputs; drops the provider's defaults", () => {
    const state = readStackExport(exportJson);
    assert.deepEqual(state.outputs, { kind: "hetzner" });
    const srv = state.resources.find((r) => r.type === SERVER)!;
    assert.deepEqual([srv.urn, srv.protect, srv.parent, srv.inputs], [
      `${SERVER}::srv`,
      true,
      undefined,
      { name: "prod-control-1", serverType: "cx23", keepDisk: false },
    ]);
  });

  it("ignores the engine's default providers and keys only the deployed state has; never compares its secrets", () => {
    const next = [
      res("srv", SERVER, { name: "prod-control-1", serverType: "cx23" }, { protect: true }),
      res("cmd", "command:remote:Command", { create: "a", connection: { host: "198.51.100.9" } }),
    ];
    const diff = diffStates(readStackExport(exportJson), next, OPTS);
    assert.deepEqual(diff.steps.map((s) => `${s.action} ${s.name}`), ["same srv", "same cmd"]);
    assert.equal(summarizeDiff(diff), "no change");
  });

  it("refuses a file that is not an export", () => {
    assert.throws(() => readStackExport("{}"), /not a `pulumi stack export` file/);
  });
});

describe("renderDiff", () => {
  it("prints each change with its properties, what replaces, the notes, the counts and the errors", () => {
    const old = server({}, { protect: true });
    const text = renderDiff(diffStates(plan([old]), [server({ location: "nbg1", serverType: "cx33" }, { protect: true })], OPTS), "preview:");
    assert.match(text, /^\+- replace  hcloud:index\/server:Server::srv$/m);
    assert.match(text, /^      location: "fsn1" => "nbg1"  \[replaces\]$/m);
    assert.match(text, /^      serverType: "cx23" => "cx33"$/m);
    assert.match(text, /^resources: 1 to replace$/m);
    assert.match(text, /^error: unable to replace resource "urn:pulumi:prod::k3s-sites::hcloud:index\/server:Server::srv"$/m);
  });
});

describe("the offline engine records what the diff needs", () => {
  it("a resource's aliases as the URNs they name, and which resources each input comes from", async () => {
    const run = await runProgram(
      { project: "k3s-sites", stack: "test", config: {}, secretKeys: [] },
      async () => {
        const parent = new pulumi.ComponentResource("k3s-sites:test:Parent", "p");
        const network = new hcloud.Network("net", { ipRange: "10.0.0.0/16" }, { parent });
        new hcloud.NetworkSubnet(
          "subnet-new",
          { networkId: network.id.apply(Number), type: "cloud", networkZone: "eu-central", ipRange: "10.0.1.0/24" },
          { parent, aliases: [{ name: "subnet-old" }] },
        );
        return {};
      },
    );
    const subnet = run.resources.find((r) => r.name === "subnet-new")!;
    const chain = "k3s-sites:test:Parent$hcloud:index/networkSubnet:NetworkSubnet";
    assert.deepEqual(subnet.aliases, [`${chain}::subnet-old`]);
    assert.deepEqual(subnet.propertyDependencies, { networkId: ["k3s-sites:test:Parent$hcloud:index/network:Network::net"] });
  });
});

describe("the prod example against an export of itself", () => {
  it("changes nothing: ConfigGroup children, secrets, provider defaults and chart objects all line up", async () => {
    const run = await planOf("prod");
    const full = (u: string) => `urn:pulumi:prod::k3s-sites::${u}`;
    const stackUrn = full("pulumi:pulumi:Stack::k3s-sites-prod");
    const ciphertext = (v: unknown): unknown =>
      v === "[secret]"
        ? { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:AAAA" }
        : Array.isArray(v)
          ? v.map(ciphertext)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ciphertext(x)]))
            : v;
    const resources: Record<string, unknown>[] = [{ urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false, outputs: run.outputs }];
    for (const r of run.resources) {
      const common = {
        custom: r.custom,
        parent: r.parent ? full(r.parent) : stackUrn,
        ...(r.provider ? { provider: `${full(r.provider)}::provider-id` } : {}),
        ...(r.protect ? { protect: true } : {}),
      };
      if (r.type === "kubernetes:yaml/v2:ConfigGroup") {
        // The group keeps its own inputs (skipAwait and the like); its objects become children.
        const [group, ...children] = expandConfigGroups([{ ...r, inputs: r.inputs }]);
        resources.push({ urn: full(r.urn), type: r.type, ...common, custom: false, inputs: ciphertext(group!.inputs) });
        for (const child of children) {
          resources.push({ urn: full(child.urn), type: child.type, custom: true, parent: full(r.urn), inputs: ciphertext(child.inputs) });
        }
        continue;
      }
      // What the provider's Check adds: defaults the program never sets.
      const defaults = r.type === "hcloud:index/server:Server" ? { __defaults: ["keepDisk"], keepDisk: false } : {};
      resources.push({ urn: full(r.urn), type: r.type, ...common, inputs: { ...(ciphertext(r.inputs) as object), ...defaults } });
      if (r.type === CHART_TYPE) {
        const type = "kubernetes:apps/v1:Deployment";
        resources.push({ urn: full(`${r.urn.split("::")[0]}$${type}::${r.name}:cert-manager/cert-manager`), type, custom: true, parent: full(r.urn), inputs: {} });
      }
    }
    resources.push({ urn: full("pulumi:providers:command::default_1_2_1"), type: "pulumi:providers:command", custom: true });
    const previous = readStackExport(JSON.stringify({ version: 3, deployment: { resources } }));
    const diff = diffStates(previous, stateOfRun(run), OPTS);
    assert.equal(summarizeDiff(diff), "no change", renderDiff(diff, "the diff"));
    assert.ok(diff.steps.some((s) => s.action === "not-compared"), "the chart's object is reported as not compared");
    assert.deepEqual(previous.outputs.kind, "hetzner");
  });
});
