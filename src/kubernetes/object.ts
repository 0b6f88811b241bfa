/**
 * A Kubernetes object of any kind, as the program builds it or reads it from an upstream manifest or a rendered chart:
 * its type and metadata typed by kubernetes-models, the rest by its kind. Code that needs one kind's fields narrows
 * with `ofKind`, which checks the kind before it gives the kind's own kubernetes-models type.
 */
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
