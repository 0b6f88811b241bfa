/**
 * Who can read the hcloud token's Secret (hcloud-csi/hcloud) through the API, from the RBAC the site renders: the
 * program's objects and every chart's, rendered by the real helm. The driver's controller needs no RBAC for it (the
 * kubelet fills its env from the Secret). Controllers that read Secrets cluster-wide for their own work can read it
 * too: the list is pinned here so that a new one shows up in review, and docs/storage.md names them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HCLOUD_CSI } from "../../../src/storage/hcloud-csi/driver";
import { HELM_SKIP, SITES, siteUnderTest, type SiteName } from "../../plan/charts/support";

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

/** Besides cluster admins, who can read the token on each Hetzner site the chart tests render. */
const READERS: Readonly<Partial<Record<SiteName, readonly string[]>>> = {
  prod: [
    "ServiceAccount cert-manager/cert-manager",
    "ServiceAccount cert-manager/cert-manager-cainjector",
    "ServiceAccount nginx-ingress/nginx-ingress",
  ],
  // DNS-01 through Hetzner: the webhook's chart grants it every namespace's Secrets (its rbac.yaml, read-secrets).
  "hetzner-dns01": [
    "ServiceAccount cert-manager/cert-manager",
    "ServiceAccount cert-manager/cert-manager-cainjector",
    "ServiceAccount cert-manager/cert-manager-webhook-hetzner",
    "ServiceAccount nginx-ingress/nginx-ingress",
  ],
};

describe("the hcloud token's readers", { skip: HELM_SKIP }, () => {
  for (const name of SITES) {
    const expected = READERS[name];
    if (expected === undefined) continue;
    it(`on ${name} are, besides cluster admins, only controllers that read every namespace's Secrets`, async () => {
      const site = await siteUnderTest(name);
      const objects = site.all as unknown as Obj[];
      assert.ok(objects.some((o) => o.kind === "Secret" && o.metadata.namespace === HCLOUD_CSI.namespace && o.metadata.name === HCLOUD_CSI.tokenSecret.name));
      assert.deepEqual(readersOf(objects, HCLOUD_CSI.namespace, HCLOUD_CSI.tokenSecret.name), expected);
    });
  }
});
