/** The pod specs inside rendered objects, and what they reference. */
import type { IPodSpec } from "kubernetes-models/v1/PodSpec" with { "resolution-mode": "import" };
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec" with { "resolution-mode": "import" };
import type { KubernetesObject } from "../../src/kubernetes/object";

export interface Workload {
  readonly owner: KubernetesObject;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: IPodSpec;
}

const WORKLOAD_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "Job", "ReplicaSet"]);

/** Every pod template (Deployment, DaemonSet, StatefulSet, Job, CronJob, ReplicaSet) and bare Pod. */
export function workloadsOf(objects: readonly KubernetesObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    // Each kind keeps its pod template at its own path; kubernetes-models types the template alike for all of them.
    const spec = o.spec as { template?: IPodTemplateSpec; jobTemplate?: { spec?: { template?: IPodTemplateSpec } } } | undefined;
    const template: IPodTemplateSpec | undefined =
      o.kind === "Pod"
        ? { metadata: o.metadata, spec: o.spec as IPodSpec }
        : o.kind === "CronJob"
          ? spec?.jobTemplate?.spec?.template
          : WORKLOAD_KINDS.has(o.kind)
            ? spec?.template
            : undefined;
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
    const name = v.name;
    const { secret, configMap } = v;
    if (secret) add("Secret", secret.secretName, `volume ${name}`, secret.optional === true);
    if (configMap) add("ConfigMap", configMap.name, `volume ${name}`, configMap.optional === true);
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
