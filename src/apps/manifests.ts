/**
 * The apps' own objects (networkPolicies.apps[].manifest): read from the k3s-sites folder before any resource, each
 * object kept to its app's namespace, and every Secret and claim its pods use checked to exist once the run is done
 * (made by the manifest itself, by the app's `secrets`, or kept by storage.volumes). A pod that waits for a missing
 * Secret or claim would hold `pulumi up` until Pulumi gives up on it, so the run refuses it first.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import { parseManifest, type KubernetesObject } from "../kubernetes/object";
import { referencesOf, workloadsOf } from "../kubernetes/pods";

/** One app's objects, in its namespace, as the program applies them. */
export interface AppManifest {
  readonly app: string;
  readonly namespace: string;
  readonly objects: readonly KubernetesObject[];
}

/** Kinds that live outside any namespace: an app's file may not make them (they would outlive and outreach it). */
const CLUSTER_KINDS = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "StorageClass",
  "IngressClass",
  "PriorityClass",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "APIService",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "RuntimeClass",
  "CSIDriver",
  "GatewayClass",
  "ClusterIssuer",
]);

/**
 * Every app's manifest, read relative to `root` (the k3s-sites folder, where index.ts is) and checked,
 * with the problems of all of them: each names the app's key, the value and the fix.
 */
export function readAppManifests(config: SiteConfig, root: string): { manifests: AppManifest[]; problems: Problem[] } {
  const manifests: AppManifest[] = [];
  const problems: Problem[] = [];
  // Who makes each object: two makers of one name would collide when Pulumi applies them.
  const makers = new Map<string, string>();
  const madeBy = (id: string, by: string, path: string) => {
    const first = makers.get(id);
    if (first !== undefined) problems.push({ path, message: `${id} is made by ${first} and by ${by}: keep one` });
    else makers.set(id, by);
  };
  config.networkPolicies.apps.forEach((app, index) => {
    const key = `networkPolicies.apps[${index}]`;
    app.secrets.forEach((secret, at) => {
      madeBy(`Secret ${app.namespace}/${secret.name}`, `${key}.secrets[${at}]`, `${key}.secrets[${at}].name`);
      const twice = secret.keys.filter((k, i) => secret.keys.indexOf(k) !== i);
      if (twice.length > 0) problems.push({ path: `${key}.secrets[${at}].keys`, message: `key ${twice[0]} is listed twice: list each key once` });
    });
    if (app.manifest === undefined) {
      if (app.secrets.length > 0) {
        problems.push({ path: `${key}.secrets`, message: `app ${app.name} has secrets but no manifest that uses them: set ${key}.manifest, or leave secrets out` });
      }
      return;
    }
    const path = `${key}.manifest`;
    let objects: KubernetesObject[];
    try {
      objects = parseManifest(readFileSync(resolve(root, app.manifest), "utf8"));
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
      problems.push({ path, message: `${app.manifest} cannot be read (${reason}): give a YAML file of the app's objects, relative to the k3s-sites folder (where index.ts is) or absolute` });
      return;
    }
    const own: KubernetesObject[] = [];
    for (const object of objects) {
      const name = `${object.kind} ${object.metadata.name}`;
      if (CLUSTER_KINDS.has(object.kind)) {
        problems.push({ path, message: `${app.manifest}: ${name} is not in a namespace: an app's file holds only objects of its namespace ${app.namespace}` });
      } else if (object.metadata.namespace !== undefined && object.metadata.namespace !== app.namespace) {
        problems.push({ path, message: `${app.manifest}: ${name} is in namespace ${object.metadata.namespace}: use the app's namespace ${app.namespace}, or leave it out` });
      } else {
        own.push({ ...object, metadata: { ...object.metadata, namespace: app.namespace } });
      }
    }
    if (own.length === 0 && !problems.some((p) => p.path === path)) {
      problems.push({ path, message: `${app.manifest} holds no object: give the app's objects, or leave manifest out` });
    }
    const made = (kind: string) => new Set(own.filter((o) => o.kind === kind).map((o) => o.metadata.name));
    const secrets = new Set([...made("Secret"), ...app.secrets.map((s) => s.name)]);
    const claims = new Set([...made("PersistentVolumeClaim"), ...config.storage.volumes.filter((v) => v.namespace === app.namespace).map((v) => v.name)]);
    for (const object of own) {
      // A Secret of the app's own secrets made by the file too is said once, below, with the file's name.
      if (object.kind === "Secret" && app.secrets.some((s) => s.name === object.metadata.name)) continue;
      madeBy(`${object.kind} ${app.namespace}/${object.metadata.name}`, `${path} (${app.manifest})`, path);
    }
    for (const secret of app.secrets) {
      if (made("Secret").has(secret.name)) {
        problems.push({ path: `${key}.secrets`, message: `Secret ${secret.name} is made by ${app.manifest} too: keep one of the two` });
      }
    }
    for (const workload of workloadsOf(own)) {
      const { kind, metadata } = workload.owner;
      // Optional ones are left out, and pull secrets: the pod starts without them (a public image pulls anyway).
      const uses = referencesOf(workload).filter((r) => !r.optional && r.via !== "imagePullSecrets");
      for (const secret of new Set(uses.filter((r) => r.kind === "Secret").map((r) => r.name))) {
        if (!secrets.has(secret)) {
          problems.push({
            path,
            message:
              `${app.manifest}: ${kind} ${metadata.name} needs Secret ${app.namespace}/${secret}, which nothing makes: add ` +
              `{ name: ${secret}, keys: [...] } to ${key}.secrets, or put the Secret in the file`,
          });
        }
      }
      for (const claim of new Set(uses.filter((r) => r.kind === "PersistentVolumeClaim").map((r) => r.name))) {
        if (!claims.has(claim)) {
          problems.push({
            path,
            message:
              `${app.manifest}: ${kind} ${metadata.name} mounts claim ${app.namespace}/${claim}, which nothing keeps: add ` +
              `{ name: ${claim}, namespace: ${app.namespace}, sizeGb: ... } to storage.volumes, or use a volumeClaimTemplate`,
          });
        }
      }
    }
    manifests.push({ app: app.name, namespace: app.namespace, objects: own });
  });
  return { manifests, problems };
}
