/**
 * Validation of generated objects against upstream schemas: the Kubernetes OpenAPI schemas (npm kubernetes-models)
 * for built-in kinds, and the openAPIV3Schema of a CustomResourceDefinition for custom resources.
 */
import Ajv, { type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import ipaddr from "ipaddr.js";

interface TypedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
}

/** Module path of a kind in kubernetes-models: core kinds live under v1/, the others under <group>/<version>/. */
function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/**
 * Validates a built-in Kubernetes object against its OpenAPI schema. Throws naming the object and the problems, or
 * when kubernetes-models has no such kind (a typo in apiVersion or kind fails here too).
 */
export async function validateBuiltin(obj: TypedObject): Promise<void> {
  let model: { new (data: unknown): { validate(): void } };
  try {
    // kubernetes-models is ESM-only: a dynamic import loads it from this CommonJS project.
    const mod = (await import(modelPath(obj.apiVersion, obj.kind))) as Record<string, typeof model>;
    model = mod[obj.kind]!;
  } catch (err) {
    throw new Error(`${obj.apiVersion} ${obj.kind} is not a Kubernetes kind: ${(err as Error).message}`);
  }
  try {
    new model(obj).validate();
  } catch (err) {
    throw new Error(`${obj.kind} ${obj.metadata?.name ?? "(unnamed)"}: ${(err as Error).message}`);
  }
}

/**
 * A CRD pattern as a JavaScript RegExp. Kubernetes validates `pattern` with Go's RE2, where `(?i)` turns on case
 * folding for the rest of the expression; JavaScript has no inline flags, so a leading `(?i)` (also right after `^`,
 * as Calico's CRDs write it) becomes the `i` flag. Any other inline flag group is refused rather than misread.
 */
export function goRegExp(pattern: string, flags = "u"): RegExp {
  const inline = /^(\^?)\(\?i\)/.exec(pattern);
  const body = inline ? `${inline[1]}${pattern.slice(inline[0].length)}` : pattern;
  if (/\(\?[a-zA-Z]+[):]/.test(body)) throw new Error(`pattern ${pattern} has a Go inline flag this validator does not translate`);
  return new RegExp(body, inline ? `${flags}i` : flags);
}

interface Crd {
  readonly kind: string;
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string };
    readonly versions: readonly { readonly name: string; readonly schema?: { readonly openAPIV3Schema?: object } }[];
  };
}

const INT32 = 2 ** 31;

/**
 * The `format`s of the Kubernetes and CRD schemas the tests meet, checked as the API server checks them, so that
 * Ajv neither ignores them (with a warning per schema path) nor refuses them. The API server validates string
 * formats from kube-openapi's registry (kubernetes/apiextensions-apiserver `pkg/apiserver/validation/formats.go`,
 * `supportedFormats`: byte, cidr, date-time, ipv4, ipv6 among them); int32 and int64 are the integer's width.
 */
const FORMATS = {
  int32: { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 },
  int64: { type: "number", validate: (n: number) => Number.isInteger(n) },
  // RFC 3339, as Go's strfmt DateTime parses it.
  "date-time": /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  cidr: (s: string) => {
    try {
      ipaddr.parseCIDR(s);
      return true;
    } catch {
      return false;
    }
  },
  // As Go's net.ParseIP reads them (no zone), the version told apart by the separator as strfmt does.
  ipv4: (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s),
  ipv6: (s: string) => s.includes(":") && !s.includes("%") && ipaddr.IPv6.isValid(s),
} as const;

/**
 * The one Ajv setup for Kubernetes schemas, CRD schemas and chart values schemas: Go's `(?i)` patterns, the
 * Kubernetes formats, and strict mode off (structural schemas carry x-kubernetes-* keywords, chart schemas `items: {}`;
 * neither changes validation).
 */
export function schemaAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp as never } });
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format as never);
  return ajv;
}

/**
 * Validators for the custom resources that CRDs define, keyed by `<group>/<version> <Kind>`. A version's schema is
 * compiled when an object of it is first validated.
 */
export class CrdValidator {
  private readonly schemas = new Map<string, object>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly ajv = schemaAjv();

  constructor(crds: readonly unknown[]) {
    for (const doc of crds) {
      const crd = doc as Crd;
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const version of crd.spec.versions) {
        const schema = version.schema?.openAPIV3Schema;
        if (schema) this.schemas.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, schema);
      }
    }
  }

  static fromFiles(...files: string[]): CrdValidator {
    return new CrdValidator(files.flatMap((f) => parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS())));
  }

  has(obj: TypedObject): boolean {
    return this.schemas.has(`${obj.apiVersion} ${obj.kind}`);
  }

  /** Throws naming the object and every schema violation, or when no CRD defines its kind. */
  validate(obj: TypedObject): void {
    const key = `${obj.apiVersion} ${obj.kind}`;
    const schema = this.schemas.get(key);
    if (!schema) throw new Error(`no CustomResourceDefinition defines ${key}`);
    let validate = this.compiled.get(key);
    if (!validate) this.compiled.set(key, (validate = this.ajv.compile(schema)));
    const valid: boolean = validate(obj);
    if (!valid) {
      const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
      throw new Error(`${obj.kind} ${obj.metadata?.name ?? "(unnamed)"}: ${problems}`);
    }
  }
}
