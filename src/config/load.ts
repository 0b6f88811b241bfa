/**
 * From the raw stack config (the values under the `k3s-sites:` namespace) to one fully defaulted SiteConfig, or a
 * ConfigError with every problem found: schema problems first; the cross-field rules run once the shape is right.
 */
import { ConfigError, problemsFromZod } from "./errors";
import { checkRules } from "./rules";
import { stackConfigSchema } from "./schema";
import { resolveSite, type SiteConfig } from "./site";

export { NAMESPACE } from "./schema";

/** The structured keys of the namespace, one per section of the stack config. */
export const SECTION_KEYS = Object.keys(stackConfigSchema.shape) as (keyof typeof stackConfigSchema.shape)[];

/**
 * Parses and checks a site's config. `raw` maps section keys (`site`, `k3s`, ...) to their values; absent sections
 * are undefined. Throws ConfigError listing every problem.
 */
export function parseSiteConfig(raw: Readonly<Record<string, unknown>>, stack?: string): SiteConfig {
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(problemsFromZod(parsed.error.issues), stack);
  const { site, problems } = resolveSite(parsed.data);
  problems.push(...checkRules(site));
  if (problems.length > 0) throw new ConfigError(problems, stack);
  return site;
}
