import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { clusterPrefixes, renderBird, renderFrr, routerFiles, routerPlans } from "../../../src/cni/calico/routers";
import { exampleSections, parse1, sshSections } from "../../helpers";

const config = () => parse1(exampleSections("multisite"));

/** Whether a command runs here; the parsers come from Debian's frr and bird2 (.ci/run installs them). */
function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

const dir = mkdtempSync(join(tmpdir(), "k3s-sites-routers-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function fileOf(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("the routers' side of BGP", () => {
  it("neighbours are the segment's nodes in the cluster's AS; prefixes the pod and Service ranges", () => {
    const plans = routerPlans(config());
    assert.deepEqual(plans.map((p) => p.segment), ["home-a", "home-b", "vps"]);
    const homeA = plans[0]!;
    assert.equal(homeA.clusterAs, 64512);
    assert.deepEqual(homeA.neighbours, [
      { node: "nuc", address: "10.20.1.10", family: 4 },
      { node: "pi", address: "10.20.1.21", family: 4 },
      { node: "nuc", address: "fd00:20:1::10", family: 6 },
      { node: "pi", address: "fd00:20:1::21", family: 6 },
    ]);
    assert.deepEqual(clusterPrefixes(config()), { v4: ["10.42.0.0/16", "10.43.0.0/16"], v6: ["fd00:42::/56", "fd00:43::/112"] });
    assert.deepEqual(Object.keys(routerFiles(config(), "multisite")).sort(), [
      "home-a.bird.conf", "home-a.frr.conf", "home-b.bird.conf", "home-b.frr.conf", "vps.bird.conf", "vps.frr.conf",
    ]);
    // A site without routers writes none.
    assert.deepEqual(routerFiles(parse1({ ...sshSections(), cni: { plugin: "calico" } }), "home"), {});
  });

  it("FRR: the router's AS, one neighbour per node and family, the prefixes in and out", () => {
    const text = renderFrr(routerPlans(config())[1]!, "multisite");
    assert.match(text, /^router bgp 65102$/m);
    assert.match(text, /^ neighbor K3S-SITES remote-as 64512$/m);
    assert.match(text, /^ neighbor 10\.20\.2\.10 peer-group K3S-SITES$/m);
    assert.match(text, /^ neighbor fd00:20:2::10 peer-group K3S-SITES-V6$/m);
    assert.match(text, /^ip prefix-list K3S-SITES seq 5 permit 10\.42\.0\.0\/16 ge 16 le 32$/m);
    assert.match(text, /^ip prefix-list K3S-SITES seq 10 permit 10\.43\.0\.0\/16 ge 16 le 32$/m);
    assert.match(text, /^ipv6 prefix-list K3S-SITES-V6 seq 5 permit fd00:42::\/56 ge 56 le 128$/m);
    assert.match(text, /^  neighbor K3S-SITES route-map K3S-SITES in$/m);
    assert.match(text, /^  neighbor K3S-SITES route-map K3S-SITES out$/m);
    // The password is the user's secret: never in the file, only where to put it, commented out.
    assert.match(text, /^ ! neighbor K3S-SITES password <the secret k3s-sites:bgpPassword>$/m);
    assert.doesNotMatch(renderFrr(routerPlans(config())[0]!, "multisite"), /password/);
    assert.doesNotMatch(text, /10\.20\.1\.10|10\.20\.3\.10/); // other segments' nodes are not neighbours
  });

  it("BIRD: a bgp protocol per node and family from a template in the router's AS, filtered both ways", () => {
    const text = renderBird(routerPlans(config())[2]!, "multisite");
    assert.match(text, /^  local as 65103;$/m);
    assert.match(text, /^protocol bgp k3s_vps_1_v4 from k3s_sites_nodes_v4 \{\n  neighbor 10\.20\.3\.10 as 64512;\n\}$/m);
    assert.match(text, /^protocol bgp k3s_vps_1_v6 from k3s_sites_nodes_v6 \{\n  neighbor fd00:20:3::10 as 64512;\n\}$/m);
    assert.match(text, /^  if net ~ \[ 10\.42\.0\.0\/16\+, 10\.43\.0\.0\/16\+ \] then accept;$/m);
    assert.match(text, /^  if net ~ \[ fd00:42::\/56\+, fd00:43::\/112\+ \] then accept;$/m);
    assert.match(text, /^    import filter k3s_sites_v4;\n    export filter k3s_sites_v4;$/m);
  });

  const frr = has("vtysh");
  it("FRR's own parser accepts every frr.conf (vtysh -C)", { skip: frr ? false : "vtysh not installed (Debian package frr; .ci/run installs it)" }, () => {
    for (const [name, text] of Object.entries(routerFiles(config(), "multisite")).filter(([n]) => n.endsWith(".frr.conf"))) {
      const run = spawnSync("vtysh", ["-C", "-f", fileOf(name, text)], { encoding: "utf8" });
      assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
    }
    // The check can fail: a misspelt command is refused.
    const bad = spawnSync("vtysh", ["-C", "-f", fileOf("bad.frr.conf", "router bgp 65001\n neighbor 10.0.0.1 remote-az 1\n")]);
    assert.notEqual(bad.status, 0);
  });

  const bird = has("bird");
  it("BIRD's own parser accepts every bird.conf (bird -p)", { skip: bird ? false : "bird not installed (Debian package bird2; .ci/run installs it)" }, () => {
    for (const [name, text] of Object.entries(routerFiles(config(), "multisite")).filter(([n]) => n.endsWith(".bird.conf"))) {
      const run = spawnSync("bird", ["-p", "-c", fileOf(name, text)], { encoding: "utf8" });
      assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
    }
    const bad = spawnSync("bird", ["-p", "-c", fileOf("bad.bird.conf", "protocol bgp x { neighbor 10.0.0.1 az 1; }\n")]);
    assert.notEqual(bad.status, 0);
  });
});
