/**
 * What a chart upgrade replaces, on the real renders: the provider's force-new fields (plan/replacements.ts, from
 * pulumi-kubernetes provider/pkg/provider/diff.go at v4.32.0) applied to the objects that change.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { diffObjects } from "../../../plan/charts/diff";
import { findHelm } from "../../../plan/charts/helm";
import { renderChart, type RenderedChart } from "../../../plan/charts/render";
import { CILIUM_CHART } from "../../../src/cni/cilium";
import { CERT_MANAGER_CHART } from "../../../src/certificates/cert-manager/cert-manager";
import { plan } from "../command-run";
import { HELM_SKIP, chartOf, siteUnderTest, type SiteName } from "./support";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

async function upgrade(siteName: SiteName, chart: string, from: string): Promise<{ old: RenderedChart; current: RenderedChart }> {
  const site = await siteUnderTest(siteName);
  const current = chartOf(site, chart);
  const helm = findHelm();
  assert.ok("helm" in helm);
  return { old: renderChart(helm.helm, { ...current.spec, version: from }, site.charts.capabilities), current };
}

describe("chart upgrades", skip, () => {
  it("replaces cert-manager's startupapicheck Job from v1.21.1 to the pinned release, deleting it first, and nothing else", async () => {
    assert.equal(CERT_MANAGER_CHART.version, "v1.21.2", "this test reads the upgrade to the pinned version");
    const { old, current } = await upgrade("prod", "cert-manager", "v1.21.1");
    const diff = diffObjects(old.objects, current.objects);
    const replaced = diff.changed.filter((c) => c.replacement);
    assert.deepEqual(
      replaced.map((c) => [c.key, c.replacement]),
      [["Job cert-manager/cert-manager-startupapicheck", { fields: ["spec.template"], deleteFirst: true }]],
    );
    assert.ok(replaced[0]!.paths.some((p) => /^spec\.template\.spec\.containers\[0\]\.image: .*startupapicheck:v1\.21\.1" -> .*startupapicheck:v1\.21\.2"$/.test(p)));
    // At both versions the Job is an ordinary object with a fixed name (the program's hook overrides), so the new Job
    // is created under the same name and Pulumi waits for it to complete, as on the first install.
    for (const c of [old, current]) {
      const job = c.objects.find((o) => o.kind === "Job")!;
      assert.equal(job.metadata.name, "cert-manager-startupapicheck");
      assert.equal(job.metadata.annotations?.["helm.sh/hook"], undefined);
      assert.equal((job.metadata as { generateName?: string }).generateName, undefined);
      assert.equal(c.hooks.length, 0);
    }
    // The Deployments change their images too, in place: their pod templates are not force-new.
    assert.ok(diff.changed.some((c) => c.key === "Deployment cert-manager/cert-manager-webhook" && !c.replacement));
  });

  it("moves Cilium from the previous pin 1.19.6 to 1.20.0: its two ConfigMaps replaced, the agents rolled in place", async () => {
    assert.equal(CILIUM_CHART.version, "1.20.0", "this test reads the upgrade to the pinned version");
    const { old, current } = await upgrade("home", "cilium", "1.19.6");
    const diff = diffObjects(old.objects, current.objects);
    // ConfigMap data is force-new in the provider: the two ConfigMaps whose data 1.20 changes are deleted first and
    // created again under the same name; nothing else is replaced.
    assert.deepEqual(
      diff.changed.filter((c) => c.replacement).map((c) => [c.key, c.replacement]),
      [
        ["ConfigMap kube-system/cilium-config", { fields: ["data"], deleteFirst: true }],
        ["ConfigMap kube-system/cilium-envoy-config", { fields: ["data"], deleteFirst: true }],
      ],
    );
    // The agents, Envoy, the operator and the relay change image in place (their selectors stay), so Kubernetes rolls
    // them one node at a time; the config checksum on the pod templates makes the agents and the operator restart.
    for (const key of ["DaemonSet kube-system/cilium", "DaemonSet kube-system/cilium-envoy", "Deployment kube-system/cilium-operator", "Deployment kube-system/hubble-relay"]) {
      const change = diff.changed.find((c) => c.key === key);
      assert.ok(change && !change.replacement, key);
      assert.ok(change.paths.some((p) => /image: .*:v1\.19\.6@sha256:.* -> .*:v1\.20\.0@sha256:/.test(p) || /cilium-envoy:/.test(p)), key);
    }
    // The certgen Job's name is a digest of its spec: a new object (a new URN), not a replaced one.
    assert.deepEqual(
      [diff.added, diff.removed].map((keys) => keys.filter((k) => k.startsWith("Job ")).length),
      [1, 1],
    );
    // The values the program sets mean the same on both: only 1.20's new defaults enter cilium-config.
    const added = diff.changed.find((c) => c.key === "ConfigMap kube-system/cilium-config")!.paths;
    assert.ok(added.every((p) => /^data\.[\w-]+: \(absent\) -> /.test(p)), added.join("\n"));
  });

  it("prints the Cilium move in npm run plan --chart-diff cilium=1.19.6", async () => {
    const out = mkdtempSync(join(tmpdir(), "plan-upgrade-"));
    try {
      const result = await plan("--stack", "home", "--out", join(out, "home"), "--chart-diff", "cilium=1.19.6");
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^chart cilium 1\.19\.6 -> 1\.20\.0: 1 added, 1 removed, \d+ changed \(2 replaced\)$/m);
      assert.match(
        result.stdout,
        /^ {2}~ ConfigMap kube-system\/cilium-config \(replaced: data is force-new in the provider; deleted first, then created with the same name\)$/m,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("prints the replacement in npm run plan --chart-diff cert-manager=v1.21.1", async () => {
    const out = mkdtempSync(join(tmpdir(), "plan-upgrade-"));
    try {
      const result = await plan("--stack", "home", "--out", join(out, "home"), "--chart-diff", "cert-manager=v1.21.1");
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^chart cert-manager v1\.21\.1 -> v1\.21\.2: 0 added, 0 removed, \d+ changed \(1 replaced\)$/m);
      assert.match(
        result.stdout,
        /^ {2}~ Job cert-manager\/cert-manager-startupapicheck \(replaced: spec\.template is force-new in the provider; deleted first, then created with the same name\)$/m,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
