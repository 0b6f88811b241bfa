/**
 * Random mutations of both example stacks (wrong types, out-of-range numbers, removed keys, overlapping or nested
 * ranges, odd strings): each either parses or is refused with a ConfigError whose every problem names a config key,
 * and nothing else is ever thrown.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError, formatProblem } from "../../src/config/problems";
import { parseSiteConfig } from "../../src/config/load";
import { formatCidr, parseCidr } from "../../src/net/cidr";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile, runProgram } from "../../plan/engine";
import program = require("../..");
import { clone, exampleSections } from "../helpers";
import { stackFileOf, tempProject } from "./mistakes";

type Path = (string | number)[];
type Raw = Record<string, any>;

/** Every path in the sections, objects and lists included. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value as Record<string, unknown>);
  return [...(prefix.length > 0 ? [prefix] : []), ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function getAt(root: Raw, path: Path): unknown {
  return path.reduce<any>((node, key) => node?.[key], root);
}

function setAt(root: Raw, path: Path, value: unknown): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
}

function removeAt(root: Raw, path: Path): void {
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
  else delete (parent as Record<string | number, unknown>)[key];
}

const CIDR = /^[0-9a-f.:]+\/\d+$/i;

type Mutation =
  | { kind: "type"; pick: number; value: unknown }
  | { kind: "number"; pick: number; value: number }
  | { kind: "remove"; pick: number }
  | { kind: "overlap"; pick: number; other: number; shift: number }
  | { kind: "string"; pick: number; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("type" as const),
    pick: fc.nat(),
    value: fc.constantFrom<unknown>(42, -1, "x", "", true, false, null, [], {}, ["a"], { a: 1 }, 1.5),
  }),
  fc.record({
    kind: fc.constant("number" as const),
    pick: fc.nat(),
    value: fc.constantFrom(-1, 0, 1, 2, 7, 24, 28, 32, 33, 65535, 65536, 1e9, 0.5, Number.MAX_SAFE_INTEGER),
  }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("overlap" as const), pick: fc.nat(), other: fc.nat(), shift: fc.integer({ min: -8, max: 8 }) }),
  fc.record({
    kind: fc.constant("string" as const),
    pick: fc.nat(),
    value: fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom("10.0.0.0/33", "10.0.0.1/8", "::/0", "0.0.0.0/0", "256.1.1.1", "fd00::1", "10.43.0.0/31", "v1.99.0+k3s1", "-a-", "A".repeat(70)),
    ),
  }),
);

/** Applies a mutation in place; mutations that find nothing to act on leave the sections unchanged. */
function apply(root: Raw, m: Mutation): void {
  const paths = pathsOf(root);
  if (paths.length === 0) return;
  const path = paths[m.pick % paths.length]!;
  switch (m.kind) {
    case "type":
      return setAt(root, path, structuredClone(m.value));
    case "remove":
      return removeAt(root, path);
    case "string":
      return setAt(root, path, m.value);
    case "number": {
      const numbers = paths.filter((p) => typeof getAt(root, p) === "number");
      if (numbers.length > 0) setAt(root, numbers[m.pick % numbers.length]!, m.value);
      return;
    }
    case "overlap": {
      // One range set to another, or to its neighbour or parent: overlapping and nested ranges.
      const ranges = paths.filter((p) => CIDR.test(String(getAt(root, p))));
      if (ranges.length === 0) return;
      const target = ranges[m.pick % ranges.length]!;
      const source = String(getAt(root, ranges[m.other % ranges.length]!));
      const [address, prefix] = source.split("/");
      const next = Math.max(0, Math.min(address!.includes(":") ? 128 : 32, Number(prefix) + m.shift));
      const shifted = parseCidr(`${address}/${next}`);
      return setAt(root, target, m.shift === 0 || !shifted ? source : formatCidr(shifted));
    }
  }
}

const SECTIONS = /^(site|k3s|cni|ingress|certificates|networkPolicies|storage)([.[]|$)/;

/** A problem names a config key: a path under a section or a namespaced key, or a message about the stack itself. */
function namesAKey(path: string, message: string): boolean {
  if (SECTIONS.test(path) || /^[A-Za-z0-9-]+:[A-Za-z]/.test(path)) return true;
  return path === "" && (/k3s-sites:/.test(message) || /the stack name/.test(message));
}

function check(stack: "prod" | "home", mutations: Mutation[]): void {
  const raw = clone(exampleSections(stack));
  for (const m of mutations) apply(raw, m);
  try {
    parseSiteConfig(raw, "test");
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      throw new Error(`threw ${(err as Error).name} instead of a ConfigError: ${(err as Error).message}\n${JSON.stringify(raw)}`);
    }
    assert.ok(err.problems.length > 0);
    for (const p of err.problems) {
      assert.ok(namesAKey(p.path, p.message), `problem names no config key: ${formatProblem(p)}\n${JSON.stringify(raw)}`);
      assert.doesNotMatch(p.message, /could not be checked/, `a check crashed: ${formatProblem(p)}\n${JSON.stringify(raw)}`);
    }
  }
}

describe("random mutations of the example stacks", () => {
  for (const stack of ["prod", "home"] as const) {
    it(`${stack}: each parses, or is refused with problems that name a config key, and nothing else is thrown`, () => {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => check(stack, mutations)),
        { numRuns: Number(process.env.PROPERTY_RUNS ?? 200), ...(process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED) } : { seed: stack === "prod" ? 16 : 61 }) },
      );
    });
  }

  it("through the whole program, each plans or is refused with a RunError and no stack trace", async () => {
    const project = tempProject();
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom("prod" as const, "home" as const), fc.array(mutation, { minLength: 1, maxLength: 2 }), async (stack, mutations) => {
          const raw = clone(exampleSections(stack));
          for (const m of mutations) apply(raw, m);
          const file = project.write("test", stackFileOf({
            base: stack,
            edit: (s) => {
              for (const key of Object.keys(s)) delete s[key];
              Object.assign(s, raw);
            },
          }));
          try {
            await runProgram(readStackFile(file, SECRET_KEYS), program);
          } catch (err) {
            assert.ok(pulumi.RunError.isInstance(err as Error), `threw ${(err as Error).name}: ${(err as Error).message}\n${JSON.stringify(raw)}`);
            assert.doesNotMatch((err as Error).message, /\n\s+at .+:\d+:\d+/);
          }
        }),
        { numRuns: Number(process.env.PROPERTY_PROGRAM_RUNS ?? 25), seed: Number(process.env.PROPERTY_SEED ?? 7) },
      );
    } finally {
      project.remove();
    }
  });

  it("finds the mistakes it looks for: a removed required key and an overlap are refused", () => {
    // The generator's two main moves, made by hand: each must fail, so the property is not vacuous.
    assert.throws(() => parseSiteConfig({ ...clone(exampleSections("prod")), k3s: {} }), ConfigError);
    const overlap = clone(exampleSections("prod"));
    overlap.k3s.serviceCidr = "10.42.0.0/16";
    assert.throws(() => parseSiteConfig(overlap), ConfigError);
  });
});
