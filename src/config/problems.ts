/**
 * The core every rule speaks: a problem with its key path, and the one error that lists them all. Imports nothing of
 * the config's assembly, so features and the assembly above them can both import it (docs/architecture.md).
 */
/** One thing wrong with the stack config: the key path (`k3s.serviceCidr`) and what is wrong and how to fix it. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Every problem of a stack config at once, so the user fixes them in one round. */
export class ConfigError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], stack?: string) {
    const where = stack ? `stack ${stack}` : "the stack config";
    const lines = problems.map((p) => `  - ${formatProblem(p)}`);
    super(`${problems.length} problem${problems.length === 1 ? "" : "s"} in ${where}:\n${lines.join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** An error thrown while checking a config, as a problem; `where` names the part of the config being checked. */
export function unexpectedProblem(where: string, err: unknown): Problem {
  const text = err instanceof Error ? err.message : String(err);
  return {
    path: where,
    message: `could not be checked (${text}): this is a bug in k3s-sites' checks, please report it with this stack file`,
  };
}

export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path} ${problem.message}` : problem.message;
}

/** `site.pools[0].name` from zod's ["site", "pools", 0, "name"]. */
export function keyPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** What a rule may know besides the config: the running cluster, when there is one. */
export interface RuleContext {
  /** How many servers the running cluster has (the previous deployment's record); undefined before the first. */
  readonly runningServers?: number;
}
