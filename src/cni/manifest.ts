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

/** sha256 of `manifests/calico.yaml` at each Calico release tag k3s-sites pins (see upstream/SOURCES.md). */
export const CALICO_MANIFEST_PINS: Readonly<Record<string, string>> = Object.freeze({
  "v3.31.7": "d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d",
  "v3.32.1": "a1df919d9721cf667accdc3e72848911b0cb25cfab7d2478ad0c996302c95744",
});

/** The two manifests of a Calico release that k3s-sites applies: Canal's, and Calico's own. */
export type CalicoManifestFile = "canal.yaml" | "calico.yaml";

/** The pins of a manifest file, and the config section that names its version. */
function pinsOf(file: CalicoManifestFile): { pins: Readonly<Record<string, string>>; key: string } {
  return file === "canal.yaml" ? { pins: CALICO_PINS, key: "cni.canal" } : { pins: CALICO_MANIFEST_PINS, key: "cni.calico" };
}

const VERSION = /^v\d+\.\d+\.\d+$/;

function checkVersion(version: string, file: CalicoManifestFile): void {
  // The version becomes part of a URL and a file path: only a release tag may get there.
  if (!VERSION.test(version)) {
    throw new Error(`${pinsOf(file).key}.version ${JSON.stringify(version)} is not a Calico release tag: use one such as v3.32.1`);
  }
}

export function canalManifestUrl(version: string, file: CalicoManifestFile = "canal.yaml"): string {
  checkVersion(version, file);
  return `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/${file}`;
}

/** Where a cache folder keeps the manifest of `version`: `<cacheDir>/calico/<version>/<file>`. */
export function canalCachePath(cacheDir: string, version: string, file: CalicoManifestFile = "canal.yaml"): string {
  checkVersion(version, file);
  return join(cacheDir, "calico", version, file);
}

/** The sha256 that the manifest of `version` must have: the configured one when set, else the pin. */
export function expectedCanalDigest(version: string, configuredSha256?: string, file: CalicoManifestFile = "canal.yaml"): string {
  if (configuredSha256 !== undefined) return configuredSha256.toLowerCase();
  const { pins, key } = pinsOf(file);
  const pinned = pins[version];
  if (pinned !== undefined) return pinned;
  throw new Error(
    `${key}.version ${version} has no pinned ${file} digest in k3s-sites: set ${key}.sha256 to the sha256 ` +
      `of ${canalManifestUrl(version, file)} (curl -sL <url> | sha256sum, after reading the release notes), ` +
      `or use a pinned version: ${Object.keys(pins).join(", ")}`,
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
  /** Which manifest of the release. @default "canal.yaml" */
  readonly file?: CalicoManifestFile;
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
  const file = args.file ?? "canal.yaml";
  const key = pinsOf(file).key;
  const expected = expectedCanalDigest(version, args.sha256, file);
  const expectedFrom = args.sha256 !== undefined ? `${key}.sha256` : `the k3s-sites pin for Calico ${version}`;
  const url = canalManifestUrl(version, file);

  if (cacheDir !== undefined) {
    const path = canalCachePath(cacheDir, version, file);
    const cached = await readIfExists(path);
    if (cached !== undefined) {
      const actual = sha256Of(cached);
      if (actual !== expected) {
        throw new Error(
          `${path} has sha256 ${actual}, but ${expectedFrom} is ${expected}: the cached ${file} is not the ` +
            `pinned file. Restore it from ${url} (or delete it to download it again)` +
            (args.sha256 !== undefined ? `, and check ${key}.sha256 against that file` : ""),
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
      `downloading ${file} of Calico ${version} from ${url} failed: ${(err as Error).message}. Check the ` +
        `network, or put that file at ` +
        (cacheDir !== undefined ? canalCachePath(cacheDir, version, file) : `calico/${version}/${file} in a cache folder`),
    );
  }
  if (!response.ok) {
    throw new Error(
      `downloading ${file} of Calico ${version} from ${url} failed: HTTP ${response.status} ${response.statusText}`.trimEnd() +
        `. Check that ${key}.version ${version} is a Calico release (https://github.com/projectcalico/calico/releases)`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = sha256Of(bytes);
  if (actual !== expected) {
    throw new Error(
      `${url} has sha256 ${actual}, but ${expectedFrom} is ${expected}: the download is not the pinned ${file}, ` +
        `so nothing was applied or cached. ` +
        (args.sha256 !== undefined
          ? `Check ${key}.sha256 against the file of that release`
          : `The release file changed or something between here and GitHub altered it; do not work around the check`),
    );
  }
  if (cacheDir !== undefined) await writeAtomically(canalCachePath(cacheDir, version, file), bytes);
  return Buffer.from(bytes).toString("utf8");
}
