import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };
import { parseManifest } from "../../src/kubernetes/object";
import { isKubernetesObject, ofKind } from "../../src/kubernetes/object";

describe("a Kubernetes object", () => {
  it("has apiVersion, kind and metadata.name, each a string", () => {
    assert.equal(isKubernetesObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } }), true);
    assert.equal(isKubernetesObject({ apiVersion: "v1", kind: "ConfigMap", metadata: {} }), false);
    assert.equal(isKubernetesObject({ apiVersion: "v1", metadata: { name: "a" } }), false);
    assert.equal(isKubernetesObject({ kind: "ConfigMap", metadata: { name: "a" } }), false);
    assert.equal(isKubernetesObject({ apiVersion: "v1", kind: "ConfigMap", metadata: null }), false);
    assert.equal(isKubernetesObject([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } }]), false);
    assert.equal(isKubernetesObject("kind: ConfigMap"), false);
  });

  it("is narrowed to its kind's type only when it is of that kind", () => {
    const [map] = parseManifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {key: value}\n");
    assert.equal(ofKind<IConfigMap>(map, "ConfigMap")?.data?.key, "value");
    assert.equal(ofKind<IConfigMap>({ ...map!, kind: "Secret" }, "ConfigMap"), undefined);
    assert.equal(ofKind<IConfigMap>(undefined, "ConfigMap"), undefined);
  });

  it("is what every document of a manifest must be: one that is not is refused with its place", () => {
    assert.throws(
      () => parseManifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nfoo: bar\n"),
      /^Error: the manifest's document 2 is not a Kubernetes object: it needs apiVersion, kind and metadata.name$/,
    );
    assert.throws(() => parseManifest("---\n---\n[]\n"), /document 2 is not/);
    assert.equal(parseManifest("---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n").length, 1);
  });
});
