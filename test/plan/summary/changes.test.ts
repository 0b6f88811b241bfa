/** With --previous, the summary starts with what changes: servers and drains first, routine steps folded. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffStates, type PreviewDiff } from "../../../plan/diff";
import { previousFromPlanFiles, stateOfRun } from "../../../plan/diff-state";
import type { ProgramRun } from "../../../plan/engine";
import { renderFiles } from "../../../plan/render";
import { changeLines, shortName } from "../../../plan/summary/changes";
import { edited, exampleConfig, planConfig } from "../../scenarios/harness";

/** What `plan --previous <before's folder>` compares, the check Jobs included. */
function diffOf(before: ProgramRun, after: ProgramRun): PreviewDiff {
  const files = renderFiles(before);
  const previous = previousFromPlanFiles(files["resources.json"] as string, files["outputs.json"]);
  return diffStates(previous, stateOfRun(after), { stack: after.stack, project: after.project });
}

describe("the plan summary's changes", () => {
  it("puts a deleted server and its drain first, folds the node scripts and the checks into a line each", async () => {
    const prod = exampleConfig("prod");
    const before = await planConfig(prod);
    const after = await planConfig(
      edited(prod, (c) => {
        c["k3s-sites:site"].pools[1].count = 1;
        c["k3s-sites:k3s"].version = "v1.36.4+k3s1"; // a patch down: one minor per run allows it
      }),
      before,
    );
    const diff = diffOf(before, after);
    const lines = changeLines(diff, "out/prod-before (a previous plan)");
    assert.deepEqual(lines.slice(0, -1), [
      "what changes, against out/prod-before (a previous plan):",
      "  servers deleted: worker-2 (its disk goes with it)",
      "  nodes leaving the cluster, each drained and its Node deleted first: worker-2",
      "  bootstrap commands leave the stack (nothing runs; k3s stays on the host): worker-2",
      "  k3s's node script runs again, in place, on: control-1, control-2, control-3, worker-1",
      "  checks run again: 8 check Jobs replaced (routine: what they check changed)",
    ]);
    // The counts of the last line add up to every step of the preview.
    const last = lines.at(-1)!;
    const total = Number(/^ {2}(\d+) steps/.exec(last)?.[1]);
    const parts = [...last.matchAll(/(\d+) to /g)].map((m) => Number(m[1]));
    assert.equal(total, diff.steps.length);
    assert.equal(parts.reduce((a, b) => a + b, 0), total);
  });

  it("names servers created, and other changes by kind with short names", async () => {
    const prod = exampleConfig("prod");
    const before = await planConfig(prod);
    const after = await planConfig(
      edited(prod, (c) => {
        c["k3s-sites:site"].pools[1].count = 3;
        c["k3s-sites:site"].operatorCidrs.push("198.51.100.7/32");
      }),
      before,
    );
    const lines = changeLines(diffOf(before, after), "prod.json (a stack export)");
    assert.equal(lines[1], "  servers created: worker-3");
    assert.ok(lines.includes("  update Firewall: firewall"), lines.join("\n"));
    assert.ok(lines.includes("  create Command: worker-3 bootstrap, worker-3 membership"), lines.join("\n"));
  });

  it("says when nothing changes, and shortens names", async () => {
    const before = await planConfig(exampleConfig("prod"));
    const lines = changeLines(diffOf(before, before), "itself");
    assert.equal(lines[1], "  nothing: pulumi up would leave every resource as it is");
    assert.equal(shortName({ type: "hcloud:index/server:Server", name: "site-hetzner-server-control-1" }), "control-1");
    assert.equal(shortName({ type: "command:remote:Command", name: "site-k3s-membership-pi-1" }), "pi-1 membership");
    assert.equal(shortName({ type: "hcloud:index/loadBalancerService:LoadBalancerService", name: "site-hetzner-lb-service-smtp" }), "service-smtp");
  });
});
