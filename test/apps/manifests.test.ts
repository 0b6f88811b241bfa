import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readAppManifests } from "../../src/apps/manifests";
import { ROOT, clone, exampleSections, parse1, problemsOf } from "../helpers";

const dir = mkdtempSync(join(tmpdir(), "k3s-sites-apps-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The prod example with its postgres app's manifest replaced by `text`. */
function withManifest(text: string, change: (app: Record<string, any>, raw: Record<string, any>) => void = () => {}) {
  const raw = clone(exampleSections("prod"));
  const app = raw.networkPolicies.apps.find((a: { name: string }) => a.name === "postgres");
  writeFileSync(join(dir, "app.yaml"), text);
  app.manifest = "app.yaml";
  change(app, raw);
  return readAppManifests(parse1(raw), dir);
}

const POD = (volumes: string, env = "") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers: [{name: db, image: "postgres:18.4"${env}}]
      volumes: [${volumes}]
`;

describe("an app's manifest", () => {
  it("reads the prod example's, in its app's namespace, with nothing missing", () => {
    const { manifests, problems } = readAppManifests(parse1(exampleSections("prod")), ROOT);
    assert.deepEqual(problems, []);
    assert.deepEqual(manifests.map((m) => [m.app, m.namespace, m.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)]), [
      ["postgres", "web", ["Service web/postgres", "StatefulSet web/postgres"]],
    ]);
  });

  it("puts an object without a namespace in the app's, and refuses another namespace or a cluster-wide kind", () => {
    const ok = withManifest(POD("{name: data, persistentVolumeClaim: {claimName: postgres-data}}"));
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.manifests[0]!.objects[0]!.metadata.namespace, "web");
    const { problems } = withManifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: mail}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      ["networkPolicies.apps[1].manifest", "app.yaml: ConfigMap a is in namespace mail: use the app's namespace web, or leave it out"],
      ["networkPolicies.apps[1].manifest", "app.yaml: Namespace b is not in a namespace: an app's file holds only objects of its namespace web"],
    ]);
  });

  it("refuses a pod that needs a Secret or a claim nothing makes, naming the key that would make it", () => {
    const { problems } = withManifest(
      POD("{name: data, persistentVolumeClaim: {claimName: other}}", ", env: [{name: P, valueFrom: {secretKeyRef: {name: creds, key: p}}}]"),
      (app) => (app.secrets = []),
    );
    assert.deepEqual(problems.map((p) => p.message), [
      "app.yaml: Deployment db needs Secret web/creds, which nothing makes: add { name: creds, keys: [...] } to networkPolicies.apps[1].secrets, or put the Secret in the file",
      "app.yaml: Deployment db mounts claim web/other, which nothing keeps: add { name: other, namespace: web, sizeGb: ... } to storage.volumes, or use a volumeClaimTemplate",
    ]);
    // Optional ones are left out: the pod starts without them.
    const optional = withManifest(POD("", ", env: [{name: P, valueFrom: {secretKeyRef: {name: creds, key: p, optional: true}}}]"));
    assert.deepEqual(optional.problems, []);
  });

  it("takes a Secret the app's secrets make, and refuses one both make", () => {
    const env = ", envFrom: [{secretRef: {name: postgres}}]";
    assert.deepEqual(withManifest(POD("", env)).problems, []);
    const both = withManifest(`${POD("", env)}---\napiVersion: v1\nkind: Secret\nmetadata: {name: postgres}\n`);
    assert.deepEqual(both.problems.map((p) => [p.path, p.message]), [
      ["networkPolicies.apps[1].secrets", "Secret postgres is made by app.yaml too: keep one of the two"],
    ]);
  });

  it("refuses two makers of one object: a Secret named twice, a key listed twice, one file's object in another's", () => {
    const { problems } = withManifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n", (app, raw) => {
      app.secrets = [{ name: "postgres", keys: ["password", "password"] }, { name: "postgres", keys: ["user"] }];
      raw.networkPolicies.apps[0].manifest = "app.yaml";
    });
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      ["networkPolicies.apps[1].secrets[0].keys", "key password is listed twice: list each key once"],
      ["networkPolicies.apps[1].secrets[1].name", "Secret web/postgres is made by networkPolicies.apps[1].secrets[0] and by networkPolicies.apps[1].secrets[1]: keep one"],
      ["networkPolicies.apps[1].manifest", "ConfigMap web/shared is made by networkPolicies.apps[0].manifest (app.yaml) and by networkPolicies.apps[1].manifest (app.yaml): keep one"],
    ]);
  });

  it("says which file it cannot read, and refuses secrets without a manifest", () => {
    const raw = clone(exampleSections("prod"));
    raw.networkPolicies.apps[1].manifest = "missing.yaml";
    raw.networkPolicies.apps[0].secrets = [{ name: "s", keys: ["k"] }];
    const { problems } = readAppManifests(parse1(raw), dir);
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      ["networkPolicies.apps[0].secrets", "app website has secrets but no manifest that uses them: set networkPolicies.apps[0].manifest, or leave secrets out"],
      ["networkPolicies.apps[1].manifest", "missing.yaml cannot be read (no such file): give a YAML file of the app's objects, relative to the k3s-sites folder (where index.ts is) or absolute"],
    ]);
  });

  it("keeps the schema's word on keys and names", () => {
    const raw = clone(exampleSections("prod"));
    raw.networkPolicies.apps[1].secrets = [{ name: "Bad_Name", keys: [] }];
    const problems = problemsOf(raw).join("\n");
    assert.match(problems, /networkPolicies\.apps\[1\]\.secrets\[0\]\.name/);
    assert.match(problems, /list at least one key, e.g\. \[password\]/);
  });
});
