import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configReference, stackFileJsonSchema } from "../../src/config/json-schema";
import { CONFIG_REFERENCE_PATH, README_MARKERS } from "../../src/config/readme";
import { isHetzner } from "../../src/config/site";
import { metallbOf, nginxAddressOf } from "../../src/lb/metallb/metallb";
import { ROOT, exampleSections, parse1 } from "../helpers";
import { planOf } from "../plan/run";
import { TYPE } from "../../src/type-tokens";

const EXAMPLES = ["prod", "home", "lan", "multisite"] as const;

describe("example stacks", () => {
  it("prod is a Hetzner site with 3 servers, 2 agents, Canal and the mail ports", () => {
    const site = parse1(exampleSections("prod"));
    assert.ok(isHetzner(site.site));
    assert.equal(site.nodes.filter((n) => n.role === "server").length, 3);
    assert.equal(site.nodes.filter((n) => n.role === "agent").length, 2);
    assert.equal(site.cni.plugin, "canal");
    assert.equal(site.ingress.proxyProtocol, true);
    assert.deepEqual(
      site.site.loadBalancer.services.map((s) => s.listenPort),
      [25, 465, 587, 993],
    );
    assert.equal(site.k3s.clusterDns, "10.43.0.10");
  });

  it("home is an ssh site with an arm64 Pi, a jump host, Cilium L2 and dual-stack", () => {
    const site = parse1(exampleSections("home"));
    assert.equal(site.site.kind, "ssh");
    assert.equal(site.nodes.length, 3);
    assert.ok(site.nodes.some((n) => n.arch === "arm64"));
    assert.ok(site.nodes.some((n) => n.ssh?.jumpHost !== undefined));
    assert.equal(site.cni.plugin, "cilium");
    assert.deepEqual(site.cni.cilium.l2Announcements?.interfaces, ["eth0", "eno1"]);
    assert.equal(site.k3s.ipFamilies, "dual-stack");
    assert.equal(site.ingress.proxyProtocol, false);
  });

  it("lan is an ssh site on k3s's Flannel with MetalLB L2 for nginx", () => {
    const site = parse1(exampleSections("lan"));
    assert.equal(site.site.kind, "ssh");
    assert.equal(site.cni.plugin, "flannel");
    assert.equal(site.cni.flannel.backend, "vxlan");
    assert.equal(metallbOf(site)?.pools[0]?.advertise, "l2");
    assert.equal(nginxAddressOf(metallbOf(site)!), "192.168.10.240");
  });

  it("multisite is one ssh site over three segments, each with its router: Calico with BGP, dual-stack", () => {
    const site = parse1(exampleSections("multisite"));
    assert.equal(site.site.kind, "ssh");
    assert.equal(site.cni.plugin, "calico");
    assert.equal(site.k3s.ipFamilies, "dual-stack");
    assert.ok(site.site.kind === "ssh");
    assert.deepEqual(
      site.site.segments.map((s) => [s.name, s.router?.asNumber]),
      [["home-a", 65101], ["home-b", 65102], ["vps", 65103]],
    );
    assert.deepEqual(site.nodes.map((n) => [n.name, n.segment]), [["nuc", "home-a"], ["pi", "home-a"], ["mini", "home-b"], ["vps-1", "vps"]]);
  });

  it("every Pulumi.<stack>.yaml in the repository is one of the examples tested here", () => {
    const stacks = readdirSync(ROOT)
      .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
      .map((f) => f.slice("Pulumi.".length, -".yaml".length))
      .sort();
    assert.deepEqual(stacks, [...EXAMPLES].sort());
    for (const stack of EXAMPLES) parse1(exampleSections(stack));
  });

  it("every example stack plans offline", async () => {
    for (const stack of EXAMPLES) {
      const run = await planOf(stack);
      assert.ok(run.resources.some((r) => r.type === TYPE.site), stack);
    }
  });

  it("point editors at the committed JSON Schema", () => {
    for (const stack of EXAMPLES) {
      const first = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8").split("\n")[0];
      assert.equal(first, "# yaml-language-server: $schema=./schema/stack-config.json");
    }
  });
});

describe("generated files", () => {
  it("schema/stack-config.json matches the zod schema (run npm run schema)", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "schema/stack-config.json"), "utf8"));
    assert.deepEqual(committed, stackFileJsonSchema());
  });

  it(`the config reference in ${CONFIG_REFERENCE_PATH} matches the zod schema (run npm run schema)`, () => {
    const doc = readFileSync(join(ROOT, CONFIG_REFERENCE_PATH), "utf8");
    const start = doc.indexOf(README_MARKERS.start) + README_MARKERS.start.length;
    const end = doc.indexOf(README_MARKERS.end);
    assert.ok(start > README_MARKERS.start.length && end > start, `${CONFIG_REFERENCE_PATH} lacks the config reference markers`);
    assert.equal(doc.slice(start, end), `\n${configReference()}`);
  });
});
