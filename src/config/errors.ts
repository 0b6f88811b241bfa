/**
 * zod's issues as problems in the user's terms. Part of the assembly: it reads the whole schema (keysAt) to suggest
 * the keys a mapping accepts, so no feature imports it; features import ./problems.
 */
import type { z } from "zod";
import { closest } from "./near";
import { keyPath, type Problem } from "./problems";
import { NAMESPACE, stackConfigSchema } from "./schema";
import { SECRETS } from "./secrets";

export { closest, editDistance } from "./near";

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

/**
 * Keys people write where a secret belongs, by the path of the mapping they write them in: the secret they meant.
 * The value is never shown, since it is likely the secret itself.
 */
const SECRET_LOOKALIKES: Readonly<Record<string, keyof typeof SECRETS>> = {
  "site.sshPrivateKey": "sshPrivateKey",
  "site.privateKey": "sshPrivateKey",
  "site.hcloudToken": "hcloudToken",
  "site.token": "hcloudToken",
  "site.apiToken": "hcloudToken",
  "k3s.etcdSnapshots.s3.accessKey": "etcdS3AccessKey",
  "k3s.etcdSnapshots.s3.accessKeyId": "etcdS3AccessKey",
  "k3s.etcdSnapshots.s3.accessKeyID": "etcdS3AccessKey",
  "k3s.etcdSnapshots.s3.secretKey": "etcdS3SecretKey",
  "k3s.etcdSnapshots.s3.secretAccessKey": "etcdS3SecretKey",
  "certificates.dns01.apiToken": "dnsApiToken",
  "certificates.dns01.token": "dnsApiToken",
  "certificates.dns01.apiKey": "dnsApiToken",
  "certificates.dns01.route53.secretAccessKey": "route53SecretAccessKey",
  "certificates.dns01.route53.secretKey": "route53SecretAccessKey",
  "certificates.dns01.rfc2136.tsigSecret": "rfc2136TsigSecret",
  "certificates.dns01.rfc2136.tsigKey": "rfc2136TsigSecret",
};

/** The command that stores a secret encrypted in the stack file. */
export function setSecretCommand(key: string): string {
  return key === SECRETS.sshPrivateKey.key
    ? `pulumi config set --secret ${key} < ~/.ssh/id_ed25519`
    : `pulumi config set --secret ${key}`;
}

/** Why the top-level sections are needed, for "k3s-sites:site is required". */
const SECTION_HINTS: Readonly<Record<string, string>> = {
  site: "describe the site with kind: hetzner (a new cloud site) or kind: ssh (existing hosts), as in Pulumi.prod.yaml or Pulumi.home.yaml",
  k3s: "set at least version, e.g. k3s-sites:k3s: {version: v1.36.5+k3s1}",
};

function unknownKeyProblem(path: string, key: string, known: readonly string[]): Problem {
  const secret = SECRET_LOOKALIKES[path ? `${path}.${key}` : key];
  if (secret) {
    const spec = SECRETS[secret];
    return {
      path: path ? `${path}.${key}` : key,
      message:
        `is not a setting: a credential belongs in the secret ${spec.key}, encrypted in the stack file. Remove ` +
        `${key} from ${path || "the stack file"} and run ${setSecretCommand(spec.key)}`,
    };
  }
  const near = closest(key, known);
  return {
    path: path || "(top level)",
    message:
      `has unknown key ${JSON.stringify(key)}: ` +
      (near
        ? `did you mean ${JSON.stringify(near)}?`
        : known.length > 0
          ? `the known keys here are ${known.map((k) => JSON.stringify(k)).join(", ")}`
          : "check the spelling against the config reference in docs/configuration.md"),
  };
}

/**
 * Values people write for an enum's member that no edit distance finds: the member they meant.
 */
const ALIASES: Readonly<Record<string, string>> = {
  aarch64: "arm64",
  arm: "arm64",
  armv8: "arm64",
  x86_64: "amd64",
  "x86-64": "amd64",
  x64: "amd64",
  intel: "amd64",
};

/** The member of `values` the user likely meant by `input`: an alias, or the closest by edit distance. */
export function meantValue(input: unknown, values: readonly unknown[]): string | undefined {
  if (typeof input !== "string") return undefined;
  const known = values.filter((v): v is string => typeof v === "string");
  const alias = ALIASES[input.trim().toLowerCase()];
  if (alias !== undefined && known.includes(alias)) return alias;
  return closest(input.trim(), known);
}

/**
 * A value that fails `pattern` only by a common slip (no leading v, `-k3s1` for `+k3s1`, no `+k3sN` suffix,
 * surrounding spaces), fixed; undefined when no fix matches.
 */
export function fixedFormat(input: unknown, pattern: RegExp | undefined): string | undefined {
  if (typeof input !== "string" || pattern === undefined) return undefined;
  const text = input.trim();
  const v = /^\d/.test(text) ? `v${text}` : text.replace(/^V/, "v");
  const candidates = [text, v, v.replace(/[-_ ]k3s/, "+k3s"), `${v.replace(/[-_ ]k3s.*$/, "")}+k3s1`];
  return candidates.find((c) => c !== input && pattern.test(c));
}

/** zod's pattern as a RegExp: it reports a regex check's pattern as its source text, with or without slashes. */
function regexOf(pattern: string): RegExp | undefined {
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  try {
    return literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(pattern);
  } catch {
    return undefined;
  }
}

/** `user@host:port` as the jumpHost mapping it means, for a jumpHost written as one string. */
function jumpHostShape(input: unknown): string {
  const match = typeof input === "string" ? /^(?:([^@\s]+)@)?([^:@\s]+)(?::(\d+))?$/.exec(input.trim()) : null;
  const [user, address, port] = match ? [match[1] ?? "root", match[2]!, match[3] ?? "22"] : ["admin", "nuc.lan", "22"];
  return `jumpHost: {address: ${address}, user: ${user}, port: ${port}}`;
}

type Def = { type: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown; element?: unknown; options?: unknown[] };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** The keys the mapping at `path` of the stack config accepts; a union's branch is picked by the raw `kind`. */
export function keysAt(path: readonly PropertyKey[], raw: unknown): string[] {
  let schema: unknown = stackConfigSchema;
  let value: unknown = raw;
  const unwrap = (): void => {
    for (;;) {
      const def = defOf(schema);
      if (def.innerType !== undefined) schema = def.innerType;
      else if (def.type === "pipe") schema = def.in;
      else if (def.type === "union" && def.options) {
        const kind = (value as { kind?: unknown } | undefined)?.kind;
        schema =
          def.options.find((o) => {
            const k = defOf(o).shape?.kind;
            return k !== undefined && (defOf(k) as { values?: unknown[] }).values?.includes(kind);
          }) ?? def.options[0];
      } else return;
    }
  };
  for (const part of path) {
    unwrap();
    const def = defOf(schema);
    if (typeof part === "number" && def.type === "array") schema = def.element;
    else if (typeof part === "string" && def.shape?.[part] !== undefined) schema = def.shape[part];
    else return [];
    value = (value as Record<PropertyKey, unknown> | undefined)?.[part];
  }
  unwrap();
  return Object.keys(defOf(schema).shape ?? {});
}

/** Turns zod's issues into problems in the user's terms: key path, value received, what is expected. */
export function problemsFromZod(issues: readonly z.core.$ZodIssue[], raw?: unknown): Problem[] {
  const wrongKind = wrongSiteKind(issues, raw);
  if (wrongKind) issues = issues.filter((i) => i.path[0] !== "site");
  return [...(wrongKind ? [wrongKind] : []), ...problemsOfIssues(issues, raw)];
}

/** The site kind whose keys `site` holds, when they are not its `kind`'s: one problem instead of one per key. */
function wrongSiteKind(issues: readonly z.core.$ZodIssue[], raw: unknown): Problem | undefined {
  const site = (raw as { site?: unknown } | undefined)?.site;
  if (site === null || typeof site !== "object") return undefined;
  const kind = (site as { kind?: unknown }).kind;
  if (kind !== "hetzner" && kind !== "ssh") return undefined;
  const other = kind === "hetzner" ? "ssh" : "hetzner";
  const unknown = issues.flatMap((i) => (i.code === "unrecognized_keys" && keyPath(i.path) === "site" ? i.keys : []));
  if (unknown.length === 0) return undefined;
  const otherKeys = keysAt(["site"], { site: { kind: other } });
  // Every key this kind does not know is the other kind's: the kind is the mistake, not the keys.
  if (!unknown.every((k) => otherKeys.includes(k))) return undefined;
  return {
    path: "site.kind",
    message:
      `${JSON.stringify(kind)} does not match the site's keys ${unknown.join(", ")}, which belong to kind: ${other}: ` +
      `did you mean kind: ${other}? (${kind === "ssh" ? "existing hosts over SSH are listed in site.hosts" : "a Hetzner site declares site.location and site.pools"})`,
  };
}

function problemsOfIssues(issues: readonly z.core.$ZodIssue[], raw?: unknown): Problem[] {
  return issues.flatMap((issue): Problem | Problem[] => {
    const path = keyPath(issue.path);
    let input = (issue as { input?: unknown }).input;
    // A discriminated union reports the whole object at the path of its discriminator: show the discriminator.
    const last = issue.path[issue.path.length - 1];
    if (typeof last === "string" && input !== null && typeof input === "object" && last in input) {
      input = (input as Record<string, unknown>)[last];
    }
    if ((issue as { params?: { hideInput?: boolean } }).params?.hideInput) return { path, message: issue.message };
    switch (issue.code) {
      case "unrecognized_keys":
        if (path === "") {
          const sections = Object.keys(stackConfigSchema.shape);
          return issue.keys.map((key) => {
            const near = closest(key, sections);
            return {
              path: `${NAMESPACE}:${key}`,
              message:
                `is not a k3s-sites key: ` +
                (near ? `did you mean ${NAMESPACE}:${near}? ` : "") +
                `the known keys are ${sections.map((k) => `${NAMESPACE}:${k}`).join(", ")}`,
            };
          });
        }
        return issue.keys.map((key) => unknownKeyProblem(path, key, keysAt(issue.path, raw)));
      case "invalid_type":
        if (input === undefined) {
          if (issue.path.length === 1 && typeof issue.path[0] === "string") {
            const section = issue.path[0];
            return { path: `${NAMESPACE}:${section}`, message: `is required: ${SECTION_HINTS[section] ?? "set it to a mapping of keys"}` };
          }
          return { path, message: `is required: set it to ${TYPE_NAMES[issue.expected] ?? issue.expected}` };
        }
        if (issue.path[issue.path.length - 1] === "jumpHost") {
          return { path, message: `${show(input)} is invalid: a jump host is a mapping, e.g. ${jumpHostShape(input)}` };
        }
        return { path, message: `${show(input)} is invalid: expected ${TYPE_NAMES[issue.expected] ?? issue.expected}` };
      case "invalid_value": {
        const near = meantValue(input, issue.values);
        return { path, message: `${show(input)} is invalid: ${near ? `did you mean ${near}? ` : ""}${issue.message}` };
      }
      case "invalid_format": {
        const pattern = (issue as { pattern?: RegExp | string }).pattern;
        const fixed = fixedFormat(input, typeof pattern === "string" ? regexOf(pattern) : pattern);
        return { path, message: `${show(input)} is invalid: ${fixed ? `did you mean ${fixed}? ` : ""}${issue.message}` };
      }
      case "too_small":
      case "too_big":
        if (issue.origin === "array") return { path, message: issue.message };
        return { path, message: `${show(input)} is out of range: ${issue.message.replace(/^Too (small|big): /, "")}` };
      default:
        return { path, message: `${show(input)} is invalid: ${issue.message}` };
    }
  });
}
