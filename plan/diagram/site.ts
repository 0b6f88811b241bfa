/** site.svg of a plan: the stack file's config parsed as the program parses it, the run's diagram, laid out. */
import { NAMESPACE, SECTION_KEYS, parseSiteConfig } from "../../src/config/load";
import type { SiteConfig } from "../../src/config/site";
import type { ProgramRun, StackFile } from "../engine";
import { siteDiagram } from "./model";
import { diagramSvg } from "./svg";

/** The SiteConfig of a stack file the program has just planned (so it parses). */
export function siteConfigOf(stackFile: StackFile): SiteConfig {
  const raw: Record<string, unknown> = {};
  for (const key of SECTION_KEYS) {
    const value = stackFile.config[`${NAMESPACE}:${key}`];
    if (value === undefined) continue;
    // As pulumi.Config.getObject: objects arrive as JSON.
    try {
      raw[key] = JSON.parse(value);
    } catch {
      raw[key] = value;
    }
  }
  return parseSiteConfig(raw, stackFile.stack);
}

/** `chartObjects`: the charts' rendered objects (ChartPlan.objects), for a chart's LoadBalancer Service. */
export function siteSvg(run: ProgramRun, stackFile: StackFile, chartObjects: readonly Record<string, unknown>[] = []): Promise<string> {
  return diagramSvg(siteDiagram(run, siteConfigOf(stackFile), chartObjects));
}

/** The diagram the README and docs/README.md show: the prod example's, written by `npm run diagram`. */
export const README_DIAGRAM = { stack: "prod", path: "docs/images/site-prod.svg" } as const;
