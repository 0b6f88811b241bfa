/** The charts part of `npm run plan`: rendered files, summary lines, and the diffs asked for with --chart-diff. */
import type { ProgramRun, StackFile } from "../engine";
import { diffObjects, formatDiff } from "./diff";
import { KNOWN_METRICS } from "./known";
import { metricsEndpoints, metricsProblems } from "./metrics";
import { blockedReaches, hubbleReaches, webhookReaches } from "./reach";
import { renderChart, type RenderedChart } from "./render";
import { manifestsOf } from "../render";
import type { SiteConfig } from "../../src/config/site";
import { chartFiles, chartSummary, manifestsFile, renderSiteCharts, siteConfigOf } from "./site";
import type { KubernetesObject } from "../../src/kubernetes/object";

export interface ChartPlan {
  /** charts/*.yaml, and manifests.yaml with the charts' objects after the program's (it replaces the program-only one). */
  readonly files: Record<string, string>;
  /** Summary lines and diffs, newline-terminated. */
  readonly text: string;
  /** The charts' rendered objects, for the summary and the diagram (a chart's LoadBalancer Service); [] without helm. */
  readonly objects: readonly KubernetesObject[];
}

/** `cilium=1.19.5` -> { chart, version }; throws with the expected form. */
export function parseChartDiff(arg: string): { chart: string; version: string } {
  const match = /^([a-z0-9][-a-z0-9]*)=(\S+)$/.exec(arg);
  if (!match) throw new Error(`--chart-diff ${arg}: expected <chart>=<version>, e.g. cilium=1.19.5`);
  return { chart: match[1] as string, version: match[2] as string };
}

/**
 * Renders the site's charts and the diffs. Throws (the plan exits 1) on a chart version that is not vendored, a
 * failed render, or a diff that cannot be made.
 */
export function planCharts(run: ProgramRun, stackFile: StackFile, diffs: readonly string[] = []): ChartPlan {
  const requested = diffs.map(parseChartDiff);
  const config = siteConfigOf(stackFile);
  const site = renderSiteCharts(run, config);
  const lines = chartSummary(site, run);
  if ("skipped" in site) {
    if (requested.length > 0) throw new Error(`--chart-diff needs helm: ${site.skipped}`);
    return { files: { "manifests.yaml": manifestsFile(run, site) }, text: `${lines.join("\n")}\n`, objects: [] };
  }
  const objects = site.charts.flatMap((c) => c.objects);
  const all = [...(manifestsOf(run) as unknown as KubernetesObject[]), ...objects];
  let text = `${[...lines, ...reachSummary(all, config, site.charts)].join("\n")}\n`;
  for (const { chart, version } of requested) {
    const current = site.charts.find((c) => c.spec.chart === chart);
    if (!current) {
      const have = site.charts.map((c) => c.spec.chart).sort().join(", ") || "none";
      throw new Error(`--chart-diff ${chart}=${version}: stack ${run.stack} installs no chart ${chart} (it installs: ${have})`);
    }
    const old = renderChart(site.helm, { ...current.spec, version }, site.capabilities);
    text += formatDiff(chart, version, current.spec.version, diffObjects(old.objects, current.objects));
  }
  return { files: { ...chartFiles(site), "manifests.yaml": manifestsFile(run, site) }, text, objects };
}

/**
 * What must reach the charts' pods (webhooks the API server calls, Hubble Relay's calls to the agents) and the
 * metrics endpoints they serve, checked against the site's NetworkPolicies on the rendered objects; a problem is
 * printed, not fatal (the chart tests fail on it).
 */
export function reachSummary(all: readonly KubernetesObject[], config: SiteConfig, charts: readonly RenderedChart[]): string[] {
  const policies = all.filter((o) => o.kind === "NetworkPolicy");
  const apiServerIps = config.nodes.filter((n) => n.role === "server").map((n) => n.privateIp);
  const nodeIps = config.nodes.map((n) => n.privateIp);
  const webhooks = webhookReaches(all);
  const hubble = hubbleReaches(all);
  const reaches = [...webhooks.reaches, ...hubble.reaches];
  const problems = [...webhooks.problems, ...hubble.problems, ...blockedReaches(reaches, policies, apiServerIps, nodeIps)];
  const lines = [
    `must reach the charts' pods (allowed by the site's NetworkPolicies unless listed below): ${
      [...new Set(reaches.map((r) => `${r.from === "api-server" ? "api-server" : r.from.owner.metadata.name} -> ${r.service} (port ${r.port})`))].join(", ") ||
      "nothing"
    }`,
  ];
  const metrics: string[] = [];
  for (const c of charts) {
    const endpoints = metricsEndpoints(c.objects);
    problems.push(...metricsProblems(c.spec.chart, endpoints, policies, KNOWN_METRICS));
    for (const e of endpoints) {
      const state = e.monitors.length > 0 ? "scraped" : e.target.spec.hostNetwork ? "host network" : "closed";
      metrics.push(`${e.target.namespace}/${e.target.owner.metadata.name}:${e.port} ${state}`);
    }
  }
  lines.push(`metrics endpoints (no scraper configured unless scraped): ${metrics.join(", ") || "none"}`);
  lines.push(...problems.map((p) => `  problem: ${p}`));
  return lines;
}
