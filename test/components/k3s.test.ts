import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { SECRET, type ProgramRun, type RecordedResource } from "../../plan/engine";
import { byName, ofType, planOf, planOfSections } from "../plan/run";
import { hetznerSections } from "../helpers";

const COMMAND = "command:remote:Command";

function nodeCommands(run: ProgramRun): Map<string, RecordedResource> {
  return new Map(
    ofType(run, COMMAND)
      .filter((r) => r.name.includes("-node-"))
      .map((r) => [r.name.replace(/^.*-node-/, ""), r]),
  );
}

/** The node commands a command waits for, by node name. */
function waitsFor(run: ProgramRun, node: string): string[] {
  const commands = nodeCommands(run);
  const byUrn = new Map([...commands].map(([n, r]) => [r.urn, n]));
  return commands.get(node)!.dependsOn.flatMap((u) => (byUrn.has(u) ? [byUrn.get(u)!] : []));
}

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

describe("K3sCluster on the offline engine", () => {
  it("starts the first server, joins the other servers one at a time, and all agents in parallel after the first", async () => {
    const run = await planOf("prod");
    assert.deepEqual(waitsFor(run, "control-1"), []);
    assert.deepEqual(waitsFor(run, "control-2"), ["control-1"]);
    assert.deepEqual(waitsFor(run, "control-3"), ["control-2"]);
    assert.deepEqual(waitsFor(run, "worker-1"), ["control-1"]);
    assert.deepEqual(waitsFor(run, "worker-2"), ["control-1"]);
  });

  it("waits for a node's own server only, not for the other servers", async () => {
    const run = await planOf("prod");
    const command = nodeCommands(run).get("worker-1")!;
    const servers = ofType(run, "hcloud:index/server:Server").filter((s) => command.dependsOn.includes(s.urn));
    assert.deepEqual(servers.map((s) => s.name), ["site-hetzner-server-worker-1"]);
  });

  it("re-runs the same script in place on a change, and never uninstalls", async () => {
    const run = await planOf("prod");
    for (const [node, command] of nodeCommands(run)) {
      assert.equal(command.inputs.update, command.inputs.create, node);
      assert.equal(command.inputs.delete, undefined, `${node} has a delete command`);
      assert.equal(command.inputs.triggers, undefined, `${node} has triggers, which would replace it`);
      assert.equal(command.inputs.logging, "stderr", node);
    }
  });

  it("connects with the secret key, as the host's user, through its jump host", async () => {
    const run = await planOf("home");
    const pi2 = nodeCommands(run).get("pi-2")!;
    // @pulumi/command keeps the whole connection secret.
    assert.equal(pi2.inputs.connection, SECRET);
    const connection = (pi2.rawInputs.connection as { secret: Record<string, any> }).secret;
    assert.equal(connection.host, "192.168.1.22");
    assert.equal(connection.user, "pi");
    assert.equal(connection.privateKey, "<secret:k3s-sites:sshPrivateKey>");
    assert.deepEqual(
      { host: connection.proxy.host, user: connection.proxy.user, port: connection.proxy.port },
      { host: "nuc.lan", user: "admin", port: 22 },
    );
    assert.equal(connection.proxy.privateKey, "<secret:k3s-sites:sshPrivateKey>");
    assert.match(pi2.inputs.create as string, /^sudo -n bash -c /);
  });

  it("keeps the token, the private key and the kubeconfig secret in every input and output", async () => {
    const run = await planOf("prod");
    const token = byName(run, "site-k3s-token");
    assert.equal(token.type, "random:index/randomPassword:RandomPassword");
    const tokenValue = "<random:site-k3s-token>";
    for (const [node, command] of nodeCommands(run)) {
      assert.equal(command.inputs.stdin, SECRET, node);
      assert.deepEqual(command.rawInputs.stdin, { secret: `${tokenValue}\n` }, node);
      assert.ok(command.additionalSecretOutputs?.includes("stdin"), node);
      assert.equal(command.inputs.connection, SECRET, node);
    }
    for (const r of run.resources) {
      for (const text of strings(r.inputs)) {
        assert.ok(!text.includes(tokenValue), `${r.name} shows the token`);
        assert.ok(!text.includes("sshPrivateKey>"), `${r.name} shows the private key`);
      }
    }
    const read = byName(run, "site-k3s-kubeconfig");
    assert.equal(read.inputs.logging, "none");
    assert.ok(read.additionalSecretOutputs?.includes("stdout"));
    assert.equal(run.outputs.kubeconfig, SECRET);
    assert.equal(byName(run, "site-k3s-provider").inputs.kubeconfig, SECRET);
  });

  it("rewrites the kubeconfig to the API name, under the site's name, for a provider with a stable identity", async () => {
    const run = await planOf("prod");
    const provider = byName(run, "site-k3s-provider");
    assert.equal(provider.inputs.clusterIdentifier, "k3s-sites/prod");
    const kubeconfig = parse((provider.rawInputs.kubeconfig as { secret: string }).secret);
    assert.equal(kubeconfig.clusters[0].cluster.server, "https://k8s.example.com:6443");
    assert.equal(kubeconfig["current-context"], "prod");
    const read = byName(run, "site-k3s-kubeconfig");
    assert.deepEqual(read.dependsOn.filter((u) => u.includes("-node-")), [nodeCommands(run).get("control-1")!.urn]);
  });

  it("points the kubeconfig at the first server's public address when no API name is set", async () => {
    const raw = hetznerSections();
    const run = await planOfSections(raw);
    const provider = byName(run, "site-k3s-provider");
    const kubeconfig = parse((provider.rawInputs.kubeconfig as { secret: string }).secret);
    const nodes = run.outputs.nodes as { name: string; publicIpv4: string }[];
    const first = nodes.find((n) => n.name === "control-1")!;
    assert.equal(kubeconfig.clusters[0].cluster.server, `https://${first.publicIpv4}:6443`);
  });

  it("adding an agent leaves every other node's command unchanged", async () => {
    const before = await planOfSections(hetznerSections());
    const raw = hetznerSections();
    raw.site.pools[1].count = 3;
    const after = await planOfSections(raw);
    const a = nodeCommands(before);
    const b = nodeCommands(after);
    assert.ok(b.has("worker-3"));
    for (const [node, command] of a) assert.deepEqual(b.get(node)!.inputs, command.inputs, node);
  });

  it("adding a server leaves the existing servers' commands unchanged", async () => {
    const raw = hetznerSections();
    raw.site.pools[0].count = 1;
    const before = await planOfSections(raw);
    raw.site.pools[0].count = 3;
    const after = await planOfSections(raw);
    assert.deepEqual(nodeCommands(after).get("control-1")!.inputs, nodeCommands(before).get("control-1")!.inputs);
  });
});
