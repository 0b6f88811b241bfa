/** The upgrade diff: objects added, removed and changed, keyed without apiVersion. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffObjects, formatDiff } from "../../plan/charts/diff";
import type { K8sObject } from "../../plan/charts/render";

const obj = (kind: string, name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): K8sObject =>
  ({ apiVersion: "v1", kind, metadata: { name, namespace: "ns", labels }, ...extra }) as K8sObject;

describe("chart diff", () => {
  it("lists added, removed and changed objects with the changed paths and values", () => {
    const from = [obj("ConfigMap", "a", { data: { x: "1" } }), obj("Secret", "gone")];
    const to = [obj("ConfigMap", "a", { data: { x: "2", y: "3" } }), obj("Service", "new")];
    const diff = diffObjects(from, to);
    assert.deepEqual(diff, {
      added: ["Service ns/new"],
      removed: ["Secret ns/gone"],
      changed: [{ key: "ConfigMap ns/a", paths: ['data.x: "1" -> "2"', 'data.y: (absent) -> "3"'] }],
    });
  });

  it("shows a moved API as a change, not as a removal and an addition", () => {
    const from = [{ ...obj("PodDisruptionBudget", "p"), apiVersion: "policy/v1beta1" } as K8sObject];
    const to = [{ ...obj("PodDisruptionBudget", "p"), apiVersion: "policy/v1" } as K8sObject];
    assert.deepEqual(diffObjects(from, to).changed, [{ key: "PodDisruptionBudget ns/p", paths: ['apiVersion: "policy/v1beta1" -> "policy/v1"'] }]);
  });

  it("counts objects whose only change is the chart's version labels instead of listing them", () => {
    const from = [obj("ConfigMap", "a", {}, { "helm.sh/chart": "c-1" }), obj("ConfigMap", "b", { data: { v: "1" } }, { "helm.sh/chart": "c-1" })];
    const to = [obj("ConfigMap", "a", {}, { "helm.sh/chart": "c-2" }), obj("ConfigMap", "b", { data: { v: "2" } }, { "helm.sh/chart": "c-2" })];
    const text = formatDiff("c", "1", "2", diffObjects(from, to));
    assert.equal(
      text,
      [
        "chart c 1 -> 2: 0 added, 0 removed, 2 changed",
        "  ~ 1 objects change only their version labels (app.kubernetes.io/version, helm.sh/chart)",
        "  ~ ConfigMap ns/b",
        '      data.v: "1" -> "2"',
        '      metadata.labels.helm.sh/chart: "c-1" -> "c-2"',
        "",
      ].join("\n"),
    );
  });
});
