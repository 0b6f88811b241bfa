/** The checks rerun when what they check changes, and only then: through the offline preview, as `plan --previous`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffStates } from "../../plan/diff";
import { previousFromPlanFiles, stateOfRun } from "../../plan/diff-state";
import type { ProgramRun } from "../../plan/engine";
import { renderFiles } from "../../plan/render";
import { edited, exampleConfig, planConfig } from "../scenarios/harness";

function jobSteps(before: ProgramRun, after: ProgramRun): string[] {
  const files = renderFiles(before);
  const previous = previousFromPlanFiles(files["resources.json"] as string, files["outputs.json"]);
  return diffStates(previous, stateOfRun(after), { stack: after.stack, project: after.project })
    .steps.filter((s) => s.type === "kubernetes:batch/v1:Job" && s.action !== "same")
    .map((s) => `${s.action}${s.deleteBeforeReplace ? " (delete first)" : ""} ${s.name}`);
}

describe("verification reruns", () => {
  it("replaces every check's Job, new one first, after a k3s upgrade", async () => {
    const config = exampleConfig("prod");
    const before = await planConfig(config);
    const after = await planConfig(edited(config, (c) => (c["k3s-sites:k3s"].version = "v1.36.4+k3s1")), before);
    assert.deepEqual(jobSteps(before, after).sort(), [
      "replace site-verify-certificates",
      "replace site-verify-dns",
      "replace site-verify-edge",
      "replace site-verify-edge-host",
      "replace site-verify-pods",
      "replace site-verify-policies",
      "replace site-verify-policies-app",
      "replace site-verify-policies-app-server",
    ]);
  });

  it("reruns nothing when the site is the same, or only the operators' addresses change", async () => {
    const config = exampleConfig("prod");
    const before = await planConfig(config);
    assert.deepEqual(jobSteps(before, await planConfig(config, before)), []);
    const cidrs = edited(config, (c) => (c["k3s-sites:site"].operatorCidrs = ["198.51.100.9/32"]));
    assert.deepEqual(jobSteps(before, await planConfig(cidrs, before)), []);
  });
});
