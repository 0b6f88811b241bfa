/**
 * Charts vendored under upstream/charts/<chart>/<version>/ (listed in upstream/SOURCES.md, "charts"). The plan
 * renders only these: a chart version pinned in config but not vendored is refused, never skipped.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const CHARTS_DIR = resolve(__dirname, "..", "..", "upstream", "charts");

/** The folder of a vendored chart version. Throws naming the chart, the version and the fix when it is absent. */
export function vendoredChart(chart: string, version: string, root = CHARTS_DIR): string {
  const dir = join(root, chart, version);
  if (existsSync(join(dir, "Chart.yaml"))) return dir;
  const have = existsSync(join(root, chart)) ? readdirSync(join(root, chart)).sort() : [];
  throw new Error(
    `chart ${chart} ${version} is not vendored (no ${join("upstream", "charts", chart, version, "Chart.yaml")}; ` +
      `vendored: ${have.length > 0 ? have.join(", ") : "none"}): vendor the chart's source folder at that release ` +
      `and list it in upstream/SOURCES.md, or pin a vendored version`,
  );
}

/** Every vendored version of a chart, sorted. */
export function vendoredVersions(chart: string, root = CHARTS_DIR): string[] {
  const dir = join(root, chart);
  return existsSync(dir) ? readdirSync(dir).filter((v) => existsSync(join(dir, v, "Chart.yaml"))).sort() : [];
}
