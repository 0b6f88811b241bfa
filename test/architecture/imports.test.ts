/**
 * No import circle in src/, components/, plan/ or scripts/: a module's layer is below everything that imports it, so config's
 * core sits under the features and the assembly above them (docs/architecture.md). Type-only imports count too: a
 * circle of types is still two modules that cannot be read, changed or moved one without the other.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { ROOT } from "../helpers";

const FOLDERS = ["src", "components", "plan", "scripts"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The module specifiers a file imports or re-exports, static and `import x = require(...)`. */
export function specifiersOf(path: string, text = readFileSync(path, "utf8")): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  for (const statement of file.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier) {
      if (ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      ts.isExternalModuleReference(statement.moduleReference) &&
      ts.isStringLiteral(statement.moduleReference.expression)
    ) {
      found.push(statement.moduleReference.expression.text);
    }
  }
  return found;
}

/** The file a relative specifier names, or undefined for a package or a file outside .ts. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, "index.ts"), base].find((p) => p.endsWith(".ts") && existsSync(p));
}

/** Each group of modules that import one another round (Tarjan's strongly connected components), as one circle. */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    for (let top = stack.pop()!; ; top = stack.pop()!) {
      onStack.delete(top);
      group.push(top);
      if (top === node) break;
    }
    if (group.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(group.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** One way round a circle, for the message: a -> b -> ... -> a. */
function pathRound(group: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string {
  const members = new Set(group);
  const start = group[0]!;
  // Breadth-first from the start back to it, inside the group: the shortest way round.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start].join(" -> ");
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return group.join(", ");
}

export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of FOLDERS) {
    for (const file of sourceFiles(join(root, folder))) {
      const targets = specifiersOf(file).flatMap((s) => resolveSpecifier(file, s) ?? []);
      graph.set(
        relative(root, file),
        [...new Set(targets.map((t) => relative(root, t)))].filter((t) => FOLDERS.some((f) => t.startsWith(`${f}/`))),
      );
    }
  }
  return graph;
}

describe("imports", () => {
  it("form no circle in src/, components/, plan/ or scripts/", () => {
    const graph = importGraph(ROOT);
    assert.ok(graph.size > 100, `read only ${graph.size} files`);
    const found = circles(graph).map((group) => `${pathRound(group, graph)} (${group.length} modules: ${group.join(", ")})`);
    assert.deepEqual(found, [], `import circles:\n${found.join("\n")}`);
  });

  it("keep the benchmark out of the plan: nothing outside plan/bench imports it but scripts", () => {
    const edges = [...importGraph(ROOT)].flatMap(([from, targets]) =>
      from.startsWith("plan/bench/") || from.startsWith("scripts/")
        ? []
        : targets.filter((t) => t.startsWith("plan/bench/")).map((t) => `${from} -> ${t}`),
    );
    assert.deepEqual(edges, [], "the plan imports its benchmark");
  });

  it("finds a circle when there is one, and names its way round", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
    ]);
    assert.deepEqual(circles(graph), [["a.ts", "b.ts", "c.ts"]]);
    assert.equal(pathRound(["a.ts", "b.ts", "c.ts"], graph), "a.ts -> b.ts -> c.ts -> a.ts");
  });

  it("reads type-only imports, re-exports and import = require", () => {
    const text = 'import type { A } from "./a";\nexport { B } from "./b";\nimport c = require("./c");\nimport "x";\n';
    assert.deepEqual(specifiersOf("f.ts", text), ["./a", "./b", "./c", "x"]);
  });
});
