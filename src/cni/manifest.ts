/**
 * The official Calico `canal.yaml` of a pinned Calico release: where it comes from, the sha256 it must have, and
 * how it is read (from a cache folder, else downloaded once and cached). The text is never trusted before its
 * digest matches, so a moved tag, a proxy or an edited cache file stops the run instead of reaching the cluster.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** sha256 of `manifests/canal.yaml` at each Calico release tag k3s-sites pins (see upstream/SOURCES.md). */
export const CALICO_PINS: Readonly<Record<string, string>> = Object.freeze({
  "v3.31.7": "f3320f85a4ee78893ad2b60f223a76b4ecc9ba4b0bbdfb2d501f01d69a3fdefb",
  "v3.32.1": "aa58a7b245586a90d75d969b9184326f6218acea7e4951ce2931113cd8e91e39",
});

const VERSION = /^v\d+\.\d+\.\d+$/;

function checkVersion(version: string): void {
  // The version becomes part of a URL and a file path: only a release tag may get there.
  if (!VERSION.test(version)) {
    throw new Error(`cni.canal.version ${JSON.stringify(version)} is not a Calico release tag: use one such as v3.32.1`);
  }
}

export function canalManifestUrl(version: string): string {
  checkVersion(version);
  return `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/canal.yaml`;
}

/** Where a cache folder keeps the manifest of `version`: `<cacheDir>/calico/<version>/canal.yaml`. */
export function canalCachePath(cacheDir: string, version: string): string {
  checkVersion(version);
  return join(cacheDir, "calico", version, "canal.yaml");
}

/** The sha256 that canal.yaml of `version` must have: the configured one when set, else the pin. */
export function expectedCanalDigest(version: string, configuredSha256?: string): string {
  if (configuredSha256 !== undefined) return configuredSha256.toLowerCase();
  const pinned = CALICO_PINS[version];
  if (pinned !== undefined) return pinned;
  throw new Error(
    `cni.canal.version ${version} has no pinned canal.yaml digest in k3s-sites: set cni.canal.sha256 to the sha256 ` +
      `of ${canalManifestUrl(version)} (curl -sL <url> | sha256sum, after reading the release notes), ` +
      `or use a pinned version: ${Object.keys(CALICO_PINS).join(", ")}`,
  );
}

/** The part of a fetch Response the loader reads; global fetch satisfies it. */
export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type FetchLike = (url: string) => Promise<FetchResponse>;

export interface LoadCanalManifestArgs {
  /** Calico release tag, e.g. v3.32.1 (cni.canal.version). */
  readonly version: string;
  /** Expected sha256 of canal.yaml (cni.canal.sha256). @default - the pin of `version` in CALICO_PINS */
  readonly sha256?: string;
  /**
   * Folder read before downloading and written after a verified download (`<cacheDir>/calico/<version>/canal.yaml`).
   * @default - no cache: download every time
   */
  readonly cacheDir?: string;
  /** @default - the global fetch */
  readonly fetch?: FetchLike;
}

function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Writes through a temporary file in the same folder and a rename, so no reader ever sees half a manifest. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The text of canal.yaml for `version`, with its sha256 checked: from the cache folder when the file is there,
 * else downloaded (and then written into the cache folder, when one is set). Throws naming the source and both
 * digests on a mismatch, the URL and status on an HTTP failure, and `cni.canal.version` for a version without a pin
 * or configured digest (before any download).
 */
export async function loadCanalManifest(args: LoadCanalManifestArgs): Promise<string> {
  const { version, cacheDir } = args;
  const expected = expectedCanalDigest(version, args.sha256);
  const expectedFrom = args.sha256 !== undefined ? "cni.canal.sha256" : `the k3s-sites pin for Calico ${version}`;
  const url = canalManifestUrl(version);

  if (cacheDir !== undefined) {
    const path = canalCachePath(cacheDir, version);
    const cached = await readIfExists(path);
    if (cached !== undefined) {
      const actual = sha256Of(cached);
      if (actual !== expected) {
        throw new Error(
          `${path} has sha256 ${actual}, but ${expectedFrom} is ${expected}: the cached canal.yaml is not the ` +
            `pinned file. Restore it from ${url} (or delete it to download it again)` +
            (args.sha256 !== undefined ? `, and check cni.canal.sha256 against that file` : ""),
        );
      }
      return cached.toString("utf8");
    }
  }

  const fetchFn: FetchLike = args.fetch ?? ((u) => fetch(u));
  let response: FetchResponse;
  try {
    response = await fetchFn(url);
  } catch (err) {
    throw new Error(
      `downloading canal.yaml of Calico ${version} from ${url} failed: ${(err as Error).message}. Check the ` +
        `network, or put that file at ` +
        (cacheDir !== undefined ? canalCachePath(cacheDir, version) : `calico/${version}/canal.yaml in a cache folder`),
    );
  }
  if (!response.ok) {
    throw new Error(
      `downloading canal.yaml of Calico ${version} from ${url} failed: HTTP ${response.status} ${response.statusText}`.trimEnd() +
        `. Check that cni.canal.version ${version} is a Calico release (https://github.com/projectcalico/calico/releases)`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = sha256Of(bytes);
  if (actual !== expected) {
    throw new Error(
      `${url} has sha256 ${actual}, but ${expectedFrom} is ${expected}: the download is not the pinned canal.yaml, ` +
        `so nothing was applied or cached. ` +
        (args.sha256 !== undefined
          ? `Check cni.canal.sha256 against the file of that release`
          : `The release file changed or something between here and GitHub altered it; do not work around the check`),
    );
  }
  if (cacheDir !== undefined) await writeAtomically(canalCachePath(cacheDir, version), bytes);
  return Buffer.from(bytes).toString("utf8");
}
