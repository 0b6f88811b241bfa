import type { z } from "zod";
import { NAMESPACE, stackConfigSchema } from "./schema";

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

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping of keys",
  array: "a list",
};

/** Turns zod's issues into problems in the user's terms: key path, value received, what is expected. */
export function problemsFromZod(issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.map((issue) => {
    const path = keyPath(issue.path);
    let input = (issue as { input?: unknown }).input;
    // A discriminated union reports the whole object at the path of its discriminator: show the discriminator.
    const last = issue.path[issue.path.length - 1];
    if (typeof last === "string" && input !== null && typeof input === "object" && last in input) {
      input = (input as Record<string, unknown>)[last];
    }
    switch (issue.code) {
      case "unrecognized_keys":
        if (path === "") {
          return {
            path: "",
            message: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `${NAMESPACE}:${k}`).join(", ")}: the known keys are ${Object.keys(stackConfigSchema.shape).map((k) => `${NAMESPACE}:${k}`).join(", ")}`,
          };
        }
        return {
          path: path || "(top level)",
          message: `has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}: check the spelling against the config reference in README.md`,
        };
      case "invalid_type":
        if (input === undefined) {
          return { path, message: `is required: set it to ${TYPE_NAMES[issue.expected] ?? issue.expected}` };
        }
        return { path, message: `${show(input)} is invalid: expected ${TYPE_NAMES[issue.expected] ?? issue.expected}` };
      case "too_small":
      case "too_big":
        if (issue.origin === "array") return { path, message: issue.message };
        return { path, message: `${show(input)} is out of range: ${issue.message.replace(/^Too (small|big): /, "")}` };
      default:
        return { path, message: `${show(input)} is invalid: ${issue.message}` };
    }
  });
}
