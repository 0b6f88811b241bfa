/**
 * The way up from the old pins (issue 26): a site deployed on k3s v1.33.5+k3s1 (and, at home, Cilium 1.19.6) reaches
 * the examples' v1.36.5+k3s1 one Kubernetes minor per pulumi up (src/k3s/rules-upgrade.ts). Each run is planned from
 * the outputs of the run before it, as `pulumi up` reads them; a refused run stops before any resource.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProgramRun } from "../../plan/engine";
import { OLD_K3S } from "./cases";
import { changed, destructive, edited, exampleConfig, planConfig, previewOf, type StackConfig } from "./harness";

const K3S = "k3s-sites:k3s";
const CNI = "k3s-sites:cni";
/** The newest release of each minor on the way (src/versions/support.ts, SUPPORT.k3s). */
const PATH = ["v1.34.12+k3s1", "v1.35.9+k3s1", "v1.36.4+k3s1", "v1.36.5+k3s1"] as const;

const prodAt = (version: string) => edited(exampleConfig("prod"), (c) => (c[K3S].version = version));
const refusal = (err: Error) => err.message.replace(/\s+/g, " ");

/** A plan made once, when first asked for: the engine runs one program at a time. */
function once(plan: () => Promise<ProgramRun>): () => Promise<ProgramRun> {
  let run: Promise<ProgramRun> | undefined;
  return () => (run ??= plan());
}

describe("from the old k3s pin to the 1.36 line, prod", () => {
  const old = once(() => planConfig(prodAt(OLD_K3S)));

  it("refuses the jump to the examples' version before any resource, with the path to take", async () => {
    assert.equal(exampleConfig("prod")[K3S].version, "v1.36.5+k3s1");
    await assert.rejects(planConfig(exampleConfig("prod"), await old()), (err: Error) => {
      assert.match(
        refusal(err),
        /k3s\.version v1\.36\.5\+k3s1 runs Kubernetes 1\.36, but the cluster runs v1\.33\.5\+k3s1 \(Kubernetes 1\.33\), and Kubernetes upgrades one minor at a time: v1\.33 -> v1\.34 -> v1\.35 -> v1\.36: one minor per pulumi up\. Set k3s\.version to a v1\.34 release \(e\.g\. v1\.34\.12\+k3s1\)/,
      );
      return true;
    });
  });

  it("walks the path one minor per run, and a patch within the last: each run re-runs the node scripts in place", async () => {
    let before: ProgramRun = await old();
    for (const version of PATH) {
      const after = await planConfig(prodAt(version), before);
      const diff = previewOf(before, after);
      assert.deepEqual(
        changed(diff).map((s) => `${s.action} ${s.name}`).sort(),
        ["control-1", "control-2", "control-3", "worker-1", "worker-2"].map((n) => `update site-k3s-node-${n}`),
        version,
      );
      assert.deepEqual(destructive(diff), [], version);
      assert.equal(after.outputs.k3sVersion, version, "the run records the version it installed, which the next run reads");
      before = after;
    }
  });

  it("refuses going down a minor from the examples' version", async () => {
    const current = await planConfig(exampleConfig("prod"));
    await assert.rejects(planConfig(prodAt("v1.35.9+k3s1"), current), (err: Error) => {
      assert.match(refusal(err), /k3s\.version v1\.35\.9\+k3s1 runs Kubernetes 1\.35, older than the cluster's v1\.36\.5\+k3s1 \(Kubernetes 1\.36\): Kubernetes does not go down a minor/);
      return true;
    });
  });
});

describe("from the old pins at home: Cilium 1.19.6 on k3s v1.33.5+k3s1", () => {
  /** The home example on the old pins: its k3s release, and Cilium held at the previous chart. */
  const homeAt = (version: string, cilium?: string): StackConfig =>
    edited(exampleConfig("home"), (c) => {
      c[K3S].version = version;
      if (cilium !== undefined) c[CNI].cilium = { ...c[CNI].cilium, version: cilium };
    });
  const old = once(() => planConfig(homeAt(OLD_K3S, "1.19.6"), undefined, "home"));

  it("names Cilium 1.19 when a run asks for a minor it does not support, and lets the pin move first", async () => {
    // Held at 1.19.6 (tested up to 1.35), the site may go up to 1.35, not to 1.36: the config rule names the pin.
    await assert.rejects(planConfig(homeAt("v1.36.5+k3s1", "1.19.6"), undefined, "home"), (err: Error) => {
      assert.match(refusal(err), /k3s\.version v1\.36\.5\+k3s1 runs Kubernetes 1\.36, outside what Cilium 1\.19 \(cni\.cilium\.version\) supports: use a k3s release of Kubernetes 1\.33 to 1\.35/);
      return true;
    });
    // Moving to the pinned Cilium (cni.cilium.version removed) on 1.33, which 1.20 supports, touches the chart only.
    const before = await old();
    const after = await planConfig(homeAt(OLD_K3S), before, "home");
    const diff = previewOf(before, after);
    // The chart is one resource in the preview (its objects' diff is --chart-diff cilium=1.19.6's, test/plan/charts).
    assert.deepEqual(destructive(diff), []);
    assert.deepEqual(changed(diff).map((s) => `${s.action} ${s.name}`), ["update site-cilium-chart"]);
    const chart = (run: ProgramRun) => run.resources.find((r) => r.name === "site-cilium-chart")!.inputs;
    assert.deepEqual([chart(before).version, chart(after).version], ["1.19.6", "1.20.0"]);
  });
});
