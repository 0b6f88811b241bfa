/**
 * The pods inside Kubernetes objects (a workload's template, a bare Pod) and what each uses by name: read by the
 * plan's chart checks and by the checks of the apps' own manifests (src/apps/manifests.ts).
 */
import type { IPodSpec } from "kubernetes-models/v1/PodSpec" with { "resolution-mode": "import" };
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec" with { "resolution-mode": "import" };
import type { KubernetesObject } from "./object";

export interface Workload {
  readonly owner: KubernetesObject;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: IPodSpec;
}

const WORKLOAD_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "Job", "ReplicaSet"]);

/** The pod template of a workload (Deployment, DaemonSet, StatefulSet, Job, CronJob, ReplicaSet) or a bare Pod. */
function podTemplateOf(o: KubernetesObject): IPodTemplateSpec | undefined {
  // Each kind keeps its pod template at its own path; kubernetes-models types the template alike for all of them.
  const spec = o.spec as { template?: IPodTemplateSpec; jobTemplate?: { spec?: { template?: IPodTemplateSpec } } } | undefined;
  if (o.kind === "Pod") return { metadata: o.metadata, spec: o.spec as IPodSpec };
  if (o.kind === "CronJob") return spec?.jobTemplate?.spec?.template;
  return WORKLOAD_KINDS.has(o.kind) ? spec?.template : undefined;
}

/** The pod an object runs, or undefined for an object that runs none. */
export function podSpecOf(o: KubernetesObject | undefined): IPodSpec | undefined {
  return o ? podTemplateOf(o)?.spec : undefined;
}

/** Every pod template and bare Pod of `objects`, with its namespace and labels. */
export function workloadsOf(objects: readonly KubernetesObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    const template = podTemplateOf(o);
    if (template?.spec) {
      out.push({ owner: o, namespace: o.metadata.namespace ?? "default", labels: template.metadata?.labels ?? {}, spec: template.spec });
    }
  }
  return out;
}

export interface Reference {
  readonly kind: "Secret" | "ConfigMap" | "ServiceAccount" | "PersistentVolumeClaim";
  readonly namespace: string;
  readonly name: string;
  /** Where the pod refers to it: `volume certs`, `env FOO of container agent`. */
  readonly via: string;
  /** The pod starts without it (optional: true). */
  readonly optional: boolean;
}

/** Every Secret, ConfigMap, ServiceAccount and claim a pod mounts or uses. */
export function referencesOf(w: Workload): Reference[] {
  const refs: Reference[] = [];
  const ns = w.namespace;
  const add = (kind: Reference["kind"], name: string | undefined, via: string, optional = false) => {
    if (name) refs.push({ kind, namespace: ns, name, via, optional });
  };
  add("ServiceAccount", w.spec.serviceAccountName ?? "default", "serviceAccountName");
  for (const s of w.spec.imagePullSecrets ?? []) add("Secret", s.name, "imagePullSecrets");
  for (const v of w.spec.volumes ?? []) {
    const name = v.name;
    const { secret, configMap } = v;
    if (secret) add("Secret", secret.secretName, `volume ${name}`, secret.optional === true);
    if (configMap) add("ConfigMap", configMap.name, `volume ${name}`, configMap.optional === true);
    if (v.persistentVolumeClaim) add("PersistentVolumeClaim", v.persistentVolumeClaim.claimName, `volume ${name}`);
    for (const source of v.projected?.sources ?? []) {
      if (source.secret) add("Secret", source.secret.name, `volume ${name}`, source.secret.optional === true);
      if (source.configMap) add("ConfigMap", source.configMap.name, `volume ${name}`, source.configMap.optional === true);
    }
  }
  for (const c of [...(w.spec.initContainers ?? []), ...(w.spec.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      const m = e.valueFrom?.configMapKeyRef;
      if (s) add("Secret", s.name, `env ${e.name} of container ${c.name}`, s.optional === true);
      if (m) add("ConfigMap", m.name, `env ${e.name} of container ${c.name}`, m.optional === true);
    }
    for (const e of c.envFrom ?? []) {
      if (e.secretRef) add("Secret", e.secretRef.name, `envFrom of container ${c.name}`, e.secretRef.optional === true);
      if (e.configMapRef) add("ConfigMap", e.configMapRef.name, `envFrom of container ${c.name}`, e.configMapRef.optional === true);
    }
  }
  return refs;
}
