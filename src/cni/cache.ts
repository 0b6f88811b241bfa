import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { SiteConfig } from "../config/site";
import { canalCachePath, loadCanalManifest, type CalicoManifestFile } from "./manifest";

/** The pinned upstream files that ship with k3s-sites (upstream/SOURCES.md). */
export const VENDORED_DIR = join(__dirname, "..", "..", "upstream");

/**
 * Where the Canal manifest of a version is read from before any download: the vendored copy when k3s-sites ships
 * that version, else K3S_SITES_CACHE_DIR or ~/.cache/k3s-sites, where a verified download is kept. Either way the
 * sha256 is checked.
 */
export function manifestCacheDir(version: string, file: CalicoManifestFile = "canal.yaml"): string {
  if (existsSync(canalCachePath(VENDORED_DIR, version, file))) return VENDORED_DIR;
  return process.env.K3S_SITES_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "k3s-sites");
}

/**
 * The Canal manifest of the site's Calico version, read and checked before any resource is registered, so that a
 * failed download or a digest mismatch stops the run with its message instead of half-way through.
 */
export async function loadCanal(config: SiteConfig): Promise<string> {
  const canal = config.cni.canal;
  return loadCanalManifest({
    version: canal.version,
    ...(canal.sha256 ? { sha256: canal.sha256 } : {}),
    cacheDir: manifestCacheDir(canal.version),
  });
}

/** The calico.yaml of the site's Calico version, read and checked the same way as Canal's. */
export async function loadCalico(config: SiteConfig): Promise<string> {
  const calico = config.cni.calico;
  return loadCanalManifest({
    version: calico.version,
    file: "calico.yaml",
    ...(calico.sha256 ? { sha256: calico.sha256 } : {}),
    cacheDir: manifestCacheDir(calico.version, "calico.yaml"),
  });
}
