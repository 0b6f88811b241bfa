/** The upgrade diff: objects added, removed and changed, keyed without apiVersion. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffObjects, formatDiff, onlyVersionLabels, replacementOf } from "../../../plan/charts/diff";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const obj = (kind: string, name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubernetesObject =>
  ({ apiVersion: "v1", kind, metadata: { name, namespace: "ns", labels }, ...extra }) as KubernetesObject;

describe("chart diff", () => {
  it("lists added, removed and changed objects with the changed paths and values", () => {
    const from = [obj("ConfigMap", "a", { data: { x: "1" } }), obj("Secret", "gone")];
    const to = [obj("ConfigMap", "a", { data: { x: "2", y: "3" } }), obj("Service", "new")];
    const diff = diffObjects(from, to);
    assert.deepEqual(diff, {
      added: ["Service ns/new"],
      removed: ["Secret ns/gone"],
      changed: [
        {
          key: "ConfigMap ns/a",
          paths: ['data.x: "1" -> "2"', 'data.y: (absent) -> "3"'],
          // enableConfigMapMutable is off: a ConfigMap's data is force-new (plan/replacements.ts).
          replacement: { fields: ["data"], deleteFirst: true },
        },
      ],
    });
  });

  it("shows a moved API as a change, not as a removal and an addition", () => {
    const from = [{ ...obj("PodDisruptionBudget", "p"), apiVersion: "policy/v1beta1" } as KubernetesObject];
    const to = [{ ...obj("PodDisruptionBudget", "p"), apiVersion: "policy/v1" } as KubernetesObject];
    assert.deepEqual(diffObjects(from, to).changed, [{ key: "PodDisruptionBudget ns/p", paths: ['apiVersion: "policy/v1beta1" -> "policy/v1"'] }]);
  });

  it("counts objects whose only change is the chart's version labels instead of listing them", () => {
    const from = [obj("ConfigMap", "a", {}, { "helm.sh/chart": "c-1" }), obj("ConfigMap", "b", { data: { v: "1" } }, { "helm.sh/chart": "c-1" })];
    const to = [obj("ConfigMap", "a", {}, { "helm.sh/chart": "c-2" }), obj("ConfigMap", "b", { data: { v: "2" } }, { "helm.sh/chart": "c-2" })];
    const text = formatDiff("c", "1", "2", diffObjects(from, to));
    assert.equal(
      text,
      [
        "chart c 1 -> 2: 0 added, 0 removed, 2 changed (1 replaced)",
        "  ~ 1 objects change only their version labels (app.kubernetes.io/version, helm.sh/chart)",
        "  ~ ConfigMap ns/b (replaced: data is force-new in the provider; deleted first, then created with the same name)",
        '      data.v: "1" -> "2"',
        '      metadata.labels.helm.sh/chart: "c-1" -> "c-2"',
        "",
      ].join("\n"),
    );
  });

  it("replaces a Job whose pod template changes, deleting it first, and updates a Deployment in place", () => {
    const job = (image: string, version: string): KubernetesObject =>
      ({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "check", namespace: "ns" },
        spec: { template: { metadata: { labels: { "helm.sh/chart": version } }, spec: { containers: [{ name: "c", image }] } } },
      }) as KubernetesObject;
    const deployment = (image: string): KubernetesObject => ({ ...job(image, "c-1"), apiVersion: "apps/v1", kind: "Deployment" }) as KubernetesObject;
    const [jobChange] = diffObjects([job("i:1", "c-1")], [job("i:2", "c-2")]).changed;
    assert.deepEqual(jobChange?.replacement, { fields: ["spec.template"], deleteFirst: true });
    assert.equal(diffObjects([deployment("i:1")], [deployment("i:2")]).changed[0]?.replacement, undefined);
    // A Job whose template changes only its version labels is still replaced: it is listed, not counted.
    const [labelsOnly] = diffObjects([job("i:1", "c-1")], [job("i:1", "c-2")]).changed;
    assert.equal(onlyVersionLabels(labelsOnly!), false);
    assert.match(formatDiff("c", "1", "2", diffObjects([job("i:1", "c-1")], [job("i:1", "c-2")])), /^ {2}~ Job ns\/check \(replaced: spec\.template/m);
    // The paths carry their values after ": "; the rule is matched on the path alone.
    assert.equal(replacementOf(job("i", "c"), ['metadata.labels.x: "spec.template" -> "y"']), undefined);
    assert.deepEqual(replacementOf(job("i", "c"), ["metadata.name: \"a\" -> \"b\""])?.fields, ["metadata.name"]);
  });
});
