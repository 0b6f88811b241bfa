/**
 * The offline engine: runs the real program (index.ts) on pulumi.runtime.setMocks, with no Pulumi CLI, cloud,
 * cluster or network, and records every resource registration as the engine would receive it.
 *
 * The mocks' newResource callback does not see parent, dependsOn, protect and the other resource options, so a
 * recording wrapper sits around the SDK's mock monitor and reads them from each RegisterResourceRequest.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isMap, isScalar, parse as parseYaml, parseDocument } from "yaml";
import { OfflineMocks } from "./mocks";
import { engineErrors } from "./rules";

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

export interface StackFile {
  readonly project: string;
  readonly stack: string;
  /** Config values as the Pulumi CLI hands them to a program: strings, objects as JSON. */
  readonly config: Record<string, string>;
  readonly secretKeys: readonly string[];
}

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /**
   * For each stack output, the resources (short URNs) its value comes from: the SDK registers the stack's outputs
   * once all of them are known, so only after each of these is done (plan/failure.ts).
   */
  readonly outputDependencies: Readonly<Record<string, readonly string[]>>;
}

/** `Pulumi.prod.yaml` -> `prod`. */
export function stackNameOf(path: string): string {
  const match = /(?:^|[/\\])Pulumi\.([^/\\]+)\.ya?ml$/.exec(path);
  if (!match) throw new Error(`${path} is not a stack file: expected a name like Pulumi.<stack>.yaml`);
  return match[1] as string;
}

/**
 * The `config:` mapping of a stack file, or a RunError (no stack trace) naming the file, line and column of what the
 * Pulumi CLI would refuse to read: YAML syntax, duplicate keys, a key without its namespace.
 */
function parseStackConfig(path: string): Record<string, unknown> {
  const text = readFileSync(path, "utf8");
  const file = basename(path);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const before = text.slice(0, offset).split("\n");
    return `${file}:${before.length}:${(before[before.length - 1] ?? "").length + 1}`;
  };
  const error = doc.errors[0];
  if (error) {
    if (error.code === "DUPLICATE_KEY") {
      const key = /^("[^"\n]*"|'[^'\n]*'|[^\n]*?)\s*:(\s|$)/.exec(text.slice(error.pos[0]))?.[1] ?? "";
      throw new pulumi.RunError(`${at(error.pos[0])}: the key ${key} appears twice in the same mapping: merge the two into one`);
    }
    throw new pulumi.RunError(`${at(error.pos[0])}: not valid YAML: ${error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw new pulumi.RunError(`${file}: a stack file is a mapping with a config: key; this one is not`);
  const configNode = doc.contents.get("config", true);
  if (configNode === undefined) {
    const bare = doc.contents.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)).filter((k) => k.includes(":"));
    if (bare.length > 0) {
      throw new pulumi.RunError(
        `${file}: the keys ${bare.join(", ")} are at the top level, where Pulumi ignores them: a stack file holds its ` +
          `settings under config:. Add the line config: at the top and indent every key below it by two spaces, as in ` +
          `Pulumi.prod.yaml`,
      );
    }
  }
  if (configNode === undefined || configNode === null || (isScalar(configNode) && configNode.value === null)) return {};
  if (!isMap(configNode)) {
    throw new pulumi.RunError(`${at(configNode.range?.[0])}: config must be a mapping of <namespace>:<key> entries`);
  }
  for (const pair of configNode.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    // The Pulumi CLI parses every key as <namespace>:<name> (sdk/go/common/resource/config/key.go, ParseKey) and
    // refuses others; k3s-sites' keys are k3s-sites:<key>.
    if ((key.match(/:/g) ?? []).length !== 1) {
      const node = pair.key as { range?: [number, number, number] } | null;
      throw new pulumi.RunError(
        `${at(node?.range?.[0])}: the config key ${JSON.stringify(key)} is not of the form <namespace>:<key>: ` +
          (key.includes(":") ? "use a single ':'" : `write it as k3s-sites:${key}`),
      );
    }
  }
  return (doc.toJS() as { config: Record<string, unknown> }).config;
}

/**
 * Reads a stack file and the project file beside it. Encrypted values (`secure:`) cannot be read offline, and
 * `secrets` lists the keys the program requires: both stand in as visible placeholders, `<secret:hcloud:token>`.
 * A secret written in plain text stays plain, for the program to refuse.
 */
export function readStackFile(path: string, secrets: readonly string[]): StackFile {
  const projectFile = join(dirname(path), "Pulumi.yaml");
  if (!existsSync(projectFile)) {
    const dir = dirname(path);
    throw new pulumi.RunError(
      `${basename(path)} has no Pulumi.yaml beside it in ${dir}: Pulumi reads a stack file only in its project's ` +
        `folder. Copy Pulumi.yaml from the k3s-sites clone into ${dir}, or write the stack there with ` +
        `npm run init -- --dir ${dir}, which copies it`,
    );
  }
  const project = (parseYaml(readFileSync(projectFile, "utf8")) as { name?: string }).name;
  if (!project) throw new Error(`${projectFile} has no name`);
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(parseStackConfig(path))) {
    if (value !== null && typeof value === "object" && "secure" in value) {
      config[key] = `<secret:${key}>`;
      secretKeys.add(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  for (const key of secrets) {
    if (!(key in config)) {
      config[key] = `<secret:${key}>`;
      secretKeys.add(key);
    }
  }
  return { project, stack: stackNameOf(path), config, secretKeys: [...secretKeys] };
}

function shortUrn(urn: string): string {
  // urn:pulumi:<stack>::<project>::<type chain>::<name>
  return urn.split("::").slice(2).join("::");
}

/**
 * The URNs `pulumi up` would give, by the mock monitor's URNs. The mock monitor chains only the parent's last type
 * (`B$C`); the real engine chains the parent's whole qualified type (`A$B$C`), leaving out the root stack's.
 */
class UrnMap {
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
function reveal(value: unknown, keepSecrets: boolean): unknown {
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

interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface RegisterRequest {
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

function record(req: RegisterRequest, urns: UrnMap): RecordedResource {
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

/**
 * Runs `program` (the default export of index.ts) as `pulumi up` would, against the offline mocks. Config errors
 * come back as the RunError the program throws. `previousOutputs` stands in for the stack's last deployment.
 */
export async function runProgram(
  stackFile: StackFile,
  program: () => Promise<Record<string, unknown>>,
  options: {
    readonly previousOutputs?: Readonly<Record<string, unknown>>;
    /** Called with each resource as it is registered (its inputs final, its urn not yet set). */
    readonly onResource?: (resource: RecordedResource) => void;
  } = {},
): Promise<ProgramRun> {
  pulumi.runtime.setAllConfig(stackFile.config, [...stackFile.secretKeys]);
  // "organization" is the organization of stacks on DIY backends (pulumi login --local, S3, ...).
  await pulumi.runtime.setMocks(
    new OfflineMocks(options.previousOutputs),
    stackFile.project,
    stackFile.stack,
    false,
    "organization",
  );

  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, res: unknown) => void): Promise<void>;
    registerResourceOutputs(req: OutputsRequest, cb: (err: unknown, res: unknown) => void): void;
  };
  const resources: RecordedResource[] = [];
  const original = monitor.registerResource.bind(monitor);
  const urns = new UrnMap();
  monitor.registerResource = (req, cb) => {
    const entry = record(req, urns);
    resources.push(entry);
    options.onResource?.(entry);
    return original(req, (err, res) => {
      if (res) {
        const mockUrn = (res as { getUrn(): string }).getUrn();
        (entry as { urn: string }).urn = urns.add(mockUrn, req.getType(), req.getName(), req.getParent());
      }
      cb(err, res);
    });
  };
  // The stack's outputs as the engine receives them: serialized, with secrets still marked as secrets.
  let stackOutputs: Record<string, unknown> = {};
  const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
    return originalOutputs(req, cb);
  };

  // The program's own error is caught inside the stack, so that the SDK's promises around the Stack resource do not
  // reject unhandled, and rethrown once the stack is done.
  let failure: { error: unknown } | undefined;
  let returned: Record<string, unknown> = {};
  // An Output that rejects while a resource's inputs are serialized (a failed download, a bad digest) surfaces as an
  // unhandled rejection; the Pulumi CLI fails the run on those, and so does the plan.
  let rejected = (): void => {};
  const firstRejection = new Promise<void>((resolve) => (rejected = resolve));
  const onRejection = (error: unknown) => {
    failure ??= { error: asRunError(error) };
    rejected();
  };
  process.on("unhandledRejection", onRejection);
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        returned = await program();
        return returned;
      } catch (error) {
        failure = { error };
        return {};
      }
    });
    // A resource whose inputs rejected is never registered, so the SDK's wait for its RPCs would never end (and
    // the process would exit saying only that promises were still active): the first rejection ends the wait.
    await Promise.race([(pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), firstRejection]);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failure) throw failure.error;
  const registered = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
  // What `pulumi up` would refuse (plan/rules.ts) fails the plan too, before anything is written.
  const refused = engineErrors(registered, stackFile);
  if (refused.length > 0) {
    throw new pulumi.RunError(`Pulumi's engine would refuse this program:\n${refused.map((e) => `  ${e}`).join("\n")}`);
  }
  return {
    project: stackFile.project,
    stack: stackFile.stack,
    resources: registered,
    outputs: reveal(stackOutputs, false) as Record<string, unknown>,
    outputDependencies: await outputDependenciesOf(returned, urns),
  };
}

/** The resources each stack output's value comes from, through every Output nested in it. */
async function outputDependenciesOf(outputs: Record<string, unknown>, urns: UrnMap): Promise<Record<string, string[]>> {
  const deps: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const output = pulumi.output(value) as unknown as { allResources?: () => Promise<Set<pulumi.Resource>> };
    const resources = [...((await output.allResources?.()) ?? new Set<pulumi.Resource>())];
    const list = await Promise.all(resources.map(async (r) => urns.get(await promiseOf(r.urn))));
    deps[key] = [...new Set(list)].sort();
  }
  return deps;
}

/**
 * An error thrown inside an apply, as the user should read it: its own message, without the SDK's stack. The SDK
 * names the input it was computing ("error serializing property \"objs\": ..."), which stays as a pointer.
 */
function asRunError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  // RunError is an Error in shape, so its type guard would narrow a plain Error away: read the message first.
  const message = error.message;
  if (pulumi.RunError.isInstance(error) || pulumi.ResourceError.isInstance(error)) return error;
  return new pulumi.RunError(`a value computed at deploy time was refused: ${message}`);
}

/** The value of an Output, for tests and the plan. Unknown values resolve to undefined. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}
