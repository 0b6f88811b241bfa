/** docs/architecture.md names files as the places to look: each one must exist. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

const DOC = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");

/** Every `path/with/a/slash.ext` between backticks. */
export function pathsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\.(?:ts|md|yaml|sh|json))`/g)].map((m) => m[1]!))];
}

describe("docs/architecture.md", () => {
  it("names only files that exist", () => {
    const paths = pathsIn(DOC);
    assert.ok(paths.length >= 20, `found only ${paths.length} paths`);
    assert.deepEqual(paths.filter((p) => !existsSync(join(ROOT, p))), []);
  });

  it("finds the paths a sentence names, and not a bare name", () => {
    assert.deepEqual(pathsIn("see `src/a/b.ts` and `docs/c.md`, not `b.ts` or `x/y`"), ["src/a/b.ts", "docs/c.md"]);
  });
});
