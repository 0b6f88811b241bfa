import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fixedSettingsOf } from "../../src/cluster/guards";
import {
  checkMembership,
  checkRemovedPools,
  clusterMembersOf,
  helperOf,
  joinTargetOf,
  type ClusterMembers,
} from "../../src/cluster/membership";
import { formatProblem } from "../../src/config/problems";
import type { SiteConfig } from "../../src/config/site";
import { nodeConfig } from "../../src/k3s/config";
import { clone, exampleSections, parse1, sshSections } from "../helpers";

type Pool = { name: string; role: string; count: number; serverType: string };
const prodRaw = exampleSections("prod");
/** The prod example with its pools edited. */
function prodWith(edit: (pools: Pool[]) => void): SiteConfig {
  const raw = clone(prodRaw);
  edit(raw.site.pools as Pool[]);
  return parse1(raw);
}
const prod = parse1(prodRaw);
const control = (count: number) => prodWith((pools) => (pools.find((p) => p.name === "control")!.count = count));
/** What a deployment of `config` records, after `previous`. */
const recordOf = (config: SiteConfig, previous?: unknown) => fixedSettingsOf(config, clusterMembersOf(config, previous).record);

/** Who initializes, and whom each node joins: `node -> server`, or `node: cluster-init`. */
function joins(config: SiteConfig, members: ClusterMembers): string[] {
  return config.nodes.map((n) => {
    const target = joinTargetOf(config, members, n);
    const yaml = nodeConfig(config, { node: n, ...(target ? { joinServer: target } : {}) });
    if (yaml["cluster-init"] === true) return `${n.name}: cluster-init`;
    const server = config.nodes.find((s) => yaml.server === `https://${s.privateIp}:6443`);
    return `${n.name} -> ${server?.name ?? String(yaml.server)}`;
  });
}

describe("the cluster's identity across deployments", () => {
  it("is the first server on the first deployment, and is recorded with the fixed settings", () => {
    const members = clusterMembersOf(prod, undefined);
    assert.deepEqual(joins(prod, members), [
      "control-1: cluster-init",
      "control-2 -> control-1",
      "control-3 -> control-1",
      "worker-1 -> control-1",
      "worker-2 -> control-1",
    ]);
    const fixed = recordOf(prod);
    assert.equal(fixed.initServer, "control-1");
    assert.deepEqual(fixed.servers, ["control-1", "control-2", "control-3"]);
  });

  it("never moves cluster-init to a server pool listed above the first one; the new servers join the init server", () => {
    const lead = prodWith((pools) => pools.unshift({ name: "lead", role: "server", count: 2, serverType: "cpx22" }));
    const members = clusterMembersOf(lead, recordOf(prod));
    assert.deepEqual(joins(lead, members).slice(0, 3), ["lead-1 -> control-1", "lead-2 -> control-1", "control-1: cluster-init"]);
    assert.deepEqual(members.record, { initServer: "control-1", servers: ["control-1", "control-2", "control-3", "lead-1", "lead-2"] });
    // The next run keeps it too, now that lead-1 is a member and first in config order.
    assert.equal(clusterMembersOf(lead, recordOf(lead, recordOf(prod))).initServer, "control-1");
  });

  it("takes an older record's init server to be the first server it listed", () => {
    const { initServer: _i, servers: _s, ...older } = recordOf(prod);
    const lead = prodWith((pools) => pools.unshift({ name: "lead", role: "server", count: 2, serverType: "cpx22" }));
    assert.equal(clusterMembersOf(lead, older).initServer, "control-1");
    assert.deepEqual(clusterMembersOf(lead, older).members, ["control-1", "control-2", "control-3"]);
  });

  it("once the init server has left, joins every node through a remaining member and gives cluster-init to nobody", () => {
    // The old pool `control` goes to 0 over runs while the pool `big` grows; control-1 leaves last.
    const pools = (controlCount: number, big: number) =>
      prodWith((p) => {
        p.find((x) => x.name === "control")!.count = controlCount;
        p.push({ name: "big", role: "server", count: big, serverType: "cpx32" });
      });
    const before = recordOf(pools(1, 4), recordOf(pools(2, 3), recordOf(prod)));
    const after = pools(0, 5);
    const members = clusterMembersOf(after, before);
    assert.deepEqual(checkMembership(after, members), []);
    assert.equal(members.initServer, null);
    assert.equal(members.joinServer.name, "big-1");
    assert.deepEqual(joins(after, members), [
      "worker-1 -> big-1",
      "worker-2 -> big-1",
      "big-1 -> big-2",
      "big-2 -> big-1",
      "big-3 -> big-1",
      "big-4 -> big-1",
      "big-5 -> big-1",
    ]);
    // A server named control-1 added later is a new server: it joins.
    const back = pools(2, 5);
    assert.deepEqual(joins(back, clusterMembersOf(back, recordOf(after, before))).slice(0, 2), ["control-1 -> big-1", "control-2 -> big-1"]);
  });

  it("runs a node's removal on the join server, and the join server's own on the next member", () => {
    const members = clusterMembersOf(prod, recordOf(prod));
    const helper = (n: string) => helperOf(prod, members, prod.nodes.find((x) => x.name === n)!).name;
    assert.deepEqual(["control-1", "control-2", "worker-2"].map(helper), ["control-2", "control-1", "control-1"]);
  });

  it("reads an older Hetzner record's servers from its node addresses, those removed in this run too", () => {
    const { initServer: _i, servers: _s, ...older } = recordOf(control(5));
    const members = clusterMembersOf(control(1), older);
    assert.deepEqual(members.previousServers, ["control-1", "control-2", "control-3", "control-4", "control-5"]);
    assert.match(checkMembership(control(1), members).map(formatProblem)[0]!, /would remove 4 of the cluster's 5 etcd members/);
  });

  it("counts every server of an older home record as a member", () => {
    const home = parse1(sshSections());
    const { initServer: _i, servers: _s, ...older } = recordOf(home);
    assert.deepEqual(clusterMembersOf(home, older).record, { initServer: "nuc", servers: ["nuc"] });
  });
});

describe("guard on the etcd members a run removes", () => {
  const five = recordOf(control(5));
  const problems = (config: SiteConfig, previous: unknown) =>
    checkMembership(config, clusterMembersOf(config, previous)).map(formatProblem);

  it("lets a run remove a minority of the servers: 5 -> 3, and add any", () => {
    assert.deepEqual(problems(control(3), five), []);
    assert.deepEqual(problems(control(5), recordOf(prod)), []);
  });

  it("refuses 5 -> 1 with the members, the quorum and the way forward", () => {
    assert.deepEqual(problems(control(1), five), [
      "site.pools would remove 4 of the cluster's 5 etcd members (control-2, control-3, control-4, control-5) in one run, leaving 1: etcd needs 3 of its 5 members to agree, so a removal left half done would stop the cluster. Put the servers back, then remove at most 2 per run, keeping an odd number (e.g. 5 -> 3)",
    ]);
  });

  it("refuses 3 -> 1 and says that there is no way down in place", () => {
    assert.match(problems(control(1), recordOf(prod))[0]!, /leaving 1: etcd needs 2 of its 3 members .*one run may remove only 1 of them and an even number of servers is refused, so 3 servers cannot shrink further this way/);
  });

  it("refuses removing the join server together with the server its removal runs on", () => {
    // control-1 (the init server) and control-2 leave together, from five servers: a minority, but control-1's
    // removal would run on control-2 after control-2 has left.
    const five = prodWith((pools) => {
      pools.find((p) => p.name === "control")!.count = 2;
      pools.push({ name: "big", role: "server", count: 3, serverType: "cpx32" });
    });
    const before = recordOf(five, recordOf(prod));
    const three = prodWith((pools) => {
      pools.find((p) => p.name === "control")!.count = 0;
      pools.push({ name: "big", role: "server", count: 3, serverType: "cpx32" });
    });
    assert.deepEqual(problems(three, before), [
      "site.pools would remove control-1, the server the other nodes join through, together with control-2, the server control-1's removal runs on: remove them in two runs, control-2 first (keep an odd number of servers at each run, e.g. by adding a server to another pool in the same run)",
    ]);
    // One at a time: control-2 first (with a server added elsewhere), then control-1.
    const first = prodWith((pools) => {
      pools.find((p) => p.name === "control")!.count = 1;
      pools.push({ name: "big", role: "server", count: 4, serverType: "cpx32" });
    });
    assert.deepEqual(problems(first, before), []);
    const then = prodWith((pools) => {
      pools.find((p) => p.name === "control")!.count = 0;
      pools.push({ name: "big", role: "server", count: 5, serverType: "cpx32" });
    });
    assert.deepEqual(problems(then, recordOf(first, before)), []);
  });

  it("does not apply to a single-server sqlite site", () => {
    const raw = clone(sshSections());
    raw.k3s.datastore = "sqlite";
    const sqlite = parse1(raw);
    assert.deepEqual(checkMembership(sqlite, clusterMembersOf(sqlite, { ...recordOf(sqlite), servers: ["nuc", "old-1", "old-2"] })), []);
  });
});

describe("guard on pools that leave site.pools", () => {
  const problems = (config: SiteConfig) => checkRemovedPools(config, recordOf(prod)).map(formatProblem);

  it("refuses a pool that still has nodes (a rename looks the same), with how to replace it", () => {
    const renamed = prodWith((pools) => (pools.find((p) => p.name === "worker")!.name = "agents"));
    assert.deepEqual(problems(renamed), [
      "site.pools pool worker is gone but still has nodes worker-1, worker-2: a pool's name is part of its nodes' names, subnet and addresses, so renaming or removing it would delete all its servers at once. If you renamed it, set the name back to worker. To replace it: add the new pool beside it and pulumi up, then lower pool worker's count (each removed node is drained and deleted from Kubernetes before its server goes; servers keep a majority and an odd number at every run) down to 0, and only then remove it",
    ]);
  });

  it("lets a pool whose count is 0 go, and ignores home sites", () => {
    const empty = prodWith((pools) => (pools.find((p) => p.name === "worker")!.count = 0));
    const gone = prodWith((pools) => pools.splice(pools.findIndex((p) => p.name === "worker"), 1));
    assert.deepEqual(checkRemovedPools(gone, recordOf(empty, recordOf(prod))), []);
    assert.deepEqual(checkRemovedPools(parse1(sshSections()), recordOf(prod)), []);
  });
});
