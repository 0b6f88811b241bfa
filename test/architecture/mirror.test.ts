/**
 * Tests mirror sources: the test of src/a/b.ts is test/a/b.test.ts, of plan/a/b.ts test/plan/a/b.test.ts (any
 * extension: a .sh or .js source too), and a suite of one aspect of it test/a/b.<aspect>.test.ts. A newcomer finds a
 * file's tests without searching, and a test whose source is gone shows up here. The suites below test no one file,
 * on purpose; each says why.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

/** Folders of the repository a test can mirror (a doc's test runs what the doc says); anything else is under src/. */
const ROOT_FOLDERS = ["components", "docs", "plan", "program", "scripts"];

const ALLOWED: Readonly<Record<string, string>> = {
  // Cross-cutting suites: the whole program, its examples, its docs, the lab, the shared helpers.
  "test/architecture/imports.test.ts": "the import graph of every folder",
  "test/architecture/mirror.test.ts": "this file: the layout of test/",
  "test/architecture/typecheck.test.ts": "every folder through tsc",
  "test/architecture/concerns.test.ts": "no concern named outside its folder and the registries, over every folder",
  "test/config/examples.test.ts": "the example stacks, through the whole program",
  "test/config/mistakes.test.ts": "one table of user mistakes, each through the parser or the whole program",
  "test/config/facts.test.ts": "upstream facts behind numbers the config checks use, from several concerns",
  "test/plan/charts/constants.test.ts": "names and ports kept by hand in src/ against the rendered charts",
  "test/plan/charts/plan-files.test.ts": "the chart files of npm run plan, end to end",
  "test/plan/charts/site-charts.test.ts": "every example's charts through the checks, known lists and reach",
  "test/plan/charts/upgrade.test.ts": "a chart upgrade, rendered and diffed end to end",
  "test/plan/charts/versions.test.ts": "every vendored chart version through the checks",
  "test/policy-pack/ci.test.ts": "the policy pack in policy/ (test/policy mirrors src/policy)",
  "test/policy-pack/plan.test.ts": "the policy pack in policy/, on the plan's resources",
  "test/policy-pack/rules.test.ts": "the policy pack's rules in policy/rules.ts",
  "test/upstream/gateway-api.test.ts": "vendored upstream files in upstream/",
  "test/lab/calico.test.ts": "the lab: real daemons in network namespaces",
  "test/lab/dmz.test.ts": "the lab: real daemons in network namespaces",
  "test/lab/docs.test.ts": "the lab: the docs' commands, run",
  "test/lab/metallb.test.ts": "the lab: real daemons in network namespaces",
  "test/lab/netns.test.ts": "the lab's own helpers",
  "test/scenarios/failure-sweep.test.ts": "scenarios: whole-program changes and their previews",
  "test/scenarios/failures.test.ts": "scenarios: whole-program changes and their previews",
  "test/scenarios/scenarios.test.ts": "scenarios: whole-program changes and their previews",
  "test/scenarios/sweep.test.ts": "scenarios: whole-program changes and their previews",
  "test/support/schemas.test.ts": "the test helpers themselves (test/support)",
  "test/support/shapes.test.ts": "the test helpers themselves (test/support)",
  "test/support/shellcheck.test.ts": "the test helpers themselves (test/support)",
  "test/support/plan-cache.test.ts": "the test helpers themselves (test/support)",
  "test/support/shards.test.ts": "the test helpers themselves (test/support)",
  "test/support/new-process.test.ts": "the test helpers themselves (test/support)",
  "test/ingress/cilium/site.test.ts": "a Cilium ingress site planned end to end, through the whole program",
  "test/storage/hcloud-csi/token-readers.test.ts": "the rendered charts' RBAC: who can read the driver's token",
  "test/scenarios/ingress-switch.test.ts": "scenarios: whole-program changes and their previews",
  "test/scenarios/upgrades.test.ts": "scenarios: whole-program changes and their previews",
  "test/docs/links.test.ts": "the README and every docs page: links and the paths they name",
  "test/docs/readme.test.ts": "the README's inline stack files, through the config parser",
};

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith(".test.ts") ? [relative(ROOT, path)] : [];
  });
}

/** The source a test file mirrors, or undefined. */
export function sourceOf(test: string, exists: (path: string) => boolean = (p) => existsSync(join(ROOT, p))): string | undefined {
  const path = test.replace(/^test\//, "").replace(/\.test\.ts$/, "");
  const under = ROOT_FOLDERS.some((f) => path.startsWith(`${f}/`)) ? path : `src/${path}`;
  // b.test.ts, or b.<aspect>.test.ts: the source is b with any extension.
  const stems = [under, under.replace(/\.[^./]+$/, "")];
  const dir = under.slice(0, under.lastIndexOf("/"));
  if (!exists(dir)) return undefined;
  const names = readdirSync(join(ROOT, dir));
  for (const stem of stems) {
    const base = stem.slice(stem.lastIndexOf("/") + 1);
    const found = names.find((n) => n.startsWith(`${base}.`) && !n.slice(base.length + 1).includes(".") && exists(`${dir}/${n}`));
    if (found) return `${dir}/${found}`;
  }
  return undefined;
}

describe("test files", () => {
  it("mirror a source, or are listed here with the reason they do not", () => {
    const files = testFiles(join(ROOT, "test"));
    assert.ok(files.length > 100, `read only ${files.length} test files`);
    const stray = files.filter((f) => !(f in ALLOWED) && sourceOf(f) === undefined);
    assert.deepEqual(stray, [], "move each to test/<source path>.test.ts, or list it in ALLOWED with the reason");
    const stale = Object.keys(ALLOWED).filter((f) => !files.includes(f) || sourceOf(f) !== undefined);
    assert.deepEqual(stale, [], "listed but gone, or now mirroring a source: drop it from ALLOWED");
  });

  it("finds the source of a test, of an aspect's suite, and none for a stray", () => {
    assert.equal(sourceOf("test/k3s/script.test.ts"), "src/k3s/script.ts");
    assert.equal(sourceOf("test/k3s/script.skew.test.ts"), "src/k3s/script.ts");
    assert.equal(sourceOf("test/k3s/drain.test.ts"), "src/k3s/drain.sh");
    assert.equal(sourceOf("test/plan/diff.test.ts"), "plan/diff.ts");
    assert.equal(sourceOf("test/components/k3s/cluster.test.ts"), "components/k3s/cluster.ts");
    assert.equal(sourceOf("test/k3s/nothing.test.ts"), undefined);
    assert.equal(sourceOf("test/nowhere/x.test.ts"), undefined);
  });
});
