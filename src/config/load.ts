/**
 * From the raw stack config (the values under the `k3s-sites:` namespace) to one fully defaulted SiteConfig, or a
 * ConfigError with every problem found: schema problems first; the cross-field rules run once the shape is right.
 * Nothing else escapes: an error thrown while resolving or checking a config is itself reported as a problem, so a
 * user never sees a stack trace for a mistake in the stack file.
 */
import { problemsFromZod } from "./errors";
import { ConfigError, unexpectedProblem } from "./problems";
import { checkRawRules, checkRules, checkStackName, type RuleContext } from "./rules";
import { NAMESPACE, stackConfigSchema } from "./schema";
import { resolveSite, type SiteConfig } from "./site";

export { NAMESPACE } from "./schema";

/** The structured keys of the namespace, one per section of the stack config. */
export const SECTION_KEYS = Object.keys(stackConfigSchema.shape) as (keyof typeof stackConfigSchema.shape)[];

/**
 * Parses and checks a site's config. `raw` maps section keys (`site`, `k3s`, ...) to their values; absent sections
 * are undefined. `stack` is the stack's name, which names the site's Hetzner objects. Throws ConfigError listing
 * every problem. `context`: what is known of the running cluster, for advice that must account for it.
 */
export function parseSiteConfig(raw: Readonly<Record<string, unknown>>, stack?: string, context: RuleContext = {}): SiteConfig {
  if (Object.values(raw).every((v) => v === undefined)) {
    throw new ConfigError(
      [
        {
          path: "",
          message:
            `the stack has no ${NAMESPACE} config at all (is the stack file empty?): start from Pulumi.prod.yaml ` +
            `(a Hetzner site) or Pulumi.home.yaml (existing hosts over SSH), with keys ${NAMESPACE}:site and ${NAMESPACE}:k3s`,
        },
      ],
      stack,
    );
  }
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(problemsFromZod(parsed.error.issues, raw), stack);
  let resolved: ReturnType<typeof resolveSite>;
  try {
    resolved = resolveSite(parsed.data);
  } catch (err) {
    throw new ConfigError([unexpectedProblem(`${NAMESPACE}:site`, err)], stack);
  }
  const { site, problems } = resolved;
  problems.push(...checkRules(site, context), ...checkRawRules(raw, site));
  if (stack !== undefined) problems.push(...checkStackName(stack, site));
  if (problems.length > 0) throw new ConfigError(problems, stack);
  return site;
}
