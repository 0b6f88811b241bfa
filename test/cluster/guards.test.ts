import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFixedSettings, fixedSettingsOf } from "../../src/cluster/guards";
import { formatProblem } from "../../src/config/errors";
import { exampleSections, parse1 } from "../helpers";

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

  it("ignore settings an older deployment did not record", () => {
    const { cni: _cni, ...older } = home;
    assert.deepEqual(checkFixedSettings(older, { ...home, cni: "canal" }), []);
  });
});
