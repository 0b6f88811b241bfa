/**
 * No import circle in src/, components/, program/, plan/ or scripts/: a module's layer is below everything that imports it, so config's
 * core sits under the features and the assembly above them (docs/architecture.md). Type-only imports count too: a
 * circle of types is still two modules that cannot be read, changed or moved one without the other.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { ROOT } from "../helpers";

const FOLDERS = ["src", "components", "program", "plan", "scripts"];

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

/** The packages a file imports for their values (not `import type`, not an import of types only). */
export function runtimePackagesOf(path: string, text = readFileSync(path, "utf8")): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const clause = statement.importClause;
    const typesOnly =
      clause !== undefined &&
      (clause.isTypeOnly ||
        (clause.name === undefined &&
          clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly)));
    if (!typesOnly && !statement.moduleSpecifier.text.startsWith(".")) found.push(statement.moduleSpecifier.text);
  }
  return found;
}

/** Whether a file declares a class that extends pulumi.ComponentResource. */
export function declaresComponent(path: string, text = readFileSync(path, "utf8")): boolean {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return file.statements.some(
    (s) =>
      ts.isClassDeclaration(s) &&
      (s.heritageClauses ?? []).some((h) => h.types.some((t) => t.expression.getText(file) === "pulumi.ComponentResource")),
  );
}

/**
 * Files of components/ that are not a component, each with why it lives there: the parts of K3sCluster that make
 * its commands, and the components' side of the registry of concerns.
 */
const NOT_COMPONENTS: Readonly<Record<string, string>> = {
  "components/concerns.ts": "the registry's components side: which component installs each concern",
  "components/k3s/access.ts": "K3sCluster's part that makes the kubeconfig and the site's Kubernetes provider",
  "components/k3s/connection.ts": "how K3sCluster's commands reach a node over SSH",
  "components/k3s/membership.ts": "K3sCluster's part that makes each node's membership and renewal commands",
};

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
  it("form no circle in src/, components/, program/, plan/ or scripts/", () => {
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

describe("layers", () => {
  const graph = importGraph(ROOT);
  const edges = (from: string, to: readonly string[]) =>
    [...graph].flatMap(([file, targets]) =>
      file.startsWith(from) ? targets.filter((t) => to.some((f) => t.startsWith(f))).map((t) => `${file} -> ${t}`) : [],
    );

  it("keep src/ pure: it imports no component, program or plan, and Pulumi's packages only for their types", () => {
    assert.deepEqual(edges("src/", ["components/", "program/", "plan/"]), []);
    const pulumi = [...graph.keys()]
      .filter((file) => file.startsWith("src/"))
      .flatMap((file) => runtimePackagesOf(join(ROOT, file)).filter((p) => p.startsWith("@pulumi/")).map((p) => `${file}: ${p}`));
    assert.deepEqual(pulumi, [], "src/ creates no resources: import Pulumi's packages with `import type` there");
  });

  it("keep the program above the components: components/ imports neither program/ nor plan/", () => {
    assert.deepEqual(edges("components/", ["program/", "plan/"]), []);
    assert.deepEqual(edges("program/", ["plan/"]), []);
  });

  it("keep components/ to components: every file declares one, or is a listed part of one", () => {
    const files = [...graph.keys()].filter((file) => file.startsWith("components/"));
    const strays = files.filter((file) => !declaresComponent(join(ROOT, file)) && NOT_COMPONENTS[file] === undefined);
    assert.deepEqual(strays, [], "not a ComponentResource: move it to src/ (plain data) or program/, or list it here with why");
    const stale = Object.keys(NOT_COMPONENTS).filter((file) => !files.includes(file) || declaresComponent(join(ROOT, file)));
    assert.deepEqual(stale, [], "listed as not a component, but gone or a component now");
  });

  it("tell a component and a value import from types", () => {
    const text =
      'import type * as a from "@pulumi/a";\nimport { type B } from "@pulumi/b";\nimport * as c from "@pulumi/c";\n' +
      'import { d, type D } from "@pulumi/d";\nimport "./e";\n';
    assert.deepEqual(runtimePackagesOf("f.ts", text), ["@pulumi/c", "@pulumi/d"]);
    assert.equal(declaresComponent("f.ts", "class X extends pulumi.ComponentResource {}\n"), true);
    assert.equal(declaresComponent("f.ts", "class X extends Other {}\nexport function f() {}\n"), false);
  });
});
