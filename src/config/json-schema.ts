/**
 * The JSON Schema of a stack file (Pulumi.<stack>.yaml), generated from the zod schema so that editors validate
 * stack files with the same shapes the program parses, and the config reference in docs/configuration.md, generated from it.
 */
import { z } from "zod";
import { NAMESPACE, stackConfigSchema } from "./schema";
import { SECRETS } from "./secrets";

/** When the configuration reference says a secret is needed. */
function secretNeed(key: string): string {
  if (key.startsWith("hcloud:")) return "required (hetzner)";
  if (key.includes("etcdS3")) return "with k3s.etcdSnapshots.s3";
  if (key.endsWith(":dnsApiToken")) return "with certificates.dns01 cloudflare, digitalocean or hetzner";
  if (key.endsWith(":route53SecretAccessKey")) return "with certificates.dns01 route53";
  if (key.endsWith(":rfc2136TsigSecret")) return "with certificates.dns01 rfc2136";
  return "required";
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  required?: string[];
  description?: string;
  default?: unknown;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
};

function sectionSchemas(): Record<string, JsonSchema> {
  const whole = z.toJSONSchema(stackConfigSchema, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  return whole.properties ?? {};
}

const secure: JsonSchema = {
  type: "object",
  description: "Set with `pulumi config set --secret`; Pulumi stores it encrypted.",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
};

export function stackFileJsonSchema(): JsonSchema {
  const sections = sectionSchemas();
  const config: Record<string, JsonSchema> = {};
  for (const [key, schema] of Object.entries(sections)) config[`${NAMESPACE}:${key}`] = schema;
  for (const spec of Object.values(SECRETS)) config[spec.key] = { ...secure, description: spec.description };
  const known = Object.keys(config).filter((k) => k.startsWith(`${NAMESPACE}:`));
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $comment: "Generated from src/config/schema.ts by `npm run schema`; do not edit.",
    title: "k3s-sites stack file (Pulumi.<stack>.yaml)",
    type: "object",
    properties: {
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
      encryptionsalt: { type: "string" },
      config: {
        type: "object",
        properties: config,
        required: [`${NAMESPACE}:site`, `${NAMESPACE}:k3s`],
        // Other namespaces (pulumi:, kubernetes:, ...) are free; a k3s-sites key must be a known one.
        propertyNames: { anyOf: [{ enum: known }, { not: { pattern: `^${NAMESPACE}:` } }] },
      },
    },
    required: ["config"],
  };
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(" | ");
  if (schema.type === "array") return `list of ${schema.items ? typeOf(schema.items) : "values"}`;
  if (schema.type === "object" && schema.properties) return "mapping";
  if (schema.type === "object") return "mapping of strings";
  if (schema.type === "integer") return "integer";
  return String(schema.type ?? "value");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function rows(path: string, schema: JsonSchema, required: boolean, out: string[]): void {
  if (schema.oneOf || schema.anyOf) {
    for (const variant of schema.oneOf ?? schema.anyOf ?? []) {
      const kind = variant.properties?.kind?.const;
      rows(kind ? `${path} (kind: ${String(kind)})` : path, variant, required, out);
    }
    return;
  }
  const dflt =
    schema.default !== undefined && !(typeof schema.default === "object" && Object.keys(schema.default as object).length === 0)
      ? `\`${JSON.stringify(schema.default)}\``
      : required
        ? "required"
        : "";
  out.push(`| \`${path}\` | ${cell(typeOf(schema))} | ${cell(dflt)} | ${cell(schema.description ?? "")} |`);
  const object = schema.type === "array" ? schema.items : schema;
  if (object?.properties) {
    const prefix = schema.type === "array" ? `${path}[]` : path.replace(/ \(kind: .*\)$/, "");
    for (const [key, child] of Object.entries(object.properties)) {
      if (key === "kind" && child.const !== undefined) continue;
      rows(`${prefix}.${key}`, child, object.required?.includes(key) ?? false, out);
    }
  }
}

/** The config reference table of docs/configuration.md. */
export function configReference(): string {
  const out = ["| key | type | default | description |", "| --- | --- | --- | --- |"];
  const sections = sectionSchemas();
  const required = (z.toJSONSchema(stackConfigSchema, { io: "input" }) as JsonSchema).required ?? [];
  for (const [key, schema] of Object.entries(sections)) {
    rows(`${NAMESPACE}:${key}`, schema, required.includes(key), out);
  }
  for (const spec of Object.values(SECRETS)) {
    out.push(`| \`${spec.key}\` | secret | ${secretNeed(spec.key)} | ${cell(spec.description)} |`);
  }
  return `${out.join("\n")}\n`;
}
