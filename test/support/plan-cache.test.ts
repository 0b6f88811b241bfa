import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { serialize } from "node:v8";
import { gzipSync } from "node:zlib";
import { readStackFile, runProgram } from "../../plan/engine";
import { OFFLINE_HCLOUD_PROJECT } from "../../plan/mocks";
import { SECRET_KEYS } from "../../src/config/secrets";
import program = require("../../index");
import { ROOT } from "../helpers";
import { PLAN_SOURCES, cachedRun, digestOf, planCacheFile } from "./plan-cache";

describe("whole-program plans kept between test processes", () => {
  const home = mkdtempSync(join(tmpdir(), "k3s-sites-plan-cache-"));
  const saved = { xdg: process.env.XDG_CACHE_HOME, off: process.env.K3S_SITES_PLAN_CACHE };
  before(() => {
    process.env.XDG_CACHE_HOME = home;
    delete process.env.K3S_SITES_PLAN_CACHE;
  });
  after(() => {
    for (const [key, value] of [["XDG_CACHE_HOME", saved.xdg], ["K3S_SITES_PLAN_CACHE", saved.off]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(home, { recursive: true, force: true });
  });
  const homeStack = () => readStackFile(join(ROOT, "Pulumi.home.yaml"), SECRET_KEYS);

  it("stores a run, gives back the same run as the engine, and reads the entry for the same stack", async () => {
    const stack = homeStack();
    const fresh = await runProgram(stack, program);
    assert.deepEqual(await cachedRun(stack), fresh);
    const file = planCacheFile(stack);
    assert.ok(existsSync(file));
    // A doctored entry is what the next run of the same stack gives: the cache is read, not just written.
    writeFileSync(file, gzipSync(serialize({ ...fresh, resources: [] })));
    assert.deepEqual((await cachedRun(stack)).resources, []);
    process.env.K3S_SITES_PLAN_CACHE = "off";
    try {
      assert.deepEqual(await cachedRun(stack), fresh);
    } finally {
      delete process.env.K3S_SITES_PLAN_CACHE;
    }
    assert.equal(readdirSync(join(file, "..")).filter((f) => f.endsWith(".partial")).length, 0);
  });

  it("keys a run by the stack's config, the previous outputs and the offline Hetzner project", () => {
    const stack = homeStack();
    const file = planCacheFile(stack);
    const other = { ...stack, config: { ...stack.config, "k3s-sites:extra": "1" } };
    assert.notEqual(planCacheFile(other), file);
    assert.notEqual(planCacheFile(stack, { kubeconfigExpires: "2030-01-01T00:00:00Z" }), file);
    OFFLINE_HCLOUD_PROJECT.sshKeys = [{ id: 1, name: "k", fingerprint: "f", publicKey: "ssh-ed25519 AAAA k", labels: {} }];
    try {
      assert.notEqual(planCacheFile(stack), file);
    } finally {
      OFFLINE_HCLOUD_PROJECT.sshKeys = [];
    }
    assert.equal(planCacheFile({ ...stack, config: Object.fromEntries(Object.entries(stack.config).reverse()) }), file);
  });

  it("changes the sources' digest when a source file's content changes", () => {
    const dir = mkdtempSync(join(tmpdir(), "k3s-sites-plan-sources-"));
    try {
      mkdirSync(join(dir, "src"));
      writeFileSync(join(dir, "src", "a.ts"), "export const a = 1;\n");
      writeFileSync(join(dir, "index.ts"), "export {};\n");
      const first = digestOf(dir, ["index.ts", "src"]);
      assert.equal(digestOf(dir, ["index.ts", "src"]), first);
      writeFileSync(join(dir, "src", "a.ts"), "export const a = 2;\n");
      assert.notEqual(digestOf(dir, ["index.ts", "src"]), first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keys on every file of the program: each folder a loaded module of it lives in is among the sources", () => {
    void program;
    const loaded = Object.keys(require.cache).filter((file) => file.startsWith(`${ROOT}/`) && !file.includes("/node_modules/"));
    const tops = [...new Set(loaded.map((file) => file.slice(ROOT.length + 1).split("/")[0]!))].filter((top) => top !== "test");
    assert.ok(tops.includes("components") && tops.includes("src"), `read only ${tops.join(", ")}`);
    assert.deepEqual(tops.filter((top) => !PLAN_SOURCES.includes(top)), [], "a cached plan would outlive a change there");
  });
});
