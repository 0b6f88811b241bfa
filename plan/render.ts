/**
 * What `npm run plan` writes, from one offline run: file contents by relative path, and the summary for stdout.
 */
import { stringify } from "yaml";
import { secretDigestsOf } from "./diff-state";
import { deployModel, formatDuration } from "./deploy-model";
import type { PreviewDiff } from "./diff";
import type { ProgramRun, RecordedResource } from "./engine";
import { AddressMarks } from "./summary/addresses";
import { changeLines } from "./summary/changes";
import { costLines } from "./summary/cost";
import { groupLines, resourceGroups } from "./summary/resources";
import { unsetSecretLines } from "./summary/secrets";
import { exposureLines, firewallLines, hetznerLoadBalancerLine, nodeLines } from "./summary/site";
import { NOT_RUN_ANNOTATION } from "../src/verify/jobs";
import { VERIFY_NAMESPACE } from "../src/verify/names";
import { nodeOfCommand } from "../src/k3s/names";
import { CHART_TYPE } from "../src/type-tokens";

const GROUP_TYPES = new Set(["kubernetes:yaml/v2:ConfigGroup"]);

function isKubernetesObject(r: RecordedResource): boolean {
  return (
    r.custom &&
    r.type.startsWith("kubernetes:") &&
    !r.type.startsWith("kubernetes:helm") &&
    !r.type.startsWith("kubernetes:yaml")
  );
}

const manifestsByRun = new WeakMap<ProgramRun, Record<string, unknown>[]>();

/**
 * Every Kubernetes object the program would apply, in registration order. The same array for the same run, so that
 * each object is written to YAML once (see yamlDoc).
 */
export function manifestsOf(run: ProgramRun): Record<string, unknown>[] {
  let objects = manifestsByRun.get(run);
  if (!objects) {
    objects = objectsOf(run);
    manifestsByRun.set(run, objects);
  }
  return objects;
}

function objectsOf(run: ProgramRun): Record<string, unknown>[] {
  return run.resources.flatMap((r): Record<string, unknown>[] => {
    if (GROUP_TYPES.has(r.type)) return (r.inputs.objs as Record<string, unknown>[] | undefined) ?? [];
    if (!isKubernetesObject(r)) return [];
    const { apiVersion, kind, metadata, ...rest } = r.inputs;
    return [{ apiVersion, kind, metadata, ...rest }];
  });
}

export function chartsOf(run: ProgramRun): Record<string, unknown>[] {
  return run.resources
    .filter((r) => r.type === CHART_TYPE)
    .map((r) => ({
      name: r.name,
      chart: r.inputs.chart,
      version: r.inputs.version,
      repository: (r.inputs.repositoryOpts as { repo?: string } | undefined)?.repo,
      namespace: r.inputs.namespace,
      values: r.inputs.values ?? {},
    }));
}

export function nodeScriptsOf(run: ProgramRun): Record<string, string> {
  const scripts: Record<string, string> = {};
  for (const r of run.resources) {
    const node = nodeOfCommand(r);
    if (node === undefined) continue;
    const create = r.inputs.create;
    scripts[node] = typeof create === "string" ? create : `# the bootstrap script of ${node} is ${JSON.stringify(create)}\n`;
  }
  return scripts;
}

const yamlOf = new WeakMap<object, string>();

/**
 * One YAML document. Each object is written once per process: manifests.yaml repeats the program's objects and
 * every chart's (also in charts/<release>.yaml), and writing YAML was a tenth of a 100-node plan. The plan never
 * changes an object once recorded or rendered.
 */
export function yamlDoc(doc: unknown): string {
  if (doc === null || typeof doc !== "object") return stringify(doc, { lineWidth: 0 });
  let text = yamlOf.get(doc);
  if (text === undefined) {
    text = stringify(doc, { lineWidth: 0 });
    yamlOf.set(doc, text);
  }
  return text;
}

/** Records the YAML of an object written before, by an earlier plan (plan/charts/render-cache.ts). */
export function rememberYaml(doc: object, text: string): void {
  yamlOf.set(doc, text);
}

/** Documents separated by `---`. */
export function multiDoc(docs: readonly unknown[]): string {
  return docs.map(yamlDoc).join("---\n");
}

/**
 * Every file's contents made on first read and then kept: a caller that reads one file (the scenarios read
 * outputs.json and resources.json of each run) does not write every manifest to YAML. The keys are all there from the
 * start, so listing or writing the files sees each of them; a file can be set like any property.
 */
function lazyFiles(makers: Readonly<Record<string, () => string>>): Record<string, string> {
  const files: Record<string, string> = {};
  const settle = (path: string, text: string) =>
    Object.defineProperty(files, path, { value: text, writable: true, enumerable: true, configurable: true });
  for (const [path, make] of Object.entries(makers)) {
    Object.defineProperty(files, path, {
      enumerable: true,
      configurable: true,
      get: () => {
        const text = make();
        settle(path, text);
        return text;
      },
      set: (text: string) => settle(path, text),
    });
  }
  return files;
}

/** File contents by path relative to the out directory, each made when first read (see lazyFiles). */
export function renderFiles(run: ProgramRun): Record<string, string> {
  const makers: Record<string, () => string> = {
    "resources.json": () =>
      `${JSON.stringify(
        // Secrets appear as "[secret]"; their digests let a later `plan --previous` tell whether they changed.
        run.resources.map((resource) => {
          const { rawInputs: _secret, ...r } = resource;
          const secretDigests = secretDigestsOf(resource);
          return Object.keys(secretDigests).length > 0 ? { ...r, secretDigests } : r;
        }),
        null,
        2,
      )}\n`,
    "manifests.yaml": () => multiDoc(manifestsOf(run)),
    "charts.yaml": () => multiDoc(chartsOf(run)),
    "outputs.json": () => `${JSON.stringify(run.outputs, null, 2)}\n`,
  };
  for (const [node, script] of Object.entries(nodeScriptsOf(run))) makers[`nodes/${node}.sh`] = () => script;
  // Calico sites: the routers' side of BGP, as the program exports it (src/cni/calico/routers.ts).
  const routers = (run.outputs as { routers?: Record<string, string> }).routers ?? {};
  for (const [file, text] of Object.entries(routers)) makers[`routers/${file}`] = () => text;
  return lazyFiles(makers);
}

/** What the summary needs besides the run: the stack file's text (for the secrets it holds) and a preview's diff. */
export interface SummaryContext {
  readonly stackFileText?: string;
  readonly diff?: PreviewDiff;
  /** What the diff compares with, as the user named it. */
  readonly against?: string;
  /** The charts' rendered objects (ChartPlan.objects), for a chart's LoadBalancer Service. @default [] */
  readonly chartObjects?: readonly Record<string, unknown>[];
}

/**
 * The report on stdout, for a person deciding whether to run `pulumi up`: with a previous state, what changes first;
 * then what will be created, grouped (counts that add up to the total), the nodes, the firewall, the load balancer,
 * what the internet reaches, the monthly cost, the secrets still unset, and the modelled deploy time.
 */
export function summarize(run: ProgramRun, files: Readonly<Record<string, string>>, context: SummaryContext = {}): string {
  const marks = new AddressMarks();
  const lines: string[] = [];
  if (context.diff) lines.push(...changeLines(context.diff, context.against ?? "the previous state"));
  const groups = resourceGroups(run.resources);
  lines.push(`stack ${run.stack}: ${run.resources.length} resources, which pulumi up registers:`, ...groupLines(groups));
  lines.push(...nodeLines(run, marks));
  lines.push(...firewallLines(run, marks));
  const lan = lanLoadBalancer([...manifestsOf(run), ...(context.chartObjects ?? [])]);
  lines.push(hetznerLoadBalancerLine(run, marks) ?? `load balancer: ${lan ?? "none"}`);
  lines.push(...exposureLines(run, marks, lan));
  lines.push(...costLines(run, manifestsOf(run)));
  lines.push(...unsetSecretLines(run, context.stackFileText));
  const legend = marks.legend();
  if (legend.length > 0) lines.push("addresses marked:", ...legend);
  lines.push(...checksNotRunLines(manifestsOf(run)));
  lines.push(deployLine(run));
  lines.push(`files: ${Object.keys(files).sort().join(", ")}`);
  return `${lines.join("\n")}\n`;
}

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/**
 * What hands out LAN addresses on a home site, read from the objects the program applies: MetalLB's pools with how
 * each is announced, or Cilium's LB-IPAM pools, and nginx's LoadBalancer Service with its fixed address.
 */
export function lanLoadBalancer(objects: readonly Record<string, unknown>[]): string | undefined {
  const all = objects as unknown as readonly Manifest[];
  const of = (group: string, kind: string) => all.filter((o) => o.kind === kind && (o.apiVersion ?? "").startsWith(`${group}/`));
  const list = (items: unknown) => (Array.isArray(items) ? items.map(String) : []);
  const services = all.filter((o) => o.kind === "Service" && o.spec?.type === "LoadBalancer");
  const nginx = services.map((s) => {
    const fixed = s.metadata?.annotations?.["metallb.io/loadBalancerIPs"] ?? (s.spec?.loadBalancerIP as string | undefined);
    return `${s.metadata?.namespace ?? "default"}/${s.metadata?.name} at ${fixed ?? "an address from the pools"}`;
  });
  const metallb = of("metallb.io", "IPAddressPool");
  if (metallb.length > 0) {
    const l2 = of("metallb.io", "L2Advertisement");
    const bgp = of("metallb.io", "BGPAdvertisement");
    const peers = of("metallb.io", "BGPPeer").map((p) => `${p.metadata?.name} ${p.spec?.peerAddress} AS ${p.spec?.peerASN}`);
    const pools = metallb.map((p) => {
      const name = p.metadata?.name ?? "";
      const how = [
        ...l2
          .filter((a) => list(a.spec?.ipAddressPools).includes(name))
          .map((a) => `L2${a.spec?.interfaces ? ` on ${list(a.spec.interfaces).join(", ")}` : ""}`),
        ...bgp.filter((a) => list(a.spec?.ipAddressPools).includes(name)).map(() => `BGP to ${peers.join(", ") || "no peer"}`),
      ];
      return `pool ${name} ${list(p.spec?.addresses).join(" ")} (${how.join("; ") || "not announced"})`;
    });
    return ["MetalLB", ...pools, ...nginx].join(", ");
  }
  const cilium = of("cilium.io", "CiliumLoadBalancerIPPool");
  if (cilium.length > 0) {
    const pools = cilium.map(
      (p) => `pool ${p.metadata?.name} ${((p.spec?.blocks as { cidr?: string; start?: string; stop?: string }[] | undefined) ?? []).map((b) => b.cidr ?? `${b.start}-${b.stop}`).join(" ")}`,
    );
    const l2 = of("cilium.io", "CiliumL2AnnouncementPolicy").length > 0 ? ["L2 announcements"] : [];
    return ["Cilium LB-IPAM", ...pools, ...l2, ...nginx].join(", ");
  }
  return undefined;
}

/**
 * The checks the site does not run because they cannot be truthful on it, with why: the verify Namespace's
 * annotation (src/verify/jobs.ts NOT_RUN_ANNOTATION). None, no line.
 */
export function checksNotRunLines(objects: readonly Record<string, unknown>[]): string[] {
  const ns = (objects as unknown as readonly Manifest[]).find((o) => o.kind === "Namespace" && o.metadata?.name === VERIFY_NAMESPACE);
  const text = ns?.metadata?.annotations?.[NOT_RUN_ANNOTATION];
  return text ? text.split("\n").map((l) => `check not run here: ${l}`) : [];
}

/** Pulumi's default --parallel: 4 x GOMAXPROCS (pulumi v3.248.0 pkg/cmd/pulumi/operations/up.go defaultParallel). */
const CI_DEFAULT_PARALLEL = 8; // a 2-CPU runner

/** The modelled `pulumi up` of a new site (plan/deploy-model.ts; assumptions in docs/performance.md). */
export function deployLine(run: ProgramRun): string {
  const model = deployModel(run.resources, [CI_DEFAULT_PARALLEL]);
  const p = model.parallelWithin10Percent;
  const atDefault = model.makespan.get(CI_DEFAULT_PARALLEL)!;
  return (
    `modelled pulumi up of a new site: ${formatDuration(model.criticalPathSeconds)} at best; ` +
    `${formatDuration(atDefault)} at --parallel ${CI_DEFAULT_PARALLEL}; --parallel ${p} gets within 10% of the best`
  );
}
