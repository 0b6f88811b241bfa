/**
 * A Kubernetes object of any kind, as the program builds it or reads it from an upstream manifest or a rendered chart:
 * its type and metadata typed by kubernetes-models, the rest by its kind. Code that needs one kind's fields narrows
 * with `ofKind`, which checks the kind before it gives the kind's own kubernetes-models type.
 */
import { CORE_SCHEMA, loadAll } from "js-yaml";
import type { TypeMeta } from "@kubernetes-models/base" with { "resolution-mode": "import" };
import type { IIoK8sApimachineryPkgApisMetaV1ObjectMeta as IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta" with { "resolution-mode": "import" };

export type ObjectMeta = IObjectMeta;

export interface KubernetesObject extends TypeMeta {
  readonly metadata: IObjectMeta & { readonly name: string };
  readonly [field: string]: unknown;
}

/** `object` as kind `kind`'s type when it is one (kubernetes-models' I<Kind>, with its name), else undefined. */
export function ofKind<T extends TypeMeta>(object: KubernetesObject | undefined, kind: T["kind"]): (T & KubernetesObject) | undefined {
  return object?.kind === kind ? (object as T & KubernetesObject) : undefined;
}

/** Whether a parsed document is a Kubernetes object: apiVersion, kind and metadata.name, each a string. */
export function isKubernetesObject(value: unknown): value is KubernetesObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  const name = metadata !== null && typeof metadata === "object" ? (metadata as Record<string, unknown>).name : undefined;
  return typeof apiVersion === "string" && typeof kind === "string" && typeof name === "string";
}

/**
 * The objects of a multi-document YAML manifest, without empty documents. Throws on YAML errors. js-yaml with the
 * YAML 1.2 core schema (no timestamps, no merge keys, duplicate keys refused) reads what the yaml library's default
 * reads, five to eight times faster: canal.yaml's 350 kB on every run of a Canal or Calico site, and each chart that
 * helm renders (cert-manager's 1 MB with its CRDs).
 */
export function parseManifest(text: string): KubernetesObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch (err) {
    throw new Error(`the manifest is not valid YAML: ${(err as Error).message}`);
  }
  return docs.flatMap((value, at) => {
    if (value === null || value === undefined) return [];
    if (!isKubernetesObject(value)) {
      throw new Error(`the manifest's document ${at + 1} is not a Kubernetes object: it needs apiVersion, kind and metadata.name`);
    }
    return [value];
  });
}
