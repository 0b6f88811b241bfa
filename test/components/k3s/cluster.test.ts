import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { SECRET, secretPlaceholder, type ProgramRun, type RecordedResource } from "../../../plan/engine";
import { nodeCommandName, nodeOfCommand, REMOTE_COMMAND_TYPE } from "../../../src/k3s/names";
import { byName, ofType, planOf, planOfSections } from "../../plan/run";
import { fixedSettingsOf } from "../../../src/cluster/guards";
import { exampleSections, hetznerSections, parse1, ROOT } from "../../helpers";

const COMMAND = REMOTE_COMMAND_TYPE;

function nodeCommands(run: ProgramRun): Map<string, RecordedResource> {
  return new Map(ofType(run, COMMAND).flatMap((r) => (nodeOfCommand(r) === undefined ? [] : [[nodeOfCommand(r)!, r]])));
}

/**
 * The node commands a command waits for, by node name, besides the first server (whose output, the cluster CA
 * hash, every joining node's script reads).
 */
function waitsFor(run: ProgramRun, node: string): string[] {
  const commands = nodeCommands(run);
  const byUrn = new Map([...commands].map(([n, r]) => [r.urn, n]));
  const names = commands.get(node)!.dependsOn.flatMap((u) => (byUrn.has(u) ? [byUrn.get(u)!] : []));
  if (node !== "control-1") assert.ok(names.includes("control-1"), `${node} does not wait for the first server`);
  return [...new Set(names)].filter((n) => n !== "control-1" || node === "control-2").sort();
}

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

describe("K3sCluster on the offline engine", () => {
  it("on a first install, joins every other server and every agent in parallel once the first server is up", async () => {
    const raw = hetznerSections();
    raw.site.pools[1].count = 5;
    raw.k3s.upgrade = { agentsAtOnce: 2 };
    const run = await planOfSections(raw);
    assert.deepEqual(waitsFor(run, "control-1"), []);
    assert.deepEqual(waitsFor(run, "control-2"), ["control-1"]);
    // k3s retries an etcd join while another server is still a learner: no server waits for another joining one.
    assert.deepEqual(waitsFor(run, "control-3"), []);
    // One version everywhere: no kubelet can be newer than an API server, so each agent waits for the first server
    // only (waitsFor checks that and lists the other nodes it waits for: none).
    for (let n = 1; n <= 5; n++) assert.deepEqual(waitsFor(run, `worker-${n}`), [], `worker-${n}`);
  });

  it("on an upgrade, rolls the agents after every server, agentsAtOnce at a time", async () => {
    const raw = hetznerSections();
    raw.site.pools[1].count = 5;
    raw.k3s.upgrade = { agentsAtOnce: 2 };
    const before = await planOfSections(raw);
    assert.equal(before.outputs.k3sVersion, "v1.33.5+k3s1", "the stack records the version it installed");
    raw.k3s.version = "v1.34.1+k3s1";
    const batched = await planOfSections(raw, "test", before.outputs);
    // A kubelet must not be newer than any API server: the agents wait for the last server.
    assert.deepEqual(waitsFor(batched, "worker-1"), ["control-3"]);
    assert.deepEqual(waitsFor(batched, "worker-2"), ["control-3"]);
    assert.deepEqual(waitsFor(batched, "worker-3"), ["worker-1", "worker-2"]);
    assert.deepEqual(waitsFor(batched, "worker-4"), ["worker-1", "worker-2"]);
    assert.deepEqual(waitsFor(batched, "worker-5"), ["worker-3", "worker-4"]);
    // A deployment by an older version of the program recorded no version: the safe order.
    const { k3sVersion: _, ...older } = before.outputs;
    raw.k3s.version = "v1.33.5+k3s1";
    assert.deepEqual(waitsFor(await planOfSections(raw, "test", older), "worker-5"), ["worker-3", "worker-4"]);
    // The same version again (any other change): agents in parallel; servers one at a time, so that a change which
    // restarts k3s never stops two etcd members at once.
    const same = await planOfSections(raw, "test", before.outputs);
    assert.deepEqual(waitsFor(same, "worker-5"), []);
    assert.deepEqual(waitsFor(same, "control-3"), ["control-2"]);
  });

  it("with k3s.upgrade.drain, drains each node from the first server before its script and uncordons it after", async () => {
    const raw = hetznerSections();
    raw.k3s.upgrade = { drain: true };
    const installed = await planOfSections(raw);
    raw.k3s.version = "v1.34.1+k3s1";
    // An upgrade: the order that drains one node at a time.
    const run = await planOfSections(raw, "test", installed.outputs);
    const commands = nodeCommands(run);
    const drain = byName(run, "site-k3s-drain-worker-1");
    const uncordon = byName(run, "site-k3s-uncordon-worker-1");
    assert.deepEqual(
      commands.get("worker-1")!.dependsOn.filter((u) => u.includes("Command") && u !== commands.get("control-1")!.urn),
      [drain.urn],
    );
    assert.ok(uncordon.dependsOn.includes(commands.get("worker-1")!.urn));
    // The next server waits for the previous one's uncordon: one node out of service at a time.
    assert.ok(byName(run, "site-k3s-drain-control-2").dependsOn.includes(byName(run, "site-k3s-uncordon-control-1").urn));
    assert.ok(drain.dependsOn.includes(byName(run, "site-k3s-uncordon-control-3").urn));
    // With the admin kubeconfig on the first server: the node's own kubelet may not evict or cordon.
    const connection = (drain.rawInputs.connection as { secret: Record<string, unknown> }).secret;
    const firstConnection = (commands.get("control-1")!.rawInputs.connection as { secret: Record<string, unknown> }).secret;
    assert.equal(connection.host, firstConnection.host);
    assert.match(drain.inputs.create as string, /^ACTION='drain'$/m);
    assert.match(drain.inputs.create as string, /^K3S_VERSION='v1\.34\.1\+k3s1'$/m);
    assert.equal(drain.inputs.update, drain.inputs.create, "a version change re-runs it in place");
    assert.equal(drain.inputs.triggers, undefined);
    assert.match(uncordon.inputs.create as string, /^ACTION='uncordon'$/m);
    // Off by default: no drain commands.
    assert.ok(!(await planOfSections(hetznerSections())).resources.some((r) => r.name.includes("-drain-")));
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
    assert.equal(connection.privateKey, secretPlaceholder("k3s-sites:sshPrivateKey"));
    assert.deepEqual(
      { host: connection.proxy.host, user: connection.proxy.user, port: connection.proxy.port },
      { host: "nuc.lan", user: "admin", port: 22 },
    );
    assert.equal(connection.proxy.privateKey, secretPlaceholder("k3s-sites:sshPrivateKey"));
    assert.match(pi2.inputs.create as string, /^sudo -n true 2>\/dev\/null \|\| \{ echo 'k3s-sites: pi cannot run sudo without a password on pi-2: /);
    assert.match(pi2.inputs.create as string, /\nsudo -n bash -c /);
    // A booting server refuses SSH for a while: dial long enough, but not for ever.
    assert.equal(connection.dialErrorLimit, 60);
    assert.equal(connection.perDialTimeout, 15);
    assert.equal(connection.proxy.dialErrorLimit, 60);
  });

  it("keeps the token, the private key and the kubeconfig secret in every input and output", async () => {
    const run = await planOf("prod");
    const token = byName(run, "site-k3s-token");
    assert.equal(token.type, "random:index/randomPassword:RandomPassword");
    const tokenValue = "<random:site-k3s-token>";
    const agentTokenValue = "<random:site-k3s-agent-token>";
    assert.equal(byName(run, "site-k3s-agent-token").type, "random:index/randomPassword:RandomPassword");
    for (const [node, command] of nodeCommands(run)) {
      assert.equal(command.inputs.stdin, SECRET, node);
      // Agents get the agent token only: the server token is cluster admin. Servers also keep the hcloud token for
      // the CSI driver's controller (src/k3s/secret-files.ts); agents never get it.
      const stdin = node.startsWith("control") ? `${tokenValue}\n${agentTokenValue}\n<secret:hcloud:token>\n` : `${agentTokenValue}\n`;
      assert.deepEqual(command.rawInputs.stdin, { secret: stdin }, node);
      assert.ok(command.additionalSecretOutputs?.includes("stdin"), node);
      assert.equal(command.inputs.connection, SECRET, node);
    }
    for (const r of run.resources) {
      for (const text of strings(r.inputs)) {
        assert.ok(!text.includes(tokenValue), `${r.name} shows the token`);
        assert.ok(!text.includes(agentTokenValue), `${r.name} shows the agent token`);
        assert.ok(!text.includes("sshPrivateKey>"), `${r.name} shows the private key`);
        assert.ok(!text.includes("<secret:hcloud:token>"), `${r.name} shows the hcloud token`);
      }
    }
    const read = byName(run, "site-k3s-kubeconfig");
    assert.equal(read.inputs.logging, "none");
    assert.ok(read.additionalSecretOutputs?.includes("stdout"));
    assert.equal(run.outputs.kubeconfig, SECRET);
    assert.equal(byName(run, "site-k3s-provider").inputs.kubeconfig, SECRET);
  });

  it("reaches the API on the first server's public IPv4, and names k3s.apiHost only in the operator's kubeconfig", async () => {
    const run = await planOf("prod");
    const provider = byName(run, "site-k3s-provider");
    assert.equal(provider.inputs.clusterIdentifier, "k3s-sites/prod");
    const nodes = run.outputs.nodes as { name: string; publicIpv4: string; publicIpv6: string }[];
    const first = nodes.find((n) => n.name === "control-1")!;
    const programs = parse((provider.rawInputs.kubeconfig as { secret: string }).secret);
    assert.equal(programs.clusters[0].cluster.server, `https://${first.publicIpv4}:6443`);
    assert.equal(programs["current-context"], "prod");
    // The operator's copy (a stack output) names the API by k3s.apiHost, which is in the certificate.
    assert.equal(run.outputs.kubeconfig, SECRET);
    const script = nodeCommands(run).get("control-1")!.inputs.create as string;
    assert.match(script, /tls-san:\n {2}- k8s\.example\.com\n/);
    const read = byName(run, "site-k3s-kubeconfig");
    assert.deepEqual(read.dependsOn.filter((u) => [...nodeCommands(run).values()].some((c) => c.urn === u)), [nodeCommands(run).get("control-1")!.urn]);
  });

  it("reaches the API on the first server's IPv6 without public IPv4, and on a home server's SSH address", async () => {
    const raw = hetznerSections();
    raw.site.publicIpv4 = false;
    raw.site.network = { natGateway: "10.0.0.2" };
    const run = await planOfSections(raw);
    const nodes = run.outputs.nodes as { name: string; publicIpv6: string }[];
    const v6 = nodes.find((n) => n.name === "control-1")!.publicIpv6;
    const kubeconfig = parse((byName(run, "site-k3s-provider").rawInputs.kubeconfig as { secret: string }).secret);
    assert.equal(kubeconfig.clusters[0].cluster.server, `https://[${v6}]:6443`);

    const home = await planOf("home");
    const homeConfig = parse((byName(home, "site-k3s-provider").rawInputs.kubeconfig as { secret: string }).secret);
    const nuc = nodeCommands(home).get("nuc")!;
    const host = (nuc.rawInputs.connection as { secret: Record<string, string> }).secret.host;
    assert.equal(homeConfig.clusters[0].cluster.server, `https://${host}:6443`);
    assert.ok((nuc.inputs.create as string).includes(`\n  - ${host}\n`), "the SSH address is in the certificate");
  });

  it("leaves deleteUnreachable off, so an unreachable API never empties the state", async () => {
    const run = await planOf("prod");
    assert.equal(byName(run, "site-k3s-provider").inputs.deleteUnreachable, undefined);
  });

  it("reads the kubeconfig again when the first server reports a different one, without replacing the provider", async () => {
    const run = await planOf("prod");
    const read = byName(run, "site-k3s-kubeconfig");
    assert.equal(read.inputs.delete, undefined, "replacing the read deletes nothing on the server");
    assert.ok(Array.isArray(read.inputs.triggers) && (read.inputs.triggers as unknown[]).length === 1);
    assert.equal(byName(run, "site-k3s-provider").inputs.clusterIdentifier, "k3s-sites/prod");
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

  it("gives each node a membership command that only deletes: from the join server, servers one after another", async () => {
    const run = await planOf("prod");
    const host = (r: RecordedResource) => (r.rawInputs.connection as { secret: { host: string } }).secret.host;
    const member = (n: string) => byName(run, `site-k3s-membership-${n}`);
    const node = (n: string) => byName(run, nodeCommandName("site-k3s", n));
    for (const n of ["control-1", "control-2", "control-3", "worker-1", "worker-2"]) {
      const m = member(n);
      assert.deepEqual([m.inputs.create, m.inputs.update, m.inputs.triggers], [undefined, undefined, undefined], n);
      assert.match(m.inputs.delete as string, new RegExp(`^NODE='${n}'$`, "m"));
      assert.ok(m.dependsOn.includes(node(n).urn), `${n}: its membership is deleted before its command and server`);
      // Removals run on another server: the join server, or the next member for the join server itself.
      assert.equal(host(m), host(node(n === "control-1" ? "control-2" : "control-1")), n);
    }
    // Pulumi deletes a resource after everything that depends on it: control-3 leaves before control-2, and the
    // join server, which every other removal runs on, leaves last.
    assert.ok(member("control-3").dependsOn.includes(member("control-2").urn));
    for (const n of ["control-2", "worker-1", "worker-2"]) {
      assert.ok(member(n).dependsOn.includes(member("control-1").urn), `the join server's removal comes after ${n}'s`);
    }
    assert.ok(!member("control-1").dependsOn.some((u) => u.includes("-membership-")));
  });

  it("once the init server has left, joins, drains and reads the kubeconfig through the first member left", async () => {
    const prod = parse1(exampleSections("prod"));
    const record = { ...fixedSettingsOf(prod), initServer: null, servers: ["control-2", "control-3", "control-1"] };
    const run = await planOf("prod", ROOT, { fixedSettings: record });
    const host = (name: string) => (byName(run, name).rawInputs.connection as { secret: { host: string } }).secret.host;
    const script = (n: string) => byName(run, nodeCommandName("site-k3s", n)).inputs.create as string;
    const ip = (n: string) => prod.nodes.find((x) => x.name === n)!.privateIp;
    for (const n of ["control-1", "control-2", "control-3", "worker-1"]) assert.doesNotMatch(script(n), /^cluster-init: true$/m, n);
    assert.match(script("control-2"), new RegExp(`^server: https://${ip("control-3")}:6443'?$`, "m"));
    assert.match(script("control-1"), new RegExp(`^server: https://${ip("control-2")}:6443'?$`, "m"));
    assert.match(script("worker-1"), new RegExp(`^server: https://${ip("control-2")}:6443'?$`, "m"));
    assert.equal(host("site-k3s-kubeconfig"), host("site-k3s-node-control-2"));
    assert.equal(host("site-k3s-membership-worker-1"), host("site-k3s-node-control-2"));
    assert.equal(host("site-k3s-membership-control-2"), host("site-k3s-node-control-3"));
    assert.deepEqual((run.outputs.fixedSettings as { initServer: unknown }).initServer, null);
  });
});
