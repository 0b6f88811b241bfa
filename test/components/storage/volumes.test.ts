/**
 * The declared claims survive a change of the site's default StorageClass. A claim's class is immutable, and the
 * Kubernetes provider replaces a claim whose spec.storageClassName changes (plan/replacements.ts,
 * KUBERNETES_FORCE_NEW); with a fixed name the replacement deletes first, which retainOnDelete turns into a create
 * over the live claim. So the component keeps the class a claim was created with.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changed, edited, exampleConfig, planConfig, previewOf } from "../../scenarios/harness";

describe("declared volumes across a change of the default class", () => {
  it("storage.hcloudCsi.encryption turned on leaves the prod example's claim as it is", async () => {
    const config = exampleConfig("prod");
    const before = await planConfig(config);
    const after = await planConfig(
      edited(config, (c) => {
        c["k3s-sites:storage"].hcloudCsi = { encryption: true };
      }),
      before,
    );
    const diff = previewOf(before, after);
    const claims = changed(diff).filter((s) => s.type === "kubernetes:core/v1:PersistentVolumeClaim" && s.name.includes("postgres-data"));
    assert.deepEqual(
      claims.map((s) => `${s.action} ${s.name}`),
      [],
    );
    // The classes themselves do change: the encrypted one is new and becomes the default, the plain one is no longer.
    assert.deepEqual(
      changed(diff)
        .filter((s) => s.type === "kubernetes:storage.k8s.io/v1:StorageClass")
        .map((s) => `${s.action} ${s.name}`)
        .sort(),
      ["create site-hcloud-csi-class-hcloud-volumes-encrypted", "update site-hcloud-csi-class-hcloud-volumes"],
    );
  });
});
