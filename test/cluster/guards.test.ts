import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFixedSettings, fixedSettingsOf } from "../../src/cluster/guards";
import { formatProblem } from "../../src/config/problems";
import { clone, exampleSections, parse1 } from "../helpers";
import { planOf } from "../plan/run";

const home = fixedSettingsOf(parse1(exampleSections("home")));

function changed(edit: Partial<typeof home>): string[] {
  return checkFixedSettings(home, { ...home, ...edit }).map(formatProblem);
}

describe("guards on settings a live cluster cannot change", () => {
  it("pass the first deployment and an unchanged site", () => {
    assert.deepEqual(checkFixedSettings(undefined, home), []);
    assert.deepEqual(checkFixedSettings(structuredClone(home), home), []);
  });

  it("reject a changed pod range with both values and the way forward", () => {
    assert.deepEqual(changed({ clusterCidr: "10.52.0.0/16" }), [
      "k3s.clusterCidr cannot change on a live cluster: it was 10.42.0.0/16 when the site was created and is now 10.52.0.0/16 (every pod address and node pod range comes from it). Set it back to 10.42.0.0/16, or build a new site in a new stack and move the workloads over",
    ]);
  });

  it("reject changed service ranges, IP families, cluster domain, CNI and datastore", () => {
    const problems = changed({
      serviceCidr: "10.53.0.0/16",
      serviceCidrV6: null,
      ipFamilies: "ipv4",
      clusterDomain: "home.arpa",
      cni: "canal",
      datastore: "sqlite",
    });
    assert.deepEqual(
      problems.map((p) => p.split(" cannot change")[0]),
      ["k3s.serviceCidr", "k3s.serviceCidrV6", "k3s.ipFamilies", "k3s.clusterDomain", "cni.plugin", "k3s.datastore"],
    );
    assert.match(problems[1]!, /it was fd00:43::\/112 when the site was created and is now \(unset\)/);
    assert.match(problems[4]!, /it was cilium when the site was created and is now canal \(switching the CNI cuts every pod off the network\)/);
  });

  it("reject a changed cluster DNS address and a switched secrets encryption", () => {
    assert.deepEqual(changed({ clusterDns: "10.43.0.53", secretsEncryption: false }), [
      `k3s.clusterDns cannot change on a live cluster: it was ${home.clusterDns} when the site was created and is now 10.43.0.53 (every pod's resolv.conf and every kubelet point at it, and CoreDNS's Service keeps the old address). Set it back to ${home.clusterDns}, or build a new site in a new stack and move the workloads over`,
      "k3s.secretsEncryption cannot change on a live cluster: it was true when the site was created and is now false (the Secrets already stored stay as they were written, and switching needs k3s's own secrets-encrypt steps on every server). Set it back to true, or build a new site in a new stack and move the workloads over",
    ]);
  });

  it("reject a changed Calico block size, which the IPPool CRD refuses, and record none on other CNIs", () => {
    const multisite = parse1(exampleSections("multisite"));
    const before = fixedSettingsOf(multisite);
    assert.deepEqual([before.calicoBlockSize, before.calicoBlockSizeV6], [26, 122]);
    const raw = clone(exampleSections("multisite"));
    raw.cni.calico = { ...raw.cni.calico, blockSize: 27, blockSizeV6: 120 };
    const problems = checkFixedSettings(before, fixedSettingsOf(parse1(raw))).map(formatProblem);
    assert.deepEqual(problems.map((p) => p.split(" cannot change")[0]), ["cni.calico.blockSize", "cni.calico.blockSizeV6"]);
    assert.match(problems[0]!, /it was 26 when the site was created and is now 27 \(Calico's IPPool refuses a new block size/);
    assert.deepEqual([home.calicoBlockSize, home.calicoBlockSizeV6], [null, null]);
  });

  it("reject a changed Flannel backend, which reaches the nodes one restart at a time, and record none on other CNIs", () => {
    const before = fixedSettingsOf(parse1(exampleSections("lan")));
    assert.equal(before.flannelBackend, "vxlan");
    const raw = clone(exampleSections("lan"));
    raw.cni.flannel = { ...raw.cni.flannel, backend: "wireguard-native" };
    assert.deepEqual(checkFixedSettings(before, fixedSettingsOf(parse1(raw))).map(formatProblem), [
      "cni.flannel.backend cannot change on a live cluster: it was vxlan when the site was created and is now wireguard-native (each node takes the new backend only when its k3s restarts, and until every node has, pods on nodes with different backends cannot reach each other; a server restarted with it is refused by the others, which k3s checks agree on flannel-backend). Set it back to vxlan, or build a new site in a new stack and move the workloads over",
    ]);
    raw.cni.flannel = { ...raw.cni.flannel, backend: "vxlan", interface: "eno2" };
    assert.deepEqual(checkFixedSettings(before, fixedSettingsOf(parse1(raw))), [], "the interface is per node and may change");
    assert.equal(home.flannelBackend, null);
  });

  it("stop the lan example's run when it was created with another Flannel backend", async () => {
    const first = await planOf("lan");
    const fixed = first.outputs.fixedSettings as Record<string, unknown>;
    assert.equal(fixed.flannelBackend, "vxlan");
    await assert.rejects(planOf("lan", undefined, { fixedSettings: { ...fixed, flannelBackend: "host-gw" } }), (err: Error) => {
      assert.match(err.message, /cni\.flannel\.backend cannot change on a live cluster: it was host-gw when the site was created and is now vxlan/);
      return true;
    });
  });

  it("ignore settings an older deployment did not record", () => {
    const { cni: _cni, ...older } = home;
    assert.deepEqual(checkFixedSettings(older, { ...home, cni: "canal" }), []);
  });
});

describe("guards on a Hetzner site's location, network and node addresses", () => {
  const prodRaw = exampleSections("prod");
  const prod = fixedSettingsOf(parse1(prodRaw));
  /** The fixed settings of the prod example after `edit` changes its site section. */
  function prodWith(edit: (site: any) => void): typeof prod {
    const raw = clone(prodRaw);
    edit(raw.site);
    return fixedSettingsOf(parse1(raw));
  }
  const problems = (now: typeof prod) => checkFixedSettings(structuredClone(prod), now).map(formatProblem);

  it("record the location, the network and every node's planned address, and nothing of them at home", () => {
    assert.equal(prod.location, "fsn1");
    assert.equal(prod.nodeNetwork, "10.0.0.0/16");
    assert.deepEqual(Object.keys(prod.nodeIps ?? {}), ["control-1", "control-2", "control-3", "worker-1", "worker-2"]);
    assert.deepEqual([home.location, home.nodeNetwork, home.nodeIps], [null, null, null]);
  });

  it("reject moving the site to another location of the same network zone", () => {
    assert.deepEqual(problems(prodWith((site) => (site.location = "nbg1"))), [
      "site.location cannot change on a live cluster: it was fsn1 when the site was created and is now nbg1 (Hetzner would delete and rebuild every server and the load balancer there, with their public addresses). Set it back to fsn1, or build a new site in a new stack and move the workloads over",
    ]);
  });

  it("reject a new subnet size that would move the nodes, naming each node and both addresses", () => {
    const moved = problems(prodWith((site) => (site.network = { ...site.network, subnetPrefix: 25 })));
    assert.equal(moved.length, 5);
    assert.match(
      moved[0]!,
      /^site\.pools would move node control-1 on a live cluster from private address 10\.0\.\d+\.\d+ to 10\.0\.\d+\.\d+ .*so that control-1 keeps/,
    );
  });

  it("reject a new network range", () => {
    const changed = problems(prodWith((site) => (site.network = { ...site.network, cidr: "10.1.0.0/16" })));
    assert.match(changed[0]!, /^site\.network\.cidr cannot change on a live cluster: it was 10\.0\.0\.0\/16/);
    assert.equal(changed.length, 6); // the range, and every node with it
  });

  it("let pools grow and shrink, and new pools come, without moving a node that stays", () => {
    const grown = prodWith((site) => {
      site.pools[1].count = 4;
      site.pools.push({ name: "batch", role: "agent", count: 2, serverType: "cpx32" });
    });
    assert.deepEqual(problems(grown), []);
    assert.deepEqual(problems(prodWith((site) => (site.pools[1].count = 1))), []);
  });

  it("reject a pool's new server type, which would power off all its servers at once, with the safe steps", () => {
    const resized = problems(prodWith((site) => (site.pools[0].serverType = "cpx32")));
    assert.deepEqual(resized, [
      "site.pools[0].serverType cannot change on a live site: pool control was created with cpx22 and is now cpx32, and Hetzner powers off each server to change its type, so Pulumi would stop all 3 of its servers at once. Set it back to cpx22. To move the pool to cpx32: add a pool with the same role and serverType cpx32 beside it, pulumi up, then lower pool control's count one node per run (kubectl drain each node first) down to 0 and remove the pool; for a server pool keep the number of servers odd at every run (see docs/hetzner.md, \"Changing a pool's serverType\")",
    ]);
  });

  it("let a new or empty pool bring its own server type, and pass a deployment that recorded no server types", () => {
    assert.deepEqual(
      problems(prodWith((site) => site.pools.push({ name: "big", role: "agent", count: 1, serverType: "cpx32" }))),
      [],
    );
    const empty = prodWith((site) => (site.pools[1].count = 0));
    const resizedEmpty = prodWith((site) => {
      site.pools[1].count = 2;
      site.pools[1].serverType = "cpx32";
    });
    assert.deepEqual(checkFixedSettings(structuredClone(empty), resizedEmpty), [], "a pool with no servers yet may change type");
    const { serverTypes: _types, ...older } = prod;
    const now = prodWith((site) => (site.pools[1].serverType = "cpx32"));
    assert.deepEqual(checkFixedSettings(older, now), []);
  });

  it("record each pool's server type in config order, and none at home", () => {
    assert.deepEqual(prod.serverTypes, [
      { pool: "control", serverType: "cpx22" },
      { pool: "worker", serverType: "cpx22" },
    ]);
    assert.equal(home.serverTypes, null);
  });
});
