/**
 * The digest of a vendored chart folder, as upstream/SOURCES.md lists it: sha256 of the sorted lines
 * `<sha256 of the file>  <path relative to the folder>` (sha256sum's format), one per file.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

export function treeDigest(dir: string): { digest: string; files: number } {
  const lines = files(dir)
    .map((f) => `${createHash("sha256").update(readFileSync(f)).digest("hex")}  ${relative(dir, f).split(sep).join("/")}`)
    .sort((a, b) => a.slice(66).localeCompare(b.slice(66)));
  return { digest: createHash("sha256").update(`${lines.join("\n")}\n`).digest("hex"), files: lines.length };
}
