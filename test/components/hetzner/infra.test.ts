import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordedResource } from "../../../plan/engine";
import { OFFLINE_HCLOUD_PROJECT } from "../../../plan/mocks";
import { sshKeyOf } from "../../../src/hetzner/model";
import { sshKeyFingerprint } from "../../../src/hetzner/ssh-key";
import { clone, exampleSections, hetznerSections } from "../../helpers";
import { byName, ofType, planOf, planOfSections } from "../../plan/run";

const SERVER = "hcloud:index/server:Server";

describe("HetznerInfra on the offline engine", () => {
  it("lets in only SSH and the Kubernetes API from operatorCidrs, plus ICMP, on every server by label", async () => {
    const run = await planOf("prod");
    const firewall = byName(run, "site-hetzner-firewall");
    const operators = exampleSections("prod").site.operatorCidrs;
    assert.deepEqual(operators, ["203.0.113.7/32", "2001:db8:1234::/48"]);
    assert.deepEqual(
      (firewall.inputs.rules as { port?: string; protocol: string; sourceIps: string[]; direction: string }[]).map(
        (r) => [r.direction, r.protocol, r.port, r.sourceIps],
      ),
      [
        ["in", "tcp", "22", operators],
        ["in", "tcp", "6443", operators],
        ["in", "icmp", undefined, ["0.0.0.0/0", "::/0"]],
      ],
    );
    assert.deepEqual(firewall.inputs.applyTos, [{ labelSelector: "k3s-sites/site=prod" }]);
    for (const server of ofType(run, SERVER)) {
      assert.equal((server.inputs.labels as Record<string, string>)["k3s-sites/site"], "prod");
      assert.ok(server.dependsOn.includes(firewall.urn), `${server.name} may boot before its firewall exists`);
      assert.equal(server.inputs.firewallIds, undefined, "a label-applied firewall must not also be attached by ID");
    }
  });

  it("drops ICMP when allowIcmp is false", async () => {
    const sections = clone(hetznerSections());
    sections.site.allowIcmp = false;
    const firewall = byName(await planOfSections(sections), "site-hetzner-firewall");
    assert.deepEqual(
      (firewall.inputs.rules as { protocol: string }[]).map((r) => r.protocol),
      ["tcp", "tcp"],
    );
  });

  it("forwards 80, 443 and the configured ports with the PROXY protocol and TCP health checks as configured", async () => {
    const sections = clone(hetznerSections());
    sections.site.loadBalancer = {
      healthCheck: { intervalSeconds: 20, timeoutSeconds: 5, retries: 2 },
      services: [
        { name: "smtp", listenPort: 25 },
        { name: "imaps", listenPort: 993, destinationPort: 10993, proxyProtocol: false },
      ],
    };
    const run = await planOfSections(sections);
    const services = ofType(run, "hcloud:index/loadBalancerService:LoadBalancerService");
    assert.deepEqual(
      services.map((s) => [s.inputs.listenPort, s.inputs.destinationPort, s.inputs.proxyprotocol, s.inputs.protocol]),
      [
        [80, 80, true, "tcp"],
        [443, 443, true, "tcp"],
        [25, 25, true, "tcp"],
        [993, 10993, false, "tcp"],
      ],
    );
    for (const s of services) {
      assert.deepEqual(s.inputs.healthCheck, {
        protocol: "tcp",
        port: s.inputs.destinationPort,
        interval: 20,
        timeout: 5,
        retries: 2,
      });
      assert.equal(typeof s.inputs.loadBalancerId, "string", "LoadBalancerService takes the ID as a string");
      assert.equal(s.deleteBeforeReplace, true, "a replacement on the same port would collide with the old service");
    }
  });

  it("targets the servers by label over the private network, after the network attachment", async () => {
    const run = await planOf("prod");
    const attachment = byName(run, "site-hetzner-lb-network");
    assert.equal(attachment.inputs.ip, "10.0.0.10");
    assert.equal(typeof attachment.inputs.loadBalancerId, "number");
    const targets = byName(run, "site-hetzner-lb-targets");
    assert.deepEqual(
      { type: targets.inputs.type, labelSelector: targets.inputs.labelSelector, usePrivateIp: targets.inputs.usePrivateIp },
      { type: "label_selector", labelSelector: "k3s-sites/site=prod", usePrivateIp: true },
    );
    assert.ok(targets.dependsOn.includes(attachment.urn));
    const balancer = byName(run, "site-hetzner-lb-balancer");
    assert.equal(balancer.inputs.loadBalancerType, "lb21", "lb11 holds 5 services and prod forwards 6");
    assert.equal(balancer.inputs.location, "fsn1");
  });

  it("attaches each server to its planned address, placement group and SSH key at creation", async () => {
    const run = await planOf("prod");
    const server = byName(run, "site-hetzner-server-worker-2");
    assert.deepEqual(server.inputs.networks, [
      { subnetId: byName(run, "site-hetzner-subnet-worker").inputs.networkId + "-10.0.243.0/24", ip: "10.0.243.11", aliasIps: [] },
    ]);
    assert.equal(typeof server.inputs.placementGroupId, "number");
    assert.equal((server.inputs.sshKeys as string[]).length, 1);
    assert.deepEqual(server.inputs.publicNets, [{ ipv4Enabled: true, ipv6Enabled: true }]);
    assert.equal(server.inputs.serverType, "cpx22");
    assert.equal(server.inputs.userData, undefined, "user data that follows config would replace servers");
    assert.deepEqual(server.ignoreChanges, ["image", "sshKeys", "userData"]);
  });

  it("puts at most 10 servers in a spread placement group", async () => {
    const sections = clone(hetznerSections());
    sections.site.pools[1].count = 23;
    sections.site.loadBalancer = { type: "lb21" }; // 26 targets: more than lb11's 25
    const run = await planOfSections(sections);
    const groups = new Map<unknown, number>();
    for (const s of ofType(run, SERVER)) groups.set(s.inputs.placementGroupId, (groups.get(s.inputs.placementGroupId) ?? 0) + 1);
    assert.deepEqual([...groups.values()].sort((a, b) => b - a), [10, 10, 3, 3]);
    for (const g of ofType(run, "hcloud:index/placementGroup:PlacementGroup")) assert.equal(g.inputs.type, "spread");
  });

  it("changes no other server's inputs when a node is added to a pool", async () => {
    const serversOf = (resources: readonly RecordedResource[]) =>
      new Map(resources.filter((r) => r.type === SERVER).map((r) => [r.name, r]));
    // From 10 to 11 workers: the 11th opens a new placement group.
    const before = clone(hetznerSections());
    before.site.pools[1].count = 10;
    const after = clone(hetznerSections());
    after.site.pools[1].count = 11;
    const runBefore = await planOfSections(before);
    const runAfter = await planOfSections(after);
    const groups = (run: typeof runBefore) => ofType(run, "hcloud:index/placementGroup:PlacementGroup").length;
    assert.equal(groups(runAfter), groups(runBefore) + 1);
    const a = serversOf(runBefore.resources);
    const b = serversOf(runAfter.resources);
    assert.equal(b.size, a.size + 1);
    for (const [name, server] of a) {
      assert.deepEqual(b.get(name)?.inputs, server.inputs, `${name} changed`);
      assert.deepEqual(b.get(name)?.dependsOn, server.dependsOn, `${name}'s dependencies changed`);
    }
  });

  it("protects the network, its subnets and the control-plane servers, and not the agents", async () => {
    const run = await planOf("prod");
    for (const r of [...ofType(run, "hcloud:index/network:Network"), ...ofType(run, "hcloud:index/networkSubnet:NetworkSubnet")]) {
      assert.equal(r.protect, true, r.name);
      if (r.inputs.deleteProtection !== undefined) assert.equal(r.inputs.deleteProtection, true);
    }
    for (const s of ofType(run, SERVER)) {
      const server = (s.inputs.labels as Record<string, string>)["k3s-sites/role"] === "server";
      assert.equal(s.protect === true, server, s.name);
      assert.equal(s.inputs.deleteProtection, server, s.name);
      assert.equal(s.inputs.rebuildProtection, server, s.name);
    }
  });

  it("protects nothing when protect is false", async () => {
    const sections = clone(hetznerSections());
    sections.site.protect = false;
    const run = await planOfSections(sections);
    assert.deepEqual(run.resources.filter((r) => r.protect).map((r) => r.name), []);
  });

  it("routes outbound traffic through the NAT server when nodes have no public IPv4", async () => {
    const sections = clone(hetznerSections());
    sections.site.publicIpv4 = false;
    sections.site.network = { natGateway: "10.0.0.2" };
    const run = await planOfSections(sections);
    const route = byName(run, "site-hetzner-route-default");
    assert.deepEqual({ destination: route.inputs.destination, gateway: route.inputs.gateway }, {
      destination: "0.0.0.0/0",
      gateway: "10.0.0.2",
    });
    for (const s of ofType(run, SERVER)) {
      assert.deepEqual(s.inputs.publicNets, [{ ipv4Enabled: false, ipv6Enabled: true }]);
      assert.ok(s.dependsOn.includes(route.urn), `${s.name} may bootstrap before it can reach the internet`);
    }
  });

  it("names the SSH key after the site and the key, and gives Hetzner the key without its comment", async () => {
    const run = await planOf("prod");
    const key = byName(run, "site-hetzner-ssh-key");
    const [type, body] = (exampleSections("prod").site.sshPublicKey as string).split(" ");
    assert.equal(key.inputs.publicKey, `${type} ${body}`);
    assert.match(key.inputs.name as string, /^prod-[0-9a-f]{8}$/);
    // A new key gets a new name, so Pulumi can create it before it deletes the old one (names are unique).
    assert.notEqual(sshKeyOf("prod", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther other@laptop").name, key.inputs.name);
    assert.deepEqual(sshKeyOf("prod", `${type} ${body} someone-else@desktop`), { name: key.inputs.name, publicKey: key.inputs.publicKey });
  });

  it("reports the load balancer's addresses and each node's addresses as stack outputs", async () => {
    const run = await planOf("prod");
    const lb = run.outputs.loadBalancer as { privateIp: string; ipv4: string; ipv6: string; ports: unknown[] };
    assert.equal(lb.privateIp, "10.0.0.10");
    assert.match(lb.ipv4, /^198\.51\.100\./);
    assert.match(lb.ipv6, /^2001:db8:/);
    assert.equal(lb.ports.length, 6);
    const nodes = run.outputs.nodes as { name: string; privateIp: string; publicIpv4?: string }[];
    assert.deepEqual(nodes.map((n) => [n.name, n.privateIp]), [
      ["control-1", "10.0.116.10"],
      ["control-2", "10.0.116.11"],
      ["control-3", "10.0.116.12"],
      ["worker-1", "10.0.243.10"],
      ["worker-2", "10.0.243.11"],
    ]);
    assert.ok(nodes.every((n) => n.publicIpv4?.startsWith("198.51.100.")));
    assert.equal(typeof run.outputs.networkId, "number");
  });

  it("warns before the run for a server type Hetzner no longer sells (the plan prints the run's warnings)", async () => {
    const sections = clone(hetznerSections());
    sections.site.pools[1].serverType = "cax21";
    const run = await planOfSections(sections);
    const printed = run.messages.filter((m) => m.severity === "warning").map((m) => m.message);
    assert.equal(printed.filter((line) => /site\.pools\[1\]\.serverType cax21 cannot be ordered now/.test(line)).length, 1, printed.join("\n"));
  });

  describe("the SSH key of a second site", () => {
    const prodKey = exampleSections("prod").site.sshPublicKey as string;
    /** Plans prod with these keys already in the offline Hetzner project. */
    async function planWithProjectKeys(labels: Record<string, string>) {
      OFFLINE_HCLOUD_PROJECT.sshKeys = [
        { id: 4711, name: "laptop", fingerprint: sshKeyFingerprint(prodKey), publicKey: prodKey, labels },
        { id: 4712, name: "other", fingerprint: "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff", publicKey: "ssh-ed25519 AAAA x", labels: {} },
      ];
      try {
        return await planOf("prod");
      } finally {
        OFFLINE_HCLOUD_PROJECT.sshKeys = [];
      }
    }

    it("uses a key already in the project by its ID, and creates none that a destroy would delete", async () => {
      const run = await planWithProjectKeys({ "k3s-sites/site": "staging" });
      assert.deepEqual(ofType(run, "hcloud:index/sshKey:SshKey"), []);
      for (const s of ofType(run, SERVER)) assert.deepEqual(s.inputs.sshKeys, ["4711"], s.name);
    });

    it("keeps managing the key it uploaded itself when a later run finds it", async () => {
      const run = await planWithProjectKeys({ "k3s-sites/site": "prod" });
      const key = byName(run, "site-hetzner-ssh-key");
      assert.deepEqual(key.inputs.labels, { "k3s-sites/site": "prod" });
      const server = byName(run, "site-hetzner-server-control-1");
      assert.notDeepEqual(server.inputs.sshKeys, ["4711"], "the key's ID must come from the stack's own resource");
      assert.equal((server.inputs.sshKeys as string[]).length, 1);
      assert.ok(server.dependsOn.includes(key.urn), "a server must wait for the key it is created with");
    });
  });
});
