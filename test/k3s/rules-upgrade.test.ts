/** One Kubernetes minor per run: k3s.version against the version the stack's previous run installed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkUpgradePath, minorPath, newestOfMinor, pinsNotSupporting } from "../../src/k3s/rules-upgrade";
import { clone, exampleSections, parse1 } from "../helpers";

const at = (stack: "prod" | "home", version: string, edit: (r: Record<string, any>) => void = () => {}) => {
  const raw = clone(exampleSections(stack));
  raw.k3s.version = version;
  edit(raw);
  return parse1(raw);
};
const messages = (previous: string | undefined, stack: "prod" | "home", version: string) =>
  checkUpgradePath(previous, at(stack, version)).map((p) => `${p.path} ${version}: ${p.message}`);

describe("one Kubernetes minor per run", () => {
  it("allows the first deployment, the same version, a patch up or down, and one minor up", () => {
    assert.deepEqual(messages(undefined, "prod", "v1.36.5+k3s1"), []);
    assert.deepEqual(messages("v1.36.5+k3s1", "prod", "v1.36.5+k3s1"), []);
    assert.deepEqual(messages("v1.36.4+k3s1", "prod", "v1.36.5+k3s1"), []);
    assert.deepEqual(messages("v1.36.5+k3s1", "prod", "v1.36.4+k3s1"), []);
    assert.deepEqual(messages("v1.35.9+k3s1", "prod", "v1.36.5+k3s1"), []);
    assert.deepEqual(messages("v1.33.5+k3s1", "prod", "v1.34.12+k3s1"), []);
  });

  it("refuses a skipped minor with the path to take and the release to take next", () => {
    assert.deepEqual(messages("v1.33.5+k3s1", "prod", "v1.36.5+k3s1"), [
      "k3s.version v1.36.5+k3s1: v1.36.5+k3s1 runs Kubernetes 1.36, but the cluster runs v1.33.5+k3s1 (Kubernetes 1.33), " +
        "and Kubernetes upgrades one minor at a time: v1.33 -> v1.34 -> v1.35 -> v1.36: one minor per pulumi up. Set " +
        "k3s.version to a v1.34 release (e.g. v1.34.12+k3s1), run pulumi up, and repeat with the next minor",
    ]);
    assert.match(messages("v1.34.12+k3s1", "home", "v1.36.5+k3s1")[0] ?? "", /v1\.34 -> v1\.35 -> v1\.36: one minor per pulumi up\. Set k3s\.version to a v1\.35 release \(e\.g\. v1\.35\.9\+k3s1\)/);
  });

  it("refuses going down a minor, with the version to set back", () => {
    assert.deepEqual(messages("v1.36.5+k3s1", "prod", "v1.35.9+k3s1"), [
      "k3s.version v1.35.9+k3s1: v1.35.9+k3s1 runs Kubernetes 1.35, older than the cluster's v1.36.5+k3s1 (Kubernetes " +
        "1.36): Kubernetes does not go down a minor (the API server has stored objects in 1.36's versions, and etcd data " +
        "is not migrated back). Set k3s.version back to a v1.36 release (v1.36.5+k3s1 or a later patch); to run 1.35, " +
        "build a new site in a new stack and move the workloads over",
    ]);
  });

  it("names the components that do not support a minor on the way", () => {
    // Cilium held at 1.19 (tested 1.32-1.35): the config rules refuse it at 1.36 itself; here, what a step would meet.
    const held = at("home", "v1.35.9+k3s1", (r) => (r.cni.cilium.version = "1.19.6"));
    assert.deepEqual(pinsNotSupporting(held, 36), ["Cilium 1.19 (cni.cilium.version) (Kubernetes 1.32-1.35)"]);
    assert.deepEqual(pinsNotSupporting(held, 35), []);
    // A home site still on 1.31 asked for 1.33: 1.32, on the way, is outside Cilium 1.20's and cert-manager 1.21's.
    const [message, ...rest] = checkUpgradePath("v1.31.4+k3s1", at("home", "v1.33.5+k3s1"));
    assert.deepEqual(rest, []);
    assert.match(
      message?.message ?? "",
      /v1\.31 -> v1\.32 -> v1\.33: one minor per pulumi up\. .*\. On the way, the site's components do not support every step \(1\.32: Cilium 1\.20 \(Kubernetes 1\.33-1\.36\), cert-manager 1\.21 \(Kubernetes 1\.33-1\.36\)\): move them first/,
    );
  });

  it("writes the path and reads the next release from the support table", () => {
    assert.equal(minorPath(33, 36), "v1.33 -> v1.34 -> v1.35 -> v1.36");
    assert.equal(newestOfMinor(34), "v1.34.12+k3s1");
    assert.equal(newestOfMinor(29), undefined);
  });
});
