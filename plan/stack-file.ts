/**
 * The stack file as the Pulumi CLI would hand it to the program: its config values, which of them are secret, and
 * the errors the CLI would stop at, with file, line and column.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isMap, isScalar, parse as parseYaml, parseDocument } from "yaml";

export interface StackFile {
  readonly project: string;
  readonly stack: string;
  /** Config values as the Pulumi CLI hands them to a program: strings, objects as JSON. */
  readonly config: Record<string, string>;
  readonly secretKeys: readonly string[];
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
 * What an encrypted or missing secret reads as offline: visible in the plan's config, and never a real value. Tests
 * and checks that look for it use this, not the text.
 */
export function secretPlaceholder(key: string): string {
  return `<secret:${key}>`;
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
      config[key] = secretPlaceholder(key);
      secretKeys.add(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  for (const key of secrets) {
    if (!(key in config)) {
      config[key] = secretPlaceholder(key);
      secretKeys.add(key);
    }
  }
  return { project, stack: stackNameOf(path), config, secretKeys: [...secretKeys] };
}
