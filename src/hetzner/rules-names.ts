/**
 * Rules for the names a Hetzner site derives from the stack and pool names: server names are host names, and the
 * stack name is a label value on every Hetzner object.
 */
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";

/**
 * One label of a host name (RFC 1123 section 2.1, RFC 952): letters, digits and '-', not at either end, at most 63
 * characters. Hetzner requires server names to be valid host names (Cloud API, POST /servers, name: "a valid
 * hostname as per RFC 1123"); server names here have no dots, so each is one label.
 */
export const HOSTNAME_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
export const HOSTNAME_LABEL_MAX = 63;

/**
 * A label value, in Kubernetes (apimachinery validation IsValidLabelValue) and at Hetzner alike: at most 63
 * characters, alphanumerics with '-', '_' and '.' between them.
 */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** The longest server name a pool gets: `<stack>-<pool>-<count>` (src/hetzner/model.ts serverName). */
function longestServerName(stack: string, pool: string, count: number): string {
  return `${stack}-${pool}-${Math.max(count, 1)}`;
}

/** The stack name names every Hetzner object of a site and is a label value on each. */
export function checkStackName(stack: string, config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const problems: Problem[] = [];
  const rename = "rename the stack (pulumi stack rename <name>) before the first pulumi up";
  if (!LABEL_VALUE.test(stack)) {
    problems.push({
      path: "",
      message:
        `the stack name "${stack}" cannot be a label value on the site's Hetzner objects (k3s-sites/site=<stack>): ` +
        `at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; ${rename}`,
    });
  } else if (!/^[A-Za-z0-9-]+$/.test(stack)) {
    problems.push({
      path: "",
      message:
        `the stack name "${stack}" starts every server name (<stack>-<pool>-<n>), and Hetzner server names are host ` +
        `names: letters, digits and '-' only; ${rename}, e.g. ${stack.replace(/[^A-Za-z0-9-]+/g, "-")}`,
    });
  }
  if (problems.length > 0) return problems;
  config.site.pools.forEach((pool, i) => {
    const name = longestServerName(stack, pool.name, pool.count);
    // A node name already too long is checkNodeNames' problem.
    if (name.length <= HOSTNAME_LABEL_MAX || `${pool.name}-${Math.max(pool.count, 1)}`.length > HOSTNAME_LABEL_MAX) return;
    const room = HOSTNAME_LABEL_MAX - stack.length - 2 - String(Math.max(pool.count, 1)).length;
    problems.push({
      path: `site.pools[${i}].name`,
      message:
        `"${pool.name}" makes server names such as ${name} (${name.length} characters), longer than the ` +
        `${HOSTNAME_LABEL_MAX} a host name allows: ` +
        (room > 0 ? `shorten the pool name to at most ${room} characters` : `shorten the stack name "${stack}"`),
    });
  });
  return problems;
}

/**
 * Node names `<pool>-<n>` become the label kubernetes.io/hostname, a label value: at most 63 characters.
 */
export function checkNodeNames(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  return config.site.pools.flatMap((pool, i): Problem[] => {
    const name = `${pool.name}-${Math.max(pool.count, 1)}`;
    if (name.length <= HOSTNAME_LABEL_MAX) return [];
    return [
      {
        path: `site.pools[${i}].name`,
        message:
          `"${pool.name}" makes node names such as ${name} (${name.length} characters), too long for the label ` +
          `kubernetes.io/hostname (at most ${HOSTNAME_LABEL_MAX}): shorten the pool name to at most ` +
          `${HOSTNAME_LABEL_MAX - 1 - String(Math.max(pool.count, 1)).length} characters`,
      },
    ];
  });
}
