/**
 * The machinery both Calico manifests (canal.yaml, calico.yaml) are customized with: parse the upstream objects,
 * find what is changed by kind and name, edit containers' environment and the CNI config template, rewrite image
 * registries. Everything by name, never by position or text patching.
 */
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };
import type { IContainer } from "kubernetes-models/v1/Container" with { "resolution-mode": "import" };
import type { IPodSpec } from "kubernetes-models/v1/PodSpec" with { "resolution-mode": "import" };
import { ofKind, type KubernetesObject } from "../kubernetes/object";
import { podSpecOf } from "../kubernetes/pods";

/** CustomResourceDefinitions first, so that they can be applied (and established) before everything else. */
export function splitCrds(objects: readonly KubernetesObject[]): { crds: KubernetesObject[]; rest: KubernetesObject[] } {
  const crds: KubernetesObject[] = [];
  const rest: KubernetesObject[] = [];
  for (const obj of objects) {
    const { apiVersion, kind } = obj;
    const isCrd = kind === "CustomResourceDefinition" && String(apiVersion).startsWith("apiextensions.k8s.io/");
    (isCrd ? crds : rest).push(obj);
  }
  return { crds, rest };
}

/**
 * `image` pulled from `registry` instead: the registry part is replaced, the repository path and tag are kept
 * (quay.io/calico/node:v3.32.1 -> <registry>/calico/node:v3.32.1). Images without a registry are Docker Hub ones,
 * whose single-name images live under library/.
 */
export function withRegistry(image: string, registry: string): string {
  const slash = image.indexOf("/");
  const first = slash < 0 ? "" : image.slice(0, slash);
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const path = hasRegistry ? image.slice(slash + 1) : slash < 0 ? `library/${image}` : image;
  return `${registry.replace(/\/+$/, "")}/${path}`;
}

export function findObject(objects: readonly KubernetesObject[], kind: string, name: string, namespace: string): KubernetesObject | undefined {
  return objects.find(
    (o) => o.kind === kind && o.metadata?.name === name && (o.metadata.namespace ?? namespace) === namespace,
  );
}

export function setEnv(container: IContainer, name: string, value: string): void {
  const env = (container.env ??= []);
  const at = env.findIndex((e) => e.name === name);
  if (at >= 0) env[at] = { name, value };
  else env.push({ name, value });
}

export function parseJson(text: string, fail: () => Error): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail();
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw fail();
  return value as Record<string, unknown>;
}

export function calicoPlugin(cni: Record<string, unknown>): Record<string, unknown> | undefined {
  const plugins = Array.isArray(cni.plugins) ? (cni.plugins as unknown[]) : [cni];
  return plugins.find((p): p is Record<string, unknown> => (p as { type?: unknown } | null)?.type === "calico");
}

// The CNI config is a template for Calico's install-cni: bare placeholders such as `"mtu": __CNI_MTU__` are replaced
// on each node, so the text is not JSON. Outside strings they become marked strings while we edit, and bare again after.
const RAW = "@@k3s-sites-raw@@";
const PLACEHOLDER = /__[A-Z0-9_]+__/y;

export function parseCniTemplate(text: string, fail: () => Error): Record<string, unknown> {
  let json = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      json += c;
      if (c === "\\") json += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    PLACEHOLDER.lastIndex = i;
    const placeholder = PLACEHOLDER.exec(text);
    if (placeholder) {
      json += JSON.stringify(RAW + placeholder[0]);
      i += placeholder[0].length - 1;
      continue;
    }
    if (c === '"') inString = true;
    json += c;
  }
  return parseJson(json, fail);
}

export function formatCniTemplate(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(new RegExp(`"${RAW}(__[A-Z0-9_]+__)"`, "g"), "$1");
}

/** A CNI's `resources` setting as container requests; undefined when it sets neither cpu nor memory. */
export function requestsOf(resources: { cpu?: string; memory?: string } | undefined): Record<string, string> | undefined {
  if (resources?.cpu === undefined && resources?.memory === undefined) return undefined;
  return {
    ...(resources.cpu !== undefined ? { cpu: resources.cpu } : {}),
    ...(resources.memory !== undefined ? { memory: resources.memory } : {}),
  };
}

/** Where a manifest keeps what k3s-sites customizes: one ConfigMap and one DaemonSet in one namespace. */
export interface ManifestNames {
  readonly namespace: string;
  readonly configMap: string;
  readonly daemonSet: string;
}

/**
 * The parts of a manifest the customizations edit, in place in `objects`, or `missing(what)` thrown for the first
 * one the manifest lacks: the ConfigMap's data (with a reader of its string keys), the DaemonSet's pod, a container
 * of that pod, and whether any container of the pod reads a key of the ConfigMap.
 */
export function manifestParts(objects: KubernetesObject[], names: ManifestNames, missing: (what: string) => Error) {
  const configMap = ofKind<IConfigMap>(findObject(objects, "ConfigMap", names.configMap, names.namespace), "ConfigMap");
  if (!configMap?.data) throw missing(`ConfigMap ${names.namespace}/${names.configMap}`);
  const data = configMap.data;
  const stringKey = (key: string): string => {
    const value = data[key];
    if (typeof value !== "string") throw missing(`key ${key} in ConfigMap ${names.configMap}`);
    return value;
  };
  const pod = podSpecOf(findObject(objects, "DaemonSet", names.daemonSet, names.namespace));
  const podSpec = (): IPodSpec => {
    if (!pod) throw missing(`DaemonSet ${names.namespace}/${names.daemonSet}`);
    return pod;
  };
  const container = (name: string): IContainer => {
    const found = podSpec().containers?.find((c) => c.name === name);
    if (!found) throw missing(`container ${name} in DaemonSet ${names.daemonSet}`);
    return found;
  };
  /** Throws unless a container of the DaemonSet reads `key`: a key nobody reads is a customization that does nothing. */
  const requireRead = (key: string): void => {
    const all = [...(podSpec().initContainers ?? []), ...(podSpec().containers ?? [])];
    const read = all.some((c) =>
      (c.env ?? []).some((e) => e.valueFrom?.configMapKeyRef?.name === names.configMap && e.valueFrom.configMapKeyRef.key === key),
    );
    if (!read) throw missing(`container of DaemonSet ${names.daemonSet} reading ${names.configMap} ${key}`);
  };
  return { data, stringKey, podSpec, container, requireRead };
}

/** Adds `requests` to each container's resource requests. */
export function addRequests(containers: readonly IContainer[], requests: Record<string, string>): void {
  for (const c of containers) c.resources = { ...c.resources, requests: { ...c.resources?.requests, ...requests } };
}

/** Every container image of `objects` pulled from `registry` (withRegistry), or `missing` thrown when there is none. */
export function rewriteRegistry(objects: KubernetesObject[], registry: string, missing: (what: string) => Error): void {
  let rewritten = 0;
  for (const obj of objects) {
    const spec = podSpecOf(obj);
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])]) {
      if (c.image === undefined) continue;
      c.image = withRegistry(c.image, registry);
      rewritten++;
    }
  }
  if (rewritten === 0) throw missing("container image");
}
