import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ROOT } from "../helpers";

describe("the policy pack in CI", () => {
  it("runs on every pull-request preview through pulumi/actions v6's policyPacks input", () => {
    const workflow = parse(readFileSync(join(ROOT, ".github/workflows/preview.yml"), "utf8")) as {
      jobs: { preview: { steps: { uses?: string; with?: Record<string, unknown> }[] } };
    };
    const step = workflow.jobs.preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(step?.uses, "pulumi/actions@v6");
    assert.equal(step?.with?.command, "preview");
    assert.equal(step?.with?.policyPacks, "policy");
  });

  it("is a Node.js pack whose package.json has the version PolicyPack's constructor reads", () => {
    const manifest = parse(readFileSync(join(ROOT, "policy/PulumiPolicy.yaml"), "utf8")) as { runtime: string };
    assert.equal(manifest.runtime, "nodejs");
    const pkg = JSON.parse(readFileSync(join(ROOT, "policy/package.json"), "utf8")) as { version?: string; main?: string; dependencies?: unknown };
    assert.match(pkg.version ?? "", /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.main, "index.ts");
    // No dependencies of its own: it resolves @pulumi/policy from the root node_modules (one lock file).
    assert.equal(pkg.dependencies, undefined);
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.equal(root.dependencies["@pulumi/policy"], "1.21.0");
  });
});
