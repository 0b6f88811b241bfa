import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../../src/config/problems";
import { parseSiteConfig } from "../../src/config/load";
import { checkServerCount, serverCountAdvice } from "../../src/config/rules-nodes";
import { clone, hetznerSections, parse1 } from "../helpers";
import { planOfSections } from "../plan/run";

/** Prod-like sections with `servers` control-plane servers. */
function withServers(servers: number) {
  const raw = clone(hetznerSections());
  raw.site.pools[0].count = servers;
  return raw;
}

/** The problem lines of a parse with the running cluster's server count. */
function problems(servers: number, runningServers?: number): string[] {
  try {
    parseSiteConfig(withServers(servers), "test", { runningServers });
    return [];
  } catch (err) {
    return (err as { problems: Parameters<typeof formatProblem>[0][] }).problems.map(formatProblem);
  }
}

describe("advice on the number of servers accounts for the running cluster", () => {
  it("offers both odd neighbours of an even count before the first deployment", () => {
    assert.deepEqual(problems(2), ["site.pools has 2 nodes with role server: etcd needs an odd number to keep a quorum; use 1 or 3"]);
  });

  it("offers only the count one run reaches when the cluster runs 3 servers", () => {
    assert.deepEqual(problems(2, 3), [
      "site.pools has 2 nodes with role server: etcd needs an odd number to keep a quorum; the running cluster has 3 " +
        "servers, so use 3 (1 would remove 2 of its 3 etcd members in one run)",
    ]);
  });

  it("offers both when a running cluster of 5 can reach either", () => {
    assert.deepEqual(problems(4, 5), [
      "site.pools has 4 nodes with role server: etcd needs an odd number to keep a quorum; the running cluster has 5 servers, so use 3 or 5",
    ]);
  });

  it("tells a running cluster with no server left to keep its servers", () => {
    assert.deepEqual(problems(0, 3), [
      "site.pools has 0 nodes with role server: the running cluster has 3 servers, so use 3 (1 would remove 2 of its 3 etcd members in one run)",
    ]);
  });

  it("names the counts one run reaches, and why the others are refused", () => {
    assert.equal(serverCountAdvice([2, 4], 7), "the running cluster has 7 servers, so use 4 (2 would remove 5 of its 7 etcd members in one run)");
    assert.equal(serverCountAdvice([1], 3), "the running cluster has 3 servers: keep 3 (1 would remove 2 of its 3 etcd members in one run)");
  });

  it("accepts an odd count whatever runs", () => {
    assert.deepEqual(checkServerCount(parse1(withServers(3)), { runningServers: 5 }), []);
  });

  it("reads the running cluster from the previous deployment's record in the whole program", async () => {
    const raw = withServers(2);
    await assert.rejects(
      planOfSections(raw, "test", { fixedSettings: { initServer: "control-1", servers: ["control-1", "control-2", "control-3"] } }),
      (err: Error) => {
        assert.match(err.message, /etcd needs an odd number to keep a quorum; the running cluster has 3 servers, so use 3 \(1 would remove 2 of its 3 etcd members in one run\)/);
        return true;
      },
    );
  });
});
