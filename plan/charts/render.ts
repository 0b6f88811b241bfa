/**
 * Renders a Chart resource the way Pulumi's Chart v4 does on `pulumi up`, with the real helm and the vendored chart.
 *
 * What the provider does, from pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go and provider/pkg/helm/
 * values.go (see upstream/SOURCES.md, "charts"): `helm template` client-side with the release name (the resource
 * name when `name` is unset), the namespace, CRDs included unless skipCrds, hooks disabled (DisableHooks: Helm keeps
 * hooks out of the release manifest, and Pulumi applies only the manifest), values files merged first and the values
 * map over them, the server's version as the Kubernetes version and its discovered API versions; then every object
 * without a namespace that is not cluster-scoped gets the chart's namespace.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RecordedResource } from "../engine";
import type { Helm } from "./helm";
import { cachedRender, chartDigest, storeRender } from "./render-cache";
import { rememberYaml, yamlDoc } from "../render";
import { vendoredChart } from "./vendored";
import { parseManifest, type KubernetesObject } from "../../src/kubernetes/object";

export const HOOK_ANNOTATION = "helm.sh/hook";

/** A Chart resource's inputs, as the plan recorded them. */
export interface ChartSpec {
  /** The Pulumi resource name. */
  readonly resource: string;
  readonly release: string;
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
  /** Texts of valueYamlFiles, in order. */
  readonly valuesFiles: readonly string[];
  readonly skipCrds: boolean;
}

export interface Hook {
  readonly object: KubernetesObject;
  /** The helm.sh/hook events: pre-install, post-install, test ... */
  readonly events: readonly string[];
}

export interface RenderedChart {
  readonly spec: ChartSpec;
  readonly dir: string;
  /** What Pulumi applies. */
  readonly objects: readonly KubernetesObject[];
  /** Hooks the chart renders and Chart v4 drops (test hooks included: `helm test` runs them, never `up`). */
  readonly hooks: readonly Hook[];
}

export interface Capabilities {
  /** The server's version, as the provider reads it from discovery: k3s's version (v1.33.5+k3s1). */
  readonly kubeVersion: string;
  /** API versions beyond helm's built-in set: `group/version` and `group/version/Kind` of the site's CRDs. */
  readonly apiVersions: readonly string[];
}

/** The chart inputs of a recorded Chart resource. */
export function chartSpecOf(r: RecordedResource): ChartSpec {
  const inputs = r.inputs;
  const files = (inputs.valueYamlFiles as { asset?: { text?: string } }[] | undefined) ?? [];
  return {
    resource: r.name,
    release: typeof inputs.name === "string" && inputs.name !== "" ? inputs.name : r.name,
    chart: String(inputs.chart),
    version: String(inputs.version),
    namespace: typeof inputs.namespace === "string" && inputs.namespace !== "" ? inputs.namespace : "default",
    values: (inputs.values as Record<string, unknown> | undefined) ?? {},
    valuesFiles: files.map((f, i) => {
      if (typeof f.asset?.text !== "string") {
        throw new Error(`${r.name}: valueYamlFiles[${i}] is not a text asset; the plan renders only text assets`);
      }
      return f.asset.text;
    }),
    skipCrds: inputs.skipCrds === true,
  };
}

/** Kinds without a namespace in Kubernetes 1.33, and the cluster-scoped custom resources of the vendored charts. */
const CLUSTER_SCOPED = new Set([
  "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "CSINode",
  "CustomResourceDefinition", "FlowSchema", "IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node",
  "PersistentVolume", "PriorityClass", "PriorityLevelConfiguration", "RuntimeClass", "StorageClass",
  "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
  "VolumeAttachment", "GatewayClass",
]);

function clusterScoped(obj: KubernetesObject, crdScopes: ReadonlyMap<string, string>): boolean {
  const scope = crdScopes.get(`${obj.apiVersion.split("/")[0]}/${obj.kind}`);
  return scope ? scope === "Cluster" : CLUSTER_SCOPED.has(obj.kind);
}

function hookEvents(obj: KubernetesObject): string[] | undefined {
  const value = obj.metadata?.annotations?.[HOOK_ANNOTATION];
  return typeof value === "string" ? value.split(",").map((e) => e.trim()).filter(Boolean) : undefined;
}

/** The helm command line for a spec; values are read from files in `workDir`. */
export function helmArgs(spec: ChartSpec, dir: string, caps: Capabilities, workDir: string): string[] {
  const args = ["template", spec.release, dir, "--namespace", spec.namespace, "--kube-version", caps.kubeVersion];
  if (!spec.skipCrds) args.push("--include-crds");
  spec.valuesFiles.forEach((text, i) => {
    const file = join(workDir, `values-file-${i}.yaml`);
    writeFileSync(file, text);
    args.push("--values", file);
  });
  // JSON is YAML: the values map goes last, over the files, as the provider merges them.
  const valuesFile = join(workDir, "values.json");
  writeFileSync(valuesFile, JSON.stringify(spec.values));
  args.push("--values", valuesFile);
  for (const v of caps.apiVersions) args.push("--api-versions", v);
  return args;
}

const execFileAsync = promisify(execFile);
/** What parses helm's output (js-yaml) and writes the plan's YAML (yaml): part of what a kept render depends on. */
const YAML_VERSIONS = ["js-yaml", "yaml"].map(
  (name) => `${name}@${(require(`${name}/package.json`) as { version: string }).version}`,
);
const cache = new Map<string, RenderedChart>();
const readsApiVersions = new Map<string, boolean>();

function templateTexts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateTexts(join(dir, e.name)) : [readFileSync(join(dir, e.name), "utf8")],
  );
}

/** Whether any template of the chart reads .Capabilities.APIVersions. */
function usesApiVersions(dir: string): boolean {
  let uses = readsApiVersions.get(dir);
  if (uses === undefined) {
    uses = templateTexts(join(dir, "templates")).some((t) => t.includes("Capabilities.APIVersions"));
    readsApiVersions.set(dir, uses);
  }
  return uses;
}

interface RenderJob {
  /** Within the process. */
  readonly key: string;
  /** Across plans (render-cache.ts): also the chart folder's content and helm's version. */
  readonly diskKey: string;
  readonly dir: string;
  readonly args: (workDir: string) => string[];
  readonly env: (workDir: string) => NodeJS.ProcessEnv;
}

function renderJob(helm: Helm, spec: ChartSpec, caps: Capabilities, chartsRoot?: string): RenderJob {
  const dir = vendoredChart(spec.chart, spec.version, chartsRoot);
  // A chart whose templates never read the API versions renders the same whatever they are.
  const usedCaps = usesApiVersions(dir) ? caps : { ...caps, apiVersions: [] };
  const key = createHash("sha256").update(JSON.stringify([helm.path, dir, spec, usedCaps])).digest("hex");
  const diskKey = createHash("sha256").update(JSON.stringify([key, helm.version, helm.source, chartDigest(dir), YAML_VERSIONS])).digest("hex");
  return {
    key,
    diskKey,
    dir,
    args: (workDir) => helmArgs(spec, dir, caps, workDir),
    // No repository, registry or plugin is read from the user's helm setup.
    env: (workDir) => ({ ...process.env, HELM_CACHE_HOME: join(workDir, "cache"), HELM_CONFIG_HOME: join(workDir, "config"), HELM_DATA_HOME: join(workDir, "data") }),
  };
}

function renderFailed(spec: ChartSpec, err: unknown): Error {
  const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
  return new Error(`helm template of ${spec.chart} ${spec.version} (release ${spec.release}) failed: ${stderr}`);
}

const HELM_OUTPUT = { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 } as const;

/** Renders one chart; the same inputs render once per process. Throws with helm's message on a failed render. */
export function renderChart(helm: Helm, spec: ChartSpec, caps: Capabilities, chartsRoot?: string): RenderedChart {
  const job = renderJob(helm, spec, caps, chartsRoot);
  const hit = cache.get(job.key) ?? fromDisk(spec, job);
  if (hit) return hit;
  const workDir = mkdtempSync(join(tmpdir(), "k3s-sites-helm-"));
  let out: string;
  try {
    out = execFileSync(helm.path, job.args(workDir), { ...HELM_OUTPUT, stdio: ["ignore", "pipe", "pipe"], env: job.env(workDir) });
  } catch (err) {
    throw renderFailed(spec, err);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const rendered = renderedOf(spec, job, out);
  cache.set(job.key, rendered);
  return rendered;
}

/**
 * Renders a chart in the background, for renderChart to find done: the plan starts this as the program registers the
 * Chart, so that helm works on the other core while the program goes on. Only a chart whose templates never read the
 * API versions: the others wait for every CRD of the run. A failure is left for renderChart to report (it renders
 * again and throws).
 */
export async function prerenderChart(helm: Helm, spec: ChartSpec, kubeVersion: string): Promise<void> {
  const dir = vendoredChart(spec.chart, spec.version);
  if (usesApiVersions(dir)) return;
  const job = renderJob(helm, spec, { kubeVersion, apiVersions: [] });
  if (cache.has(job.key) || fromDisk(spec, job)) return;
  const workDir = await mkdtemp(join(tmpdir(), "k3s-sites-helm-"));
  let out: string;
  try {
    out = (await execFileAsync(helm.path, job.args(workDir), { ...HELM_OUTPUT, env: job.env(workDir) })).stdout;
  } catch {
    return;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  if (!cache.has(job.key)) cache.set(job.key, renderedOf(spec, job, out));
}

/** A render kept by an earlier plan, now in this process's cache too. */
function fromDisk(spec: ChartSpec, job: RenderJob): RenderedChart | undefined {
  const kept = cachedRender(job.diskKey);
  if (!kept) return undefined;
  const rendered = renderedFromDocs(spec, job.dir, kept.docs as KubernetesObject[]);
  const objects = writtenObjects(rendered);
  if (objects.length !== kept.texts.length) return undefined;
  objects.forEach((o, i) => rememberYaml(o, kept.texts[i]!));
  cache.set(job.key, rendered);
  return rendered;
}

/** The objects the plan writes of a render, in order: what it applies, then the hooks Chart v4 drops. */
function writtenObjects(rendered: RenderedChart): KubernetesObject[] {
  return [...rendered.objects, ...rendered.hooks.map((h) => h.object)];
}

function renderedOf(spec: ChartSpec, job: RenderJob, out: string): RenderedChart {
  let docs: KubernetesObject[];
  try {
    docs = parseManifest(out);
  } catch (err) {
    throw new Error(`helm template of ${spec.chart} ${spec.version} (${spec.resource}): ${(err as Error).message}`);
  }
  const rendered = renderedFromDocs(spec, job.dir, docs);
  storeRender(job.diskKey, { docs, texts: writtenObjects(rendered).map(yamlDoc) });
  return rendered;
}

/** The chart's objects from helm's documents, with the chart's namespace where the provider sets it; hooks apart. */
function renderedFromDocs(spec: ChartSpec, dir: string, docs: readonly KubernetesObject[]): RenderedChart {
  const crdScopes = new Map<string, string>();
  for (const d of docs) {
    if (d.kind !== "CustomResourceDefinition") continue;
    const s = (d as unknown as { spec: { group: string; names: { kind: string }; scope: string } }).spec;
    crdScopes.set(`${s.group}/${s.names.kind}`, s.scope);
  }
  const objects: KubernetesObject[] = [];
  const hooks: Hook[] = [];
  for (const d of docs) {
    const obj =
      d.metadata?.namespace === undefined && !clusterScoped(d, crdScopes)
        ? { ...d, metadata: { ...d.metadata, namespace: spec.namespace } }
        : d;
    const events = hookEvents(obj);
    if (events) hooks.push({ object: obj, events });
    else objects.push(obj);
  }
  return { spec, dir, objects, hooks };
}

/** `group/version` and `group/version/Kind` of every CRD among `objects`, as discovery lists them to helm. */
export function crdApiVersions(objects: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    const crd = o as { kind?: string; spec?: { group: string; names: { kind: string }; versions: { name: string; served?: boolean }[] } };
    if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
    for (const v of crd.spec.versions) {
      if (v.served === false) continue;
      out.add(`${crd.spec.group}/${v.name}`);
      out.add(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`);
    }
  }
  return [...out].sort();
}
