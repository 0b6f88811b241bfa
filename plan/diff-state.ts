/**
 * The two sides of an offline preview as one shape: a previous deployment (a previous plan's output folder, or
 * `pulumi stack export` JSON) and the new offline run. Secrets are compared by digest, never by value.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SECRET, type ProgramRun, type RecordedResource } from "./engine";
import { kubernetesTypeOf } from "./replacements";

/** A secret input as the diff sees it: a digest of its value, or null when it cannot be compared. */
export interface SecretValue {
  readonly __secretDigest: string | null;
}

export function isSecretValue(value: unknown): value is SecretValue {
  return value !== null && typeof value === "object" && "__secretDigest" in value;
}

export interface StateResource {
  /** `<type chain>::<name>`, as RecordedResource.urn. */
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent?: string;
  readonly provider?: string;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly deleteBeforeReplace?: boolean;
  readonly ignoreChanges?: readonly string[];
  readonly replaceOnChanges?: readonly string[];
  readonly aliases?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  /** The resources it was registered after (its `dependsOn`), which Pulumi deletes only after it. */
  readonly dependsOn?: readonly string[];
  readonly deletedWith?: string;
  /** Inputs, secrets as SecretValue. */
  readonly inputs: Record<string, unknown>;
  /** Kubernetes objects of a ConfigGroup, expanded as the children the provider registers for them. */
  readonly expandedFrom?: string;
}

export interface PreviousState {
  /** What the state was read from, for the report. */
  readonly source: "plan" | "export";
  readonly resources: readonly StateResource[];
  readonly outputs: Record<string, unknown>;
}

const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";

/** A stable digest of a secret value: enough to tell a change, too short to stand for the value. */
export function secretDigest(value: unknown): string {
  return `sha256:${createHash("sha256").update(JSON.stringify(value ?? null)).digest("hex").slice(0, 16)}`;
}

/** Every secret input of a recorded resource, by property path, as its digest (for resources.json). */
export function secretDigestsOf(r: RecordedResource): Record<string, string> {
  const digests: Record<string, string> = {};
  const walk = (shown: unknown, raw: unknown, path: string) => {
    if (shown === SECRET) {
      const value = raw !== null && typeof raw === "object" && "secret" in raw ? (raw as { secret: unknown }).secret : raw;
      digests[path] = secretDigest(value);
    } else if (Array.isArray(shown)) {
      shown.forEach((v, i) => walk(v, (raw as unknown[] | undefined)?.[i], `${path}[${i}]`));
    } else if (shown !== null && typeof shown === "object") {
      for (const [k, v] of Object.entries(shown)) walk(v, (raw as Record<string, unknown> | undefined)?.[k], path ? `${path}.${k}` : k);
    }
  };
  walk(r.inputs, r.rawInputs, "");
  return digests;
}

/** Replaces "[secret]" markers by their digests (or null when no digest was recorded). */
function withSecrets(value: unknown, digests: Readonly<Record<string, string>>, path = ""): unknown {
  if (value === SECRET) return { __secretDigest: digests[path] ?? null } satisfies SecretValue;
  if (Array.isArray(value)) return value.map((v, i) => withSecrets(v, digests, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withSecrets(v, digests, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

type Recorded = Omit<RecordedResource, "rawInputs"> & { secretDigests?: Record<string, string> };

function fromRecorded(r: Recorded, digests: Readonly<Record<string, string>>): StateResource {
  const { secretDigests: _d, dependsOn, additionalSecretOutputs: _a, inputs, ...rest } = r;
  return {
    ...rest,
    ...(dependsOn && dependsOn.length > 0 ? { dependsOn } : {}),
    inputs: withSecrets(inputs, digests) as Record<string, unknown>,
  };
}

/**
 * The children yaml/v2 ConfigGroup registers for its objects: named `<group>:<namespace>/<name>` (or
 * `<group>:<name>` for cluster-scoped objects), parented and provided as the group (pulumi-kubernetes
 * provider/pkg/provider/yaml/v2/yaml.go, register; the prefix defaults to the group's name, configgroup.go).
 */
export function expandConfigGroups(resources: readonly StateResource[]): StateResource[] {
  return resources.flatMap((r): StateResource[] => {
    if (r.type !== CONFIG_GROUP || !Array.isArray(r.inputs.objs)) return [r];
    const { objs, ...groupInputs } = r.inputs;
    const chain = r.urn.split("::")[0] as string;
    const children = (objs as Record<string, unknown>[]).map((obj): StateResource => {
      const apiVersion = String(obj.apiVersion);
      const kind = String(obj.kind);
      const metadata = (obj.metadata ?? {}) as { name?: string; namespace?: string };
      const type = kubernetesTypeOf(apiVersion, kind);
      const name = `${r.name}:${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name}`;
      return {
        urn: `${chain}$${type}::${name}`,
        type,
        name,
        custom: true,
        parent: r.urn,
        ...(r.provider ? { provider: r.provider } : {}),
        ...(r.propertyDependencies?.objs ? { propertyDependencies: { "*": r.propertyDependencies.objs } } : {}),
        inputs: obj,
        expandedFrom: r.urn,
      };
    });
    return [{ ...r, inputs: groupInputs }, ...children];
  });
}

/** The new run, as the diff compares it. */
export function stateOfRun(run: ProgramRun): StateResource[] {
  return expandConfigGroups(run.resources.map((r) => fromRecorded(r, secretDigestsOf(r))));
}

/** A previous plan from the text of its resources.json (with its secret digests) and outputs.json. */
export function previousFromPlanFiles(resourcesJson: string, outputsJson?: string): PreviousState {
  const resources = JSON.parse(resourcesJson) as Recorded[];
  return {
    source: "plan",
    resources: expandConfigGroups(resources.map((r) => fromRecorded(r, r.secretDigests ?? {}))),
    outputs: outputsJson ? (JSON.parse(outputsJson) as Record<string, unknown>) : {},
  };
}

/** A previous plan's output folder. */
export function readPlanDir(dir: string): PreviousState {
  const outputsFile = join(dir, "outputs.json");
  return previousFromPlanFiles(
    readFileSync(join(dir, "resources.json"), "utf8"),
    existsSync(outputsFile) ? readFileSync(outputsFile, "utf8") : undefined,
  );
}

// The property value signatures of Pulumi's state (sdk/go/common/resource/sig/sig.go).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";

function shortUrn(urn: string): string {
  return urn.startsWith("urn:pulumi:") ? urn.split("::").slice(2).join("::") : urn;
}

/** A state property value in the form the offline run records. */
function fromStateValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromStateValue);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const sig = obj[SIG_KEY];
    // Secrets in an export are ciphertext (or, with --show-secrets, the real value, while the offline run holds
    // placeholders): never comparable.
    if (sig === SECRET_SIG) return { __secretDigest: null } satisfies SecretValue;
    if (sig === RESOURCE_SIG) return { resource: shortUrn(String(obj.urn)) };
    if (sig === ASSET_SIG) {
      const { text, path, uri } = obj as { text?: string; path?: string; uri?: string };
      return { asset: { ...(text !== undefined ? { text } : {}), ...(path ? { path } : {}), ...(uri ? { uri } : {}) } };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fromStateValue(v)]));
  }
  return value;
}

interface ExportResource {
  urn: string;
  type: string;
  custom?: boolean;
  parent?: string;
  provider?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  delete?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  propertyDependencies?: Record<string, string[]>;
  dependencies?: string[];
  deletedWith?: string;
  ignoreChanges?: string[];
  replaceOnChanges?: string[];
  aliases?: string[];
}

/**
 * `pulumi stack export` JSON (apitype.UntypedDeployment with a DeploymentV3: deployment.resources[], each with
 * urn, type, custom, parent, provider, protect, retainOnDelete, inputs, outputs, propertyDependencies; see
 * pulumi/pulumi sdk/go/common/apitype/core.go at v3.248.0). The stack outputs are the root Stack resource's
 * outputs, unless `pulumi stack output --json` is given.
 */
export function readStackExport(text: string, stackOutputs?: Record<string, unknown>): PreviousState {
  const doc = JSON.parse(text) as { deployment?: { resources?: ExportResource[] } };
  if (!doc.deployment || !Array.isArray(doc.deployment.resources ?? [])) {
    throw new Error("not a `pulumi stack export` file: expected { deployment: { resources: [...] } }");
  }
  const all = doc.deployment.resources ?? [];
  const stack = all.find((r) => r.type === "pulumi:pulumi:Stack");
  const resources = all
    // Resources pending deletion from an earlier replacement are not part of the stack's desired state.
    .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.delete)
    .map((r): StateResource => {
      const urn = shortUrn(r.urn);
      // A provider reference is `<provider urn>::<id>`.
      const provider = r.provider ? shortUrn(r.provider.split("::").slice(0, -1).join("::")) : undefined;
      const parent = r.parent && !r.parent.includes("::pulumi:pulumi:Stack::") ? shortUrn(r.parent) : undefined;
      const { __defaults: _defaults, ...inputs } = (fromStateValue(r.inputs ?? {}) ?? {}) as Record<string, unknown>;
      return {
        urn,
        type: r.type,
        name: urn.split("::").slice(1).join("::"),
        custom: r.custom ?? false,
        ...(parent ? { parent } : {}),
        ...(provider ? { provider } : {}),
        ...(r.protect ? { protect: true } : {}),
        ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
        ...(r.dependencies?.length ? { dependsOn: r.dependencies.map(shortUrn) } : {}),
        ...(r.deletedWith ? { deletedWith: shortUrn(r.deletedWith) } : {}),
        ...(r.ignoreChanges?.length ? { ignoreChanges: r.ignoreChanges } : {}),
        ...(r.replaceOnChanges?.length ? { replaceOnChanges: r.replaceOnChanges } : {}),
        ...(r.propertyDependencies
          ? {
              propertyDependencies: Object.fromEntries(
                Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map(shortUrn)]),
              ),
            }
          : {}),
        inputs,
      };
    });
  const outputs = stackOutputs ?? ((fromStateValue(stack?.outputs ?? {}) ?? {}) as Record<string, unknown>);
  return { source: "export", resources: expandConfigGroups(resources), outputs };
}

/**
 * `--previous <path>`: a previous plan's output folder, or a `pulumi stack export` file (with, optionally,
 * `pulumi stack output --json` as `outputs`).
 */
export function readPrevious(path: string, stackOutputs?: Record<string, unknown>): PreviousState {
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, "resources.json"))) {
      const state = readPlanDir(path);
      return stackOutputs ? { ...state, outputs: stackOutputs } : state;
    }
    throw new Error(`${path} has no resources.json: give a previous plan's output folder or a \`pulumi stack export\` file`);
  }
  return readStackExport(readFileSync(path, "utf8"), stackOutputs);
}
