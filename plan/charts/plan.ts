/** The charts part of `npm run plan`: rendered files, summary lines, and the diffs asked for with --chart-diff. */
import type { ProgramRun, StackFile } from "../engine";
import { diffObjects, formatDiff } from "./diff";
import { renderChart } from "./render";
import { chartFiles, chartSummary, manifestsFile, renderSiteCharts, siteConfigOf } from "./site";

export interface ChartPlan {
  /** charts/*.yaml, and manifests.yaml with the charts' objects after the program's (it replaces the program-only one). */
  readonly files: Record<string, string>;
  /** Summary lines and diffs, newline-terminated. */
  readonly text: string;
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
  const site = renderSiteCharts(run, siteConfigOf(stackFile));
  const lines = chartSummary(site, run);
  if ("skipped" in site) {
    if (requested.length > 0) throw new Error(`--chart-diff needs helm: ${site.skipped}`);
    return { files: { "manifests.yaml": manifestsFile(run, site) }, text: `${lines.join("\n")}\n` };
  }
  let text = `${lines.join("\n")}\n`;
  for (const { chart, version } of requested) {
    const current = site.charts.find((c) => c.spec.chart === chart);
    if (!current) {
      const have = site.charts.map((c) => c.spec.chart).join(", ") || "none";
      throw new Error(`--chart-diff ${chart}=${version}: stack ${run.stack} installs no chart ${chart} (it installs: ${have})`);
    }
    const old = renderChart(site.helm, { ...current.spec, version }, site.capabilities);
    text += formatDiff(chart, version, current.spec.version, diffObjects(old.objects, current.objects));
  }
  return { files: { ...chartFiles(site), "manifests.yaml": manifestsFile(run, site) }, text };
}
