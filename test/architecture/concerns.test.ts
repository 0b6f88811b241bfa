/**
 * No code names a concern outside its own folder and the registries (docs/architecture.md, "The concern contract"):
 * a branch on a concern's name (`config.cni.plugin === "cilium"`, `ingress.controller !== "nginx"`, `case
 * "metallb":`) anywhere else is a concern spread over the tree, which the registry and the traits are there to end.
 * A concern's folder is the folder of its concern.ts; its component is components/<kind>/<name>.ts.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { CONCERNS } from "../../src/concerns/registry";
import { ROOT } from "../helpers";

const FOLDERS = ["src", "components", "program", "plan"];

/**
 * Lines that name a concern's value but not the concern, or that are still to move, each with why. A new branch
 * anywhere else fails the test.
 */
const KNOWN: Readonly<Record<string, string>> = {
  // The `calico` plugin inside canal.yaml's and calico.yaml's CNI config list (its JSON `type`), not cni.plugin.
  'src/cni/customize.ts: return plugins.find((p): p is Record<string, unknown> => (p as { type?: unknown } | null)?.type === "calico");':
    "a CNI config plugin type",
};

/** Where the registries live: they name every concern on purpose. */
const REGISTRIES = ["src/concerns/", "src/cni/section.ts", "src/ingress/section.ts", "src/storage/section.ts", "components/concerns.ts"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The lines of `text` that branch on `name`: compare a value with it, or switch on it. */
export function branchesOn(text: string, name: string): string[] {
  const quoted = `["'\`]${escape(name)}["'\`]`;
  const branch = new RegExp(`(===|!==|==|!=)\\s*${quoted}|${quoted}\\s*(===|!==|==|!=)|case\\s+${quoted}\\s*:`);
  return text.split("\n").filter((line) => branch.test(line) && !/^\s*(\/\/|\*|\/\*)/.test(line));
}

/** The folder of each concern: where its concern.ts is, found by the name it declares. */
function concernFolders(): Map<string, string[]> {
  // By name, a list: two kinds may share a name (cilium the CNI and cilium the ingress controller), and the one
  // depends on the other.
  const folders = new Map<string, string[]>();
  for (const path of sourceFiles(join(ROOT, "src")).filter((p) => p.endsWith("/concern.ts"))) {
    const name = /\n\s*name: "([^"]+)"/.exec(readFileSync(path, "utf8"))?.[1];
    if (name !== undefined) folders.set(name, [...(folders.get(name) ?? []), `${relative(ROOT, dirname(path))}/`]);
  }
  return folders;
}

describe("the detector of concern-named branches", () => {
  it("finds comparisons and cases on a name, not comments or other names", () => {
    const text = [
      'if (config.cni.plugin === "cilium") {',
      '  return "cilium" !== plugin;',
      'case "cilium":',
      '// config.cni.plugin === "cilium" in a comment',
      'if (config.cni.plugin === "ciliumx") {',
    ].join("\n");
    assert.deepEqual(branchesOn(text, "cilium"), [text.split("\n")[0], text.split("\n")[1], text.split("\n")[2]]);
  });
});

describe("no concern is named outside its folder and the registries", () => {
  it("finds every registered concern's folder", () => {
    const folders = concernFolders();
    for (const concern of CONCERNS) assert.ok(folders.has(concern.name), `${concern.name} has no concern.ts in src/`);
  });

  it("has no branch on a concern's name in src/, components/, program/ or plan/ outside them", () => {
    const folders = concernFolders();
    const found: string[] = [];
    for (const path of FOLDERS.flatMap((f) => sourceFiles(join(ROOT, f)))) {
      const file = relative(ROOT, path);
      if (REGISTRIES.some((r) => file.startsWith(r))) continue;
      const text = readFileSync(path, "utf8");
      for (const concern of CONCERNS) {
        const own = folders.get(concern.name) ?? [];
        if (own.some((folder) => file.startsWith(folder)) || file === `components/${concern.kind}/${concern.name}.ts`) continue;
        if (file.startsWith("components/") && file.endsWith(`/${concern.name}.ts`)) continue;
        for (const line of branchesOn(text, concern.name)) {
          const entry = `${file}: ${line.trim()}`;
          if (!(entry in KNOWN)) found.push(entry);
        }
      }
    }
    assert.deepEqual(found, [], `branches on a concern's name outside its folder:\n${found.join("\n")}`);
  });
});
