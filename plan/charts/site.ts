/**
 * Every Chart a site installs, rendered: what `npm run plan` writes to charts/ and what the chart tests check.
 */
import { NAMESPACE, SECTION_KEYS, parseSiteConfig } from "../../src/config/load";
import type { SiteConfig } from "../../src/config/site";
import type { ProgramRun, StackFile } from "../engine";
import { manifestsOf, multiDoc } from "../render";
import { findHelm, type Helm } from "./helm";
import { vendoredChart } from "./vendored";
import { chartSpecOf, crdApiVersions, renderChart, type Capabilities, type RenderedChart } from "./render";
import { CHART_TYPE } from "../../src/type-tokens";

export interface SiteCharts {
  readonly helm: Helm;
  readonly capabilities: Capabilities;
  readonly charts: readonly RenderedChart[];
}

const configs = new WeakMap<StackFile, SiteConfig>();

/** The site's config as the program read it, from the same stack file (parsed once per stack file). */
export function siteConfigOf(stackFile: StackFile): SiteConfig {
  let config = configs.get(stackFile);
  if (!config) {
    config = parseConfigOf(stackFile);
    configs.set(stackFile, config);
  }
  return config;
}

function parseConfigOf(stackFile: StackFile): SiteConfig {
  const raw: Record<string, unknown> = {};
  for (const key of SECTION_KEYS) {
    const value = stackFile.config[`${NAMESPACE}:${key}`];
    if (value !== undefined) raw[key] = value.startsWith("{") || value.startsWith("[") ? JSON.parse(value) : value;
  }
  return parseSiteConfig(raw, stackFile.stack);
}

/** Objects of the run that are not charts (ConfigGroups and single objects), for the CRDs the site installs. */
function plainObjects(run: ProgramRun): unknown[] {
  return run.resources.flatMap((r) =>
    r.type === "kubernetes:yaml/v2:ConfigGroup" ? ((r.inputs.objs as unknown[] | undefined) ?? []) : r.type.startsWith("kubernetes:") ? [r.inputs] : [],
  );
}

/**
 * Renders every Chart resource of the run. The API versions are those of every CRD the site installs (in its
 * manifests and in its charts), as discovery shows them once the site is up: a first pass finds the charts' CRDs,
 * the second renders with them. Returns the reason instead when there is no helm on this machine.
 */
export function renderSiteCharts(run: ProgramRun, config: SiteConfig, helm?: Helm): SiteCharts | { skipped: string } {
  const specs = run.resources.filter((r) => r.type === CHART_TYPE).map(chartSpecOf);
  // Refused on every machine, with or without helm.
  for (const s of specs) vendoredChart(s.chart, s.version);
  if (!helm) {
    const found = findHelm();
    if ("skipped" in found) return found;
    helm = found.helm;
  }
  const base = crdApiVersions(plainObjects(run));
  const kubeVersion = config.k3s.version;
  const first = specs.map((s) => renderChart(helm, s, { kubeVersion, apiVersions: base }));
  const apiVersions = [...new Set([...base, ...crdApiVersions(first.flatMap((c) => c.objects))])].sort();
  const capabilities = { kubeVersion, apiVersions };
  const charts = apiVersions.length === base.length ? first : specs.map((s) => renderChart(helm, s, capabilities));
  return { helm, capabilities, charts };
}

/**
 * manifests.yaml with every object the site applies: the program's own, then each chart's rendered objects (what
 * Chart v4 registers as its children on `pulumi up`), each chart introduced by a comment. Without helm the charts'
 * objects are not known: a comment per chart says so.
 */
export function manifestsFile(run: ProgramRun, site: SiteCharts | { skipped: string }): string {
  const program = manifestsOf(run);
  const parts = [`# ${program.length} objects of the program\n${multiDoc(program)}`];
  if ("skipped" in site) {
    for (const r of run.resources.filter((r) => r.type === CHART_TYPE)) {
      const s = chartSpecOf(r);
      parts.push(`# chart ${s.release}: ${s.chart} ${s.version} in ${s.namespace}, not rendered: ${site.skipped} (its inputs are in charts.yaml)\n`);
    }
  } else {
    for (const c of site.charts) {
      const { spec } = c;
      parts.push(`# chart ${spec.release}: ${spec.chart} ${spec.version} in ${spec.namespace}, ${c.objects.length} objects (also in charts/${spec.release}.yaml)\n${multiDoc(c.objects)}`);
    }
  }
  return parts.join("---\n");
}

/** charts/<release>.yaml (what Pulumi applies) and charts/<release>.hooks.yaml (what Chart v4 drops). */
export function chartFiles(site: SiteCharts): Record<string, string> {
  const files: Record<string, string> = {};
  for (const c of site.charts) {
    files[`charts/${c.spec.release}.yaml`] = multiDoc(c.objects);
    if (c.hooks.length > 0) files[`charts/${c.spec.release}.hooks.yaml`] = multiDoc(c.hooks.map((h) => h.object));
  }
  return files;
}

/**
 * The summary's lines on charts: the Kubernetes objects the site applies (a Chart counts as one resource above, but
 * registers each rendered object as a child on `pulumi up`), helm, objects per chart, and every dropped hook.
 */
export function chartSummary(site: SiteCharts | { skipped: string }, run?: ProgramRun): string[] {
  const program = run ? manifestsOf(run).length : undefined;
  if ("skipped" in site) {
    return [
      ...(program !== undefined ? [`kubernetes objects: ${program} of the program; the charts' objects are not known`] : []),
      `charts: not rendered: ${site.skipped}`,
    ];
  }
  const rendered = site.charts.reduce((n, c) => n + c.objects.length, 0);
  const lines = [
    ...(program !== undefined
      ? [`kubernetes objects: ${program + rendered} (${program} of the program, ${rendered} rendered by ${site.charts.length} charts), all in manifests.yaml`]
      : []),
    `charts rendered with helm ${site.helm.version} from ${site.helm.source}, kube ${site.capabilities.kubeVersion}:`,
  ];
  for (const c of site.charts) {
    const { spec } = c;
    lines.push(`  ${spec.release}: ${spec.chart} ${spec.version} in ${spec.namespace}, ${c.objects.length} objects`);
    const dropped = c.hooks.map((h) => `${h.object.kind} ${h.object.metadata.name} (${h.events.join(",")})`);
    lines.push(`    dropped hooks: ${dropped.length > 0 ? dropped.join(", ") : "none"}`);
  }
  return lines;
}
