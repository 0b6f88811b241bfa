/**
 * zod's issues as problems in the user's terms. Part of the assembly: it reads the whole schema (keysAt) to suggest
 * the keys a mapping accepts, so no feature imports it; features import ./problems.
 */
import type { z } from "zod";
import { keyPath, type Problem } from "./problems";
import { NAMESPACE, stackConfigSchema } from "./schema";
import { SECRETS } from "./secrets";

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

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest of `known` to `key`, when it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let distance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < distance) [best, distance] = [candidate, d];
  }
  return distance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
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
