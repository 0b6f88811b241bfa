/** The pod specs inside rendered objects, and what they reference. */
import type { K8sObject } from "./render";

export interface PodSpecLike {
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly imagePullSecrets?: readonly { name: string }[];
  readonly volumes?: readonly Record<string, unknown>[];
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly hostNetwork?: boolean;
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly ports?: readonly { name?: string; containerPort: number; protocol?: string }[];
  readonly env?: readonly { name: string; valueFrom?: Record<string, { name?: string; optional?: boolean }> }[];
  readonly envFrom?: readonly { secretRef?: { name: string; optional?: boolean }; configMapRef?: { name: string; optional?: boolean } }[];
}

export interface Workload {
  readonly owner: K8sObject;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: PodSpecLike;
}

/** Every pod template (Deployment, DaemonSet, StatefulSet, Job, CronJob, ReplicaSet) and bare Pod. */
export function workloadsOf(objects: readonly K8sObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    const spec = o.spec as Record<string, any> | undefined;
    let template: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike } | undefined;
    if (o.kind === "Pod") template = { metadata: o.metadata, spec: o.spec as PodSpecLike };
    else if (o.kind === "CronJob") template = spec?.jobTemplate?.spec?.template;
    else if (["Deployment", "DaemonSet", "StatefulSet", "Job", "ReplicaSet"].includes(o.kind)) template = spec?.template;
    if (template?.spec) {
      out.push({ owner: o, namespace: o.metadata.namespace ?? "default", labels: template.metadata?.labels ?? {}, spec: template.spec });
    }
  }
  return out;
}

export interface Reference {
  readonly kind: "Secret" | "ConfigMap" | "ServiceAccount";
  readonly namespace: string;
  readonly name: string;
  /** Where the pod refers to it: `volume certs`, `env FOO of container agent`. */
  readonly via: string;
  /** The pod starts without it (optional: true). */
  readonly optional: boolean;
}

/** Every Secret, ConfigMap and ServiceAccount a pod mounts or uses. */
export function referencesOf(w: Workload): Reference[] {
  const refs: Reference[] = [];
  const ns = w.namespace;
  const add = (kind: Reference["kind"], name: string | undefined, via: string, optional = false) => {
    if (name) refs.push({ kind, namespace: ns, name, via, optional });
  };
  add("ServiceAccount", w.spec.serviceAccountName ?? "default", "serviceAccountName");
  for (const s of w.spec.imagePullSecrets ?? []) add("Secret", s.name, "imagePullSecrets");
  for (const v of w.spec.volumes ?? []) {
    const name = String(v.name);
    const secret = v.secret as { secretName?: string; optional?: boolean } | undefined;
    const configMap = v.configMap as { name?: string; optional?: boolean } | undefined;
    if (secret) add("Secret", secret.secretName, `volume ${name}`, secret.optional === true);
    if (configMap) add("ConfigMap", configMap.name, `volume ${name}`, configMap.optional === true);
    const projected = v.projected as { sources?: Record<string, { name?: string; optional?: boolean }>[] } | undefined;
    for (const source of projected?.sources ?? []) {
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
