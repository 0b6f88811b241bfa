/**
 * Checks on what a chart renders: the things a chart hides from a plan that records only "chart X, these values".
 * Each returns its problems as sentences (empty when the check passes); the tests run them on every example site and
 * every vendored chart version.
 */
import type { RenderedChart } from "./render";
import { referencesOf, workloadsOf } from "../../src/kubernetes/pods";
import type { KubernetesObject } from "../../src/kubernetes/object";

/** A hook Chart v4 drops, with why the site does not need it. */
export interface KnownHook {
  readonly chart: string;
  readonly kind: string;
  readonly name: string;
  readonly reason: string;
}

/** Hooks not listed as safe to drop: each would be missing on the cluster. */
export function unlistedHooks(chart: RenderedChart, known: readonly KnownHook[]): string[] {
  return chart.hooks
    .filter((h) => !(h.events.some((e) => e.startsWith("test"))))
    .filter((h) => !known.some((k) => k.chart === chart.spec.chart && k.kind === h.object.kind && k.name === h.object.metadata.name))
    .map(
      (h) =>
        `${chart.spec.chart} ${chart.spec.version}: ${h.object.kind} ${h.object.metadata.name} is a ${h.events.join(",")} hook, ` +
        `which Pulumi's Chart v4 drops: recreate it in the program or list it in plan/charts/known.ts with why it is safe to drop`,
    );
}

/** An object a controller creates on the cluster at run time, which no chart or program renders. */
export interface RuntimeObject {
  readonly kind: "Secret" | "ConfigMap" | "ServiceAccount";
  readonly namespace: string;
  readonly name: string;
  /** The controller that creates it, and the source that says so. */
  readonly createdBy: string;
}

function key(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ?? ""}/${name}`;
}

/**
 * References a pod makes to a Secret, ConfigMap or ServiceAccount that nothing creates: not rendered by a chart,
 * not created by the program (`program` holds its other objects), not listed as created at run time. Optional
 * references are left out (the pod starts without them).
 */
export function missingReferences(
  chart: RenderedChart,
  rendered: readonly KubernetesObject[],
  program: readonly KubernetesObject[],
  runtime: readonly RuntimeObject[],
): string[] {
  const have = new Set([...rendered, ...program].map((o) => key(o.kind, o.metadata?.namespace, o.metadata?.name)));
  for (const r of [...runtime, ...certificateSecrets([...rendered, ...program])]) have.add(key(r.kind, r.namespace, r.name));
  const problems: string[] = [];
  for (const w of workloadsOf(chart.objects)) {
    for (const ref of referencesOf(w)) {
      if (ref.optional || have.has(key(ref.kind, ref.namespace, ref.name))) continue;
      if (ref.kind === "ServiceAccount" && ref.name === "default") continue; // every namespace has it
      problems.push(
        `${chart.spec.chart} ${chart.spec.version}: ${w.owner.kind} ${w.namespace}/${w.owner.metadata.name} uses ${ref.kind} ` +
          `${ref.name} (${ref.via}), which no chart or program object creates and no controller is listed as creating ` +
          `(plan/charts/known.ts)`,
      );
    }
  }
  return problems;
}

/** The Secret cert-manager's controller writes for each Certificate (its spec.secretName). */
export function certificateSecrets(objects: readonly KubernetesObject[]): RuntimeObject[] {
  return objects
    .filter((o) => o.kind === "Certificate" && o.apiVersion === "cert-manager.io/v1")
    .map((o) => ({
      kind: "Secret" as const,
      namespace: o.metadata.namespace ?? "default",
      name: String((o.spec as { secretName?: string }).secretName),
      createdBy: `cert-manager's controller, for Certificate ${o.metadata.namespace}/${o.metadata.name}`,
    }));
}

/** `quay.io/cilium/cilium:v1.19.6@sha256:...` -> its repository, tag and digest. */
export function parseImage(image: string): { repository: string; tag?: string; digest?: string } {
  const [name, digest] = image.split("@") as [string, string | undefined];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const hasTag = colon > slash;
  return {
    repository: hasTag ? name.slice(0, colon) : name,
    ...(hasTag ? { tag: name.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** Images of a chart: which repositories carry the chart's own version. */
export interface ImageRule {
  readonly chart: string;
  /** Repositories whose tag must be the pinned app version. */
  readonly appRepositories: RegExp;
  /** The app version for a chart version (cilium 1.19.6 -> v1.19.6). */
  readonly appVersion: (chartVersion: string) => string;
}

/** Every image that is not pinned (no tag or digest, or `latest`) or does not match the pinned version. */
export function imageProblems(chart: RenderedChart, rule: ImageRule): string[] {
  const problems: string[] = [];
  const expected = rule.appVersion(chart.spec.version);
  for (const w of workloadsOf(chart.objects)) {
    for (const c of [...(w.spec.initContainers ?? []), ...(w.spec.containers ?? [])]) {
      const where = `${chart.spec.chart} ${chart.spec.version}: ${w.owner.kind} ${w.namespace}/${w.owner.metadata.name} container ${c.name}`;
      if (!c.image) {
        problems.push(`${where} has no image`);
        continue;
      }
      const image = parseImage(c.image);
      if (!image.digest && (!image.tag || image.tag === "latest")) {
        problems.push(`${where}: image ${c.image} is not pinned: give a version tag or a digest`);
      } else if (rule.appRepositories.test(image.repository) && image.tag !== expected) {
        problems.push(`${where}: image ${c.image} is not ${expected}, the version the chart is pinned at`);
      }
    }
  }
  return problems;
}
