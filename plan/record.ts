/**
 * A resource registration as the engine receives it, read from the SDK's RegisterResourceRequest: options the mocks'
 * newResource never sees (parent, dependsOn, protect...), the URN `pulumi up` would give, and inputs with secrets
 * and unknowns turned into visible markers.
 */
import * as pulumi from "@pulumi/pulumi";

/** A secret value as the plan shows it: never its content. */
export const SECRET = "[secret]";
/** A value only known after deployment. */
export const UNKNOWN = "[unknown]";
const UNKNOWN_SIG = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface RecordedResource {
  /** The URN without its `urn:pulumi:<stack>::<project>::` prefix: `<type chain>::<name>`. */
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent?: string;
  readonly provider?: string;
  readonly dependsOn: readonly string[];
  readonly protect?: boolean;
  readonly deleteBeforeReplace?: boolean;
  readonly replaceOnChanges?: readonly string[];
  readonly ignoreChanges?: readonly string[];
  readonly additionalSecretOutputs?: readonly string[];
  readonly retainOnDelete?: boolean;
  /** The URN (shortened like `urn`) of the resource whose deletion makes this one's delete a no-op. */
  readonly deletedWith?: string;
  /** For each input property, the resources its value comes from (short URNs). */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  /** The short URNs this resource was known by before (its `aliases` option). */
  readonly aliases?: readonly string[];
  /** Inputs with secrets as "[secret]" and unknowns as "[unknown]". */
  readonly inputs: Record<string, unknown>;
  /** Inputs with secret values kept (wrapped as { secret: value }). For tests only; never written to a file. */
  readonly rawInputs: Record<string, unknown>;
}

export function shortUrn(urn: string): string {
  // urn:pulumi:<stack>::<project>::<type chain>::<name>
  return urn.split("::").slice(2).join("::");
}

/**
 * The URNs `pulumi up` would give, by the mock monitor's URNs. The mock monitor chains only the parent's last type
 * (`B$C`); the real engine chains the parent's whole qualified type (`A$B$C`), leaving out the root stack's.
 */
export class UrnMap {
  private readonly real = new Map<string, string>();

  /** Records a registration; returns its real short URN. */
  add(mockUrn: string, type: string, name: string, mockParent: string): string {
    const urn = this.urnOf(type, name, mockParent);
    this.real.set(mockUrn, urn);
    return urn;
  }

  /** The real short URN of a resource of this type and name under this (mock) parent. */
  urnOf(type: string, name: string, mockParent: string): string {
    const parent = mockParent ? this.get(mockParent) : "";
    const parentChain = parent.split("::")[0] ?? "";
    const chain = parent && parentChain !== "pulumi:pulumi:Stack" ? `${parentChain}$${type}` : type;
    return `${chain}::${name}`;
  }

  get(mockUrn: string): string {
    return this.real.get(mockUrn) ?? shortUrn(mockUrn);
  }
}

/** Converts a protobuf Struct's JavaScript form, turning secrets and unknowns into visible markers. */
export function reveal(value: unknown, keepSecrets: boolean): unknown {
  if (value === UNKNOWN_SIG) return UNKNOWN;
  if (Array.isArray(value)) return value.map((v) => reveal(v, keepSecrets));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const sig = obj[pulumi.runtime.specialSigKey];
    if (sig === pulumi.runtime.specialSecretSig) {
      return keepSecrets ? { secret: reveal(obj.value, keepSecrets) } : SECRET;
    }
    if (sig === pulumi.runtime.specialAssetSig) {
      // A file asset: its text, path or URI, whichever it is made of.
      const { text, path, uri } = obj as { text?: string; path?: string; uri?: string };
      return { asset: { ...(text !== undefined ? { text } : {}), ...(path ? { path } : {}), ...(uri ? { uri } : {}) } };
    }
    if (sig !== undefined) {
      // Resource references and archives: keep their identity, not their internals.
      return obj.urn !== undefined ? { resource: shortUrn(String(obj.urn)) } : { [String(sig)]: "..." };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, reveal(v, keepSecrets)]));
  }
  return value;
}

export interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

export interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  hasProtect(): boolean;
  getProtect(): boolean | undefined;
  getDependenciesList(): string[];
  getProvider(): string;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  hasRetainondelete(): boolean;
  getRetainondelete(): boolean | undefined;
  getDeletedwith(): string;
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> } | undefined;
  getAliasesList?(): AliasMessage[];
}

interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}

function nonEmpty<K extends string>(key: K, items: string[]): { [P in K]?: string[] } {
  return (items.length > 0 ? { [key]: items } : {}) as { [P in K]?: string[] };
}

function propertyDependenciesOf(req: RegisterRequest, urns: UrnMap): Record<string, string[]> {
  const deps: Record<string, string[]> = {};
  for (const [key, value] of req.getPropertydependenciesMap()?.entries() ?? []) {
    const list = value.getUrnsList().map((u) => urns.get(u));
    if (list.length > 0) deps[key] = list;
  }
  return deps;
}

/** An alias as the short URN it names, resolved the way the engine resolves an alias spec. */
function aliasesOf(req: RegisterRequest, urns: UrnMap): string[] {
  return (req.getAliasesList?.() ?? []).map((alias) => {
    const spec = alias.getSpec();
    if (!spec) return urns.get(alias.getUrn());
    const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
    return urns.urnOf(spec.getType() || req.getType(), spec.getName() || req.getName(), parent);
  });
}

export function record(req: RegisterRequest, urns: UrnMap): RecordedResource {
  const object = req.getObject()?.toJavaScript() ?? {};
  const provider = req.getProvider();
  const propertyDependencies = propertyDependenciesOf(req, urns);
  const aliases = aliasesOf(req, urns);
  return {
    urn: "", // filled from the monitor's answer
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    ...(req.getParent() ? { parent: urns.get(req.getParent()) } : {}),
    // A provider reference is `<provider urn>::<id>`.
    ...(provider ? { provider: urns.get(provider.split("::").slice(0, -1).join("::")) } : {}),
    dependsOn: req.getDependenciesList().map((u) => urns.get(u)),
    ...(req.hasProtect() && req.getProtect() ? { protect: true } : {}),
    ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true } : {}),
    ...nonEmpty("replaceOnChanges", req.getReplaceonchangesList()),
    ...nonEmpty("ignoreChanges", req.getIgnorechangesList()),
    ...nonEmpty("additionalSecretOutputs", req.getAdditionalsecretoutputsList()),
    ...(req.hasRetainondelete() && req.getRetainondelete() ? { retainOnDelete: true } : {}),
    ...(req.getDeletedwith() ? { deletedWith: urns.get(req.getDeletedwith()) } : {}),
    ...(Object.keys(propertyDependencies).length > 0 ? { propertyDependencies } : {}),
    ...(aliases.length > 0 ? { aliases } : {}),
    inputs: reveal(object, false) as Record<string, unknown>,
    rawInputs: reveal(object, true) as Record<string, unknown>,
  };
}
