/** helm's parsed output kept between plans (plan/charts/render-cache.ts). */
import assert from "node:assert/strict";
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RENDER_CACHE_ENTRIES, cachedRender, chartDigest, renderCacheDir, storeRender } from "../../../plan/charts/render-cache";
import { CHARTS_DIR } from "../../../plan/charts/vendored";
import { multiDoc } from "../../../plan/render";
import { asNewProcess } from "../../support/new-process";

/** Runs `fn` with XDG_CACHE_HOME in a fresh folder, removed afterwards. */
function withCache(fn: (cache: string) => void): void {
  const cache = mkdtempSync(join(tmpdir(), "render-cache-"));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    fn(cache);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  }
}

describe("the render cache", () => {
  it("gives back what it stored, and stores nothing JSON would change", () => {
    withCache(() => {
      const docs = [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { n: "1" } }];
      const texts = ["apiVersion: v1\nkind: ConfigMap\n"];
      storeRender("a".repeat(64), { docs, texts });
      assert.deepEqual(cachedRender("a".repeat(64)), { docs, texts });
      storeRender("b".repeat(64), { docs: [{ kind: "ConfigMap", ratio: Number.NaN }], texts: [] });
      assert.equal(cachedRender("b".repeat(64)), undefined);
      assert.equal(cachedRender("c".repeat(64)), undefined);
    });
  });

  it(`keeps at most ${RENDER_CACHE_ENTRIES} entries, dropping the least recently used`, () => {
    withCache(() => {
      const key = (i: number) => i.toString(16).padStart(64, "0");
      for (let i = 0; i < RENDER_CACHE_ENTRIES; i++) {
        storeRender(key(i), { docs: [{ i }], texts: [] });
        // Older uses first; entry 0 is then read, which makes it the most recently used.
        const t = new Date(Date.now() - (RENDER_CACHE_ENTRIES - i) * 60_000);
        utimesSync(join(renderCacheDir(), `${key(i)}.json`), t, t);
      }
      assert.deepEqual(cachedRender(key(0))?.docs, [{ i: 0 }]);
      storeRender(key(RENDER_CACHE_ENTRIES), { docs: [{ i: RENDER_CACHE_ENTRIES }], texts: [] });
      const left = readdirSync(renderCacheDir());
      assert.equal(left.length, RENDER_CACHE_ENTRIES);
      assert.ok(left.includes(`${key(0)}.json`));
      assert.ok(!left.includes(`${key(1)}.json`), "the least recently used entry is removed");
    });
  });

  it("tells chart folders apart by every file's content", () => {
    const dir = mkdtempSync(join(tmpdir(), "render-cache-chart-"));
    try {
      const src = join(CHARTS_DIR, "cert-manager-webhook-hetzner", "0.9.0");
      cpSync(src, join(dir, "a"), { recursive: true });
      cpSync(src, join(dir, "b"), { recursive: true });
      assert.equal(chartDigest(join(dir, "a")), chartDigest(join(dir, "b")));
      const template = join(dir, "b", "templates", readdirSync(join(dir, "b", "templates")).sort()[0]!);
      writeFileSync(template, `${readFileSync(template, "utf8")}\n# changed\n`);
      cpSync(join(dir, "b"), join(dir, "c"), { recursive: true });
      assert.notEqual(chartDigest(join(dir, "c")), chartDigest(join(dir, "a")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets a later plan render without helm, unless K3S_SITES_RENDER_CACHE=off", () => {
    withCache((cache) => {
      // A stand-in helm that counts its runs and prints one object.
      const helm = join(cache, "helm");
      const runs = join(cache, "runs");
      writeFileSync(helm, `#!/bin/sh\necho run >> "${runs}"\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: a\\n'\n`);
      chmodSync(helm, 0o755);
      const spec = { resource: "w", release: "w", chart: "cert-manager-webhook-hetzner", version: "0.9.0", namespace: "cert-manager", values: {}, valuesFiles: [], skipCrds: false };
      // Each render as a later plan makes it: a fresh instance of plan/charts/render.ts, whose memory holds no render,
      // so that only the cache folder carries one from the last.
      const render = (env: Record<string, string> = {}) =>
        asNewProcess(require.resolve("../../../plan/charts/render"), env, ({ renderChart }: typeof import("../../../plan/charts/render")) => {
          const objects = renderChart({ path: helm, version: "v3.17.2", source: "test" }, spec, { kubeVersion: "v1.33.5+k3s1", apiVersions: [] }).objects;
          return JSON.stringify({ objects, yaml: multiDoc(objects) });
        });
      const count = () => readFileSync(runs, "utf8").split("\n").filter(Boolean).length;
      const first = render();
      assert.deepEqual(JSON.parse(first), {
        objects: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "cert-manager" } }],
        yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: cert-manager\n",
      });
      assert.equal(render(), first);
      assert.equal(count(), 1, "the second render came from the cache");
      // The kept YAML is what the plan writes, not written again.
      const [entry] = readdirSync(join(cache, "k3s-sites", "renders"));
      const file = join(cache, "k3s-sites", "renders", entry!);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), texts: ["kept: true\n"] }));
      assert.equal(JSON.parse(render()).yaml, "kept: true\n");
      assert.equal(render({ K3S_SITES_RENDER_CACHE: "off" }), first);
      assert.equal(count(), 2);
    });
  });
});
