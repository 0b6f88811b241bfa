/** The example sites with their charts rendered, once per test process. */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { readStackFile, type ProgramRun } from "../../../plan/engine";
import { findHelm } from "../../../plan/charts/helm";
import type { RenderedChart } from "../../../plan/charts/render";
import { renderSiteCharts, siteConfigOf, type SiteCharts } from "../../../plan/charts/site";
import { manifestsOf } from "../../../plan/render";
import { parseSiteConfig } from "../../../src/config/load";
import { SECRET_KEYS } from "../../../src/config/secrets";
import type { SiteConfig } from "../../../src/config/site";
import { CrdValidator, schemaAjv, validateBuiltin } from "../../support/schemas";
import { ROOT, hetznerSections, homeCiliumIngressSections } from "../../helpers";
import { planOf } from "../run";
import type { KubernetesObject } from "../../../src/kubernetes/object";

/** Why chart tests are skipped on this machine, or undefined when helm is there. */
export const HELM_SKIP: string | undefined = (() => {
  const found = findHelm();
  return "skipped" in found ? found.skipped : undefined;
})();

/** The examples, and two test-only sites: Hetzner with DNS-01 through Hetzner, home with Cilium's ingress (helpers.ts). */
export const SITES = ["prod", "home", "hetzner-dns01", "lan", "home-cilium-ingress"] as const;
export type SiteName = (typeof SITES)[number];

export interface SiteUnderTest {
  readonly name: SiteName;
  readonly run: ProgramRun;
  readonly config: SiteConfig;
  readonly charts: SiteCharts;
  /** The objects the program applies outside charts. */
  readonly program: KubernetesObject[];
  /** Every object the site applies: the program's and every chart's. */
  readonly all: KubernetesObject[];
}

async function runOf(name: SiteName): Promise<{ run: ProgramRun; config: SiteConfig }> {
  if (name !== "hetzner-dns01" && name !== "home-cilium-ingress") {
    const run = await planOf(name);
    return { run, config: siteConfigOf(readStackFile(join(ROOT, `Pulumi.${name}.yaml`), SECRET_KEYS)) };
  }
  // A Hetzner site whose certificates use DNS-01 through Hetzner DNS: the one that installs Hetzner's webhook; the
  // home example on Cilium's ingress.
  const sections =
    name === "home-cilium-ingress"
      ? homeCiliumIngressSections()
      : { ...hetznerSections(), certificates: { email: "ops@example.com", dns01: { provider: "hetzner" } } };
  const dir = mkdtempSync(join(tmpdir(), "charts-site-"));
  try {
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const config = Object.fromEntries(Object.entries(sections).map(([k, v]) => [`k3s-sites:${k}`, v]));
    writeFileSync(join(dir, `Pulumi.${name}.yaml`), stringify({ config }));
    return { run: await planOf(name, dir), config: parseSiteConfig(sections) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sites = new Map<SiteName, Promise<SiteUnderTest>>();

export function siteUnderTest(name: SiteName): Promise<SiteUnderTest> {
  let site = sites.get(name);
  if (!site) {
    site = (async () => {
      const { run, config } = await runOf(name);
      const charts = renderSiteCharts(run, config);
      if ("skipped" in charts) throw new Error(charts.skipped);
      const program = manifestsOf(run) as unknown as KubernetesObject[];
      return { name, run, config, charts, program, all: [...program, ...charts.charts.flatMap((c) => c.objects)] };
    })();
    sites.set(name, site);
  }
  return site;
}

export function chartOf(site: SiteUnderTest, chart: string): RenderedChart {
  const found = site.charts.charts.find((c) => c.spec.chart === chart);
  if (!found) throw new Error(`site ${site.name} installs no chart ${chart}`);
  return found;
}

/** Validators for custom resources: the CRDs the site renders, and Cilium's CRDs its operator registers. */
export function crdValidator(objects: readonly KubernetesObject[]): CrdValidator {
  const dir = join(ROOT, "upstream", "cilium", "crds");
  const cilium = readdirSync(dir).flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS()));
  return new CrdValidator([...objects.filter((o) => o.kind === "CustomResourceDefinition"), ...cilium]);
}

/** Every object that fails its schema: Kubernetes' for built-in kinds, its CRD's for custom resources. */
export async function schemaProblems(objects: readonly KubernetesObject[], crds: CrdValidator): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      if (crds.has(o)) crds.validate(o);
      else await validateBuiltin(o);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/** The chart's values (merged as the provider merges them: files, then the map) against its values.schema.json. */
/** Helm's coalescing of values over defaults: maps merge key by key, anything else replaces. */
function coalesce(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = coalesce(base[k], v);
  return out;
}

export function valuesProblems(chart: RenderedChart): string[] | undefined {
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(join(chart.dir, "values.schema.json"), "utf8")) as object;
  } catch {
    return undefined; // the chart has no schema
  }
  const ajv = schemaAjv();
  // metallb's schema names its draft as https://json-schema.org/draft-07/schema#, which Ajv knows only as http://.
  const { $schema: _draft, ...body } = schema as { $schema?: string };
  const validate = ajv.compile(body);
  // Helm validates the values coalesced with the chart's defaults; the site's values on their own must fit too.
  // A schema may require keys that only the chart's defaults hold (metallb's requires controller, speaker.image):
  // those are checked on the coalesced values, every other rule on the site's values alone as well.
  const values = JSON.parse(JSON.stringify(chart.spec.values)) as object;
  const defaults = (parse(readFileSync(join(chart.dir, "values.yaml"), "utf8")) ?? {}) as object;
  const problems = new Set<string>();
  const show = (e: { instancePath: string; message?: string }) =>
    `${chart.spec.chart} ${chart.spec.version} values${e.instancePath} ${e.message}`;
  if (!validate(coalesce(defaults, values))) for (const e of validate.errors ?? []) problems.add(show(e));
  if (!validate(values)) for (const e of validate.errors ?? []) if (e.keyword !== "required") problems.add(show(e));
  return [...problems];
}
