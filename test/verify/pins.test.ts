/** Every image the checks run is pinned by digest, on the offline plan of every example stack. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { kubeObjectsOf, podTemplatesOf, type PolicyResource } from "../../policy/rules";
import { VERIFY_NAMESPACE } from "../../src/verify/names";
import { VERIFY_IMAGE } from "../../src/verify/pins";
import { ROOT } from "../helpers";
import { planOf } from "../plan/run";

/** `name:tag@sha256:<64 hex>`: the tag for the reader, the digest for the runtime. */
const DIGEST_PINNED = /^[a-z0-9.\-/]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/;

/** The images of every container of the pods in `namespace`, as `Kind name/container image`. */
function imagesIn(resources: readonly PolicyResource[], namespace: string): { where: string; image: string }[] {
  return podTemplatesOf(kubeObjectsOf(resources))
    .filter((p) => p.owner.metadata?.namespace === namespace)
    .flatMap((p) =>
      [...((p.spec.initContainers as unknown[]) ?? []), ...((p.spec.containers as unknown[]) ?? [])].map((c) => {
        const { name, image } = c as { name: string; image?: string };
        return { where: `${p.owner.kind} ${p.owner.metadata?.name}/${name}`, image: image ?? "" };
      }),
    );
}

describe("the verification image", () => {
  it("is netshoot v0.16 pinned by digest", () => {
    assert.match(VERIFY_IMAGE, DIGEST_PINNED);
    assert.match(VERIFY_IMAGE, /^nicolaka\/netshoot:v0\.16@/);
    // upstream/SOURCES.md says where the digest was read: the same digest, in its Images table.
    const sources = readFileSync(join(ROOT, "upstream", "SOURCES.md"), "utf8");
    const [name, digest] = VERIFY_IMAGE.split("@") as [string, string];
    assert.match(sources, new RegExp(`^\\| ${name.replace(/[./]/g, "\\$&")} \\(src/verify/pins\\.ts VERIFY_IMAGE\\) \\| ${digest} \\|`, "m"));
  });

  for (const stack of ["prod", "home", "lan", "multisite"]) {
    it(`is what every check Job and the echo DaemonSet run on ${stack}, by digest`, async () => {
      const run = await planOf(stack);
      const resources = run.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, protect: r.protect === true }));
      const images = imagesIn(resources, VERIFY_NAMESPACE);
      // The echo DaemonSet and at least the dns, pods, policies and edge Jobs.
      assert.ok(images.filter((i) => i.where.startsWith("Job ")).length >= 4, JSON.stringify(images));
      assert.ok(images.some((i) => i.where.startsWith("DaemonSet ")));
      assert.deepEqual(images.filter((i) => !DIGEST_PINNED.test(i.image)), []);
    });
  }

  it("refuses a tag alone", () => {
    assert.doesNotMatch("nicolaka/netshoot:v0.16", DIGEST_PINNED);
    assert.doesNotMatch("nicolaka/netshoot@sha256:" + "a".repeat(64), DIGEST_PINNED);
  });
});
