/** AppWorkloads on the offline engine: the prod example's postgres app, its generated Secret and its manifest. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SECRET } from "../../../plan/record";
import { TYPE } from "../../../src/type-tokens";
import { byName, ofType, planOf } from "../../plan/run";

describe("AppWorkloads on the offline engine", () => {
  it("makes the app's Secret from a random value, secret in every input, in the app's namespace", async () => {
    const run = await planOf("prod");
    const password = byName(run, "site-apps-postgres-postgres-password");
    assert.equal(password.type, "random:index/randomPassword:RandomPassword");
    assert.deepEqual(password.inputs, { length: 32, special: false });
    const secret = byName(run, "site-apps-postgres-postgres");
    assert.deepEqual(secret.inputs.metadata, { name: "postgres", namespace: "web", labels: { "app.kubernetes.io/part-of": "k3s-sites" } });
    assert.equal(secret.inputs.data, SECRET);
    assert.ok(secret.additionalSecretOutputs?.includes("data"));
  });

  it("applies the manifest after the app's Secret, its namespace's policies and the claims", async () => {
    const run = await planOf("prod");
    const group = byName(run, "site-apps-postgres");
    assert.equal(group.type, "kubernetes:yaml/v2:ConfigGroup");
    const objs = group.inputs.objs as { kind: string; metadata: { namespace: string } }[];
    assert.deepEqual(objs.map((o) => `${o.kind} ${o.metadata.namespace}`), ["Service web", "StatefulSet web"]);
    // A dependency on a component is one on each of its children, which the engine records.
    const waitsFor = (type: string) => ofType(run, type).filter((r) => group.dependsOn.includes(r.urn)).map((r) => r.name);
    assert.deepEqual(waitsFor("kubernetes:core/v1:Secret").filter((n) => n.startsWith("site-apps-")), ["site-apps-postgres-postgres"]);
    assert.ok(waitsFor("kubernetes:networking.k8s.io/v1:NetworkPolicy").some((n) => n.startsWith("site-policies-web-")), "web's policies");
    assert.deepEqual(waitsFor("kubernetes:core/v1:PersistentVolumeClaim"), ["site-volumes-web-postgres-data"]);
    assert.equal(ofType(run, TYPE.appWorkloads).length, 1);
  });

  it("leaves a site without app manifests or secrets as it was: no AppWorkloads", async () => {
    const run = await planOf("home");
    assert.deepEqual(ofType(run, TYPE.appWorkloads), []);
  });
});
