/**
 * docs/examples/postgres.yaml against the prod example's plan, which applies it as the postgres app's manifest: the
 * StatefulSet mounts the claim the plan keeps, and the program's own NetworkPolicies treat its pods as the declared app.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { ingressOf } from "../../../src/concerns/registry";
import { parseSiteConfig } from "../../../src/config/load";
import { networkPolicies } from "../../../src/policy/network-policies";
import { egressAllowed, ingressAllowed, matches } from "../../../plan/charts/reach";
import { validateBuiltin } from "../../support/schemas";
import { ROOT, exampleSections } from "../../helpers";
import { ofType, planOf } from "../../plan/run";

type Labels = Record<string, string>;
interface Obj {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: any;
}

const objects = parseAllDocuments(readFileSync(join(ROOT, "docs/examples/postgres.yaml"), "utf8")).map((d) => d.toJS() as Obj);
const statefulSet = objects.find((o) => o.kind === "StatefulSet")!;
const service = objects.find((o) => o.kind === "Service")!;
const pod = statefulSet.spec.template.spec;
const podLabels: Labels = statefulSet.spec.template.metadata.labels;
const config = parseSiteConfig(exampleSections("prod"));
const app = config.networkPolicies.apps.find((a) => a.name === "postgres")!;

describe("docs/examples/postgres.yaml on the prod example", () => {
  it("is what the prod plan applies for the postgres app, in its namespace", async () => {
    const run = await planOf("prod");
    const group = ofType(run, "kubernetes:yaml/v2:ConfigGroup").find((r) => r.name === "site-apps-postgres");
    assert.ok(group, "the app's manifest is applied");
    assert.deepEqual(group.inputs.objs, objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: app.namespace } })));
  });

  it("mounts the claim the plan keeps, in the namespace the plan creates, with one replica", async () => {
    const run = await planOf("prod");
    const claimName = pod.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
    const claims = ofType(run, "kubernetes:core/v1:PersistentVolumeClaim").map((r) => r.inputs.metadata as Obj["metadata"]);
    assert.ok(
      claims.some((m) => m.name === claimName && m.namespace === statefulSet.metadata.namespace),
      `claim ${claimName} in ${statefulSet.metadata.namespace}; the plan keeps ${claims.map((m) => `${m.namespace}/${m.name}`).join(", ")}`,
    );
    const namespaces = ofType(run, "kubernetes:core/v1:Namespace").map((r) => (r.inputs.metadata as { name: string }).name);
    assert.ok(namespaces.includes(statefulSet.metadata.namespace), namespaces.join(", "));
    // The claim is ReadWriteOnce: a second replica would wait for it forever.
    assert.equal(statefulSet.spec.replicas, 1);
    assert.equal(pod.containers[0].volumeMounts[0].mountPath, "/var/lib/postgresql");
  });

  it("is the declared app: its namespace, its labels, its port, and its Service selects it", () => {
    assert.equal(statefulSet.metadata.namespace, app.namespace);
    // The app's podSelector is its pods' labels (matchLabels).
    assert.ok(matches({ matchLabels: app.podSelector }, podLabels), `${JSON.stringify(app.podSelector)} selects ${JSON.stringify(podLabels)}`);
    const ports = pod.containers.flatMap((c: any) => c.ports.map((p: any) => p.containerPort));
    assert.deepEqual(ports, app.ports.map((p) => p.port));
    assert.ok(matches({ matchLabels: service.spec.selector }, podLabels));
    assert.equal(statefulSet.spec.serviceName, service.metadata.name);
    assert.ok(matches(statefulSet.spec.selector, podLabels));
  });

  it("is let in by the program's policies from website on 5432 only, and not from the ingress controller", () => {
    const policies = networkPolicies(config);
    const at = { namespace: app.namespace, labels: podLabels };
    const website = config.networkPolicies.apps.find((a) => a.name === "website")!;
    const from = { namespace: website.namespace, labels: website.podSelector };
    const reaches = (source: { namespace: string; labels: Labels }, port: number) =>
      egressAllowed(policies, source, port, { pod: at }) && ingressAllowed(policies, at, port, undefined, { pod: source });
    assert.equal(reaches(from, 5432), true);
    assert.equal(reaches(from, 5433), false);
    const edge = ingressOf(config).edge.pods!;
    assert.equal(reaches({ namespace: edge.namespace, labels: edge.labels as Labels }, 5432), false);
  });

  it("is valid Kubernetes and runs as the restricted Pod Security profile asks", async () => {
    for (const o of objects) await validateBuiltin(o as never);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.equal(pod.automountServiceAccountToken, false);
    for (const c of pod.containers) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
      assert.match(c.image, /^[\w.-]+\/[\w./-]+:\d+\.\d+$/, "a registry, a repository and a minor-pinned tag");
    }
  });
});
