/**
 * Where the hcloud token is on a Hetzner site, from what the site renders: the program's objects and every chart's,
 * rendered by the real helm. It is in no Secret, so no controller that reads every namespace's Secrets (cert-manager's,
 * the ingress controller's, the DNS-01 webhook's) can read it through the API; the servers keep it as a root-only
 * file (src/k3s/secret-files.ts) that only the driver's controller mounts. The LUKS passphrase stays a Secret (the
 * kubelet reads it through the API): its readers are pinned here so that a new one shows up in review.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HCLOUD_CSI } from "../../../src/storage/hcloud-csi/driver";
import { HELM_SKIP, siteUnderTest, type SiteName } from "../../plan/charts/support";
import { referencesOf, workloadsOf } from "../../../src/kubernetes/pods";
import { serverSecretFolder } from "../../../src/k3s/secret-files";

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };
type Obj = { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[]; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string; namespace?: string }[] };

const READ = ["get", "list", "watch", "*"];
const readsSecret = (rules: readonly Rule[] = [], name: string) =>
  rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => g === "" || g === "*") &&
      (r.resources ?? []).some((x) => x === "secrets" || x === "*") &&
      (r.verbs ?? []).some((v) => READ.includes(v)) &&
      (r.resourceNames === undefined || r.resourceNames.length === 0 || r.resourceNames.includes(name)),
  );

/** The subjects bound to a role that may read Secret `name` in `namespace`. */
function readersOf(objects: readonly Obj[], namespace: string, name: string): string[] {
  const roles = new Map(objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role").map((o) => [`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
  const readers = new Set<string>();
  for (const b of objects.filter((o) => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding")) {
    if (b.kind === "RoleBinding" && b.metadata.namespace !== namespace) continue;
    const roleNs = b.roleRef?.kind === "Role" ? (b.metadata.namespace ?? "") : "";
    const role = roles.get(`${b.roleRef?.kind}/${roleNs}/${b.roleRef?.name}`);
    if (!role || !readsSecret(role.rules, name)) continue;
    for (const s of b.subjects ?? []) readers.add(`${s.kind} ${s.namespace ? `${s.namespace}/` : ""}${s.name}`);
  }
  return [...readers].sort();
}

/** The Hetzner sites the chart tests render. */
const HETZNER_SITES: readonly SiteName[] = ["prod", "hetzner-dns01"];

/** Whether a host folder mounted at `mounted` holds `path`. */
const holds = (mounted: string, path: string) => mounted === path || path.startsWith(mounted.endsWith("/") ? mounted : `${mounted}/`);

describe("the hcloud token", { skip: HELM_SKIP }, () => {
  const folder = serverSecretFolder(HCLOUD_CSI.tokenFile.folder);
  for (const name of HETZNER_SITES) {
    it(`on ${name} is in no Secret: the driver's namespace holds none, and no pod refers to one of the chart's name`, async () => {
      const site = await siteUnderTest(name);
      assert.ok(site.all.some((o) => o.kind === "Deployment" && o.metadata.namespace === HCLOUD_CSI.namespace), "the driver is installed");
      assert.deepEqual(site.all.filter((o) => o.kind === "Secret" && o.metadata.namespace === HCLOUD_CSI.namespace).map((o) => o.metadata.name), []);
      const refs = workloadsOf(site.all).flatMap((w) => referencesOf(w)).filter((r) => r.kind === "Secret" && r.namespace === HCLOUD_CSI.namespace);
      assert.deepEqual(refs, []);
    });

    it(`on ${name} is mounted from the servers by the driver's controller alone`, async () => {
      const site = await siteUnderTest(name);
      const mounting = workloadsOf(site.all).flatMap((w) =>
        (w.spec.volumes ?? []).filter((v) => v.hostPath !== undefined && holds(v.hostPath.path, folder)).map((v) => `${w.namespace}/${w.owner.metadata.name} ${v.hostPath!.path}`),
      );
      assert.deepEqual(mounting, [`${HCLOUD_CSI.namespace}/hcloud-csi-controller ${folder}`]);
    });
  }
});

describe("the volume passphrase's readers", { skip: HELM_SKIP }, () => {
  it("are, besides cluster admins, only controllers that read every namespace's Secrets", async () => {
    // RBAC alone decides who could read it: prod has no encrypted class, and the roles are the same with one.
    const objects = (await siteUnderTest("prod")).all as unknown as Obj[];
    assert.deepEqual(readersOf(objects, HCLOUD_CSI.namespace, HCLOUD_CSI.passphraseSecret.name), [
      "ServiceAccount cert-manager/cert-manager",
      "ServiceAccount cert-manager/cert-manager-cainjector",
      "ServiceAccount nginx-ingress/nginx-ingress",
    ]);
  });
});
