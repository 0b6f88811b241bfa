/**
 * helm's parsed output kept between plans, with the YAML the plan writes of each object, by the digest of everything
 * they depend on: helm (its version and where it came from, its path), the chart folder's every file, the spec
 * (values, release, namespace), the capabilities the chart reads and the YAML library's version. A plan of an
 * unchanged site then runs no helm, and parses and writes no YAML for its charts. At most
 * RENDER_CACHE_ENTRIES files, the least recently used removed first; K3S_SITES_RENDER_CACHE=off turns it off.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { cacheRoot } from "./helm";

export const RENDER_CACHE_ENTRIES = 128;

export function renderCacheDir(): string {
  return join(cacheRoot(), "renders");
}

const chartDigests = new Map<string, string>();

/** SHA-256 over the chart folder's relative paths and contents, once per folder and process. */
export function chartDigest(dir: string): string {
  let digest = chartDigests.get(dir);
  if (digest === undefined) {
    const hash = createHash("sha256");
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else hash.update(`${relative(dir, p)}\0`).update(readFileSync(p)).update("\0");
      }
    };
    walk(dir);
    digest = hash.digest("hex");
    chartDigests.set(dir, digest);
  }
  return digest;
}

const enabled = () => process.env.K3S_SITES_RENDER_CACHE !== "off";

export interface CachedRender {
  /** helm's documents, parsed. */
  readonly docs: unknown[];
  /** The YAML of each object the plan writes of them, in order (objects, then hooks). */
  readonly texts: string[];
}

/** The render stored under `key`, or undefined. */
export function cachedRender(key: string): CachedRender | undefined {
  if (!enabled()) return undefined;
  const file = join(renderCacheDir(), `${key}.json`);
  try {
    const entry = JSON.parse(readFileSync(file, "utf8")) as Partial<CachedRender> | null;
    if (!Array.isArray(entry?.docs) || !Array.isArray(entry.texts) || !entry.texts.every((t) => typeof t === "string")) return undefined;
    const now = new Date();
    utimesSync(file, now, now);
    return { docs: entry.docs, texts: entry.texts };
  } catch {
    return undefined;
  }
}

/**
 * Stores a render under `key`, unless JSON would not give its documents back exactly (a value JSON has no form
 * for). Never fails the plan: a cache that cannot be written is skipped.
 */
export function storeRender(key: string, render: CachedRender): void {
  if (!enabled()) return;
  const text = JSON.stringify(render);
  if (!isDeepStrictEqual((JSON.parse(text) as CachedRender).docs, render.docs)) return;
  const dir = renderCacheDir();
  try {
    mkdirSync(dir, { recursive: true });
    // Written beside the entry and renamed: a plan running at the same time reads the old entry or the new one.
    const partial = join(dir, `${key}.${process.pid}.partial`);
    writeFileSync(partial, text);
    renameSync(partial, join(dir, `${key}.json`));
    const entries = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => ({ f, used: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.used - a.used);
    for (const { f } of entries.slice(RENDER_CACHE_ENTRIES)) unlinkSync(join(dir, f));
  } catch {
    // read-only or vanished: render again next time
  }
}
