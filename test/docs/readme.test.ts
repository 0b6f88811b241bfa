/**
 * The README's two stack files are complete sites: each parses with the program's config loader as the plan reads a
 * stack file, and each is of the site kind it is shown for.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { parseSiteConfig } from "../../src/config/load";
import { NAMESPACE } from "../../src/config/schema";
import { ROOT } from "../helpers";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The yaml block right after `<!-- stack-file: <kind> -->`. */
export function stackFileOf(text: string, kind: string): string {
  const m = new RegExp(`<!-- stack-file: ${kind} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\`\\n`).exec(text);
  assert.ok(m, `README.md has a stack file marked ${kind}`);
  return m[1]!;
}

/** The `k3s-sites:` sections of a stack file's text, as the plan hands them to the loader. */
function sections(text: string): Record<string, unknown> {
  const doc = parse(text, { uniqueKeys: true }) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config)) {
    assert.ok(key.startsWith(`${NAMESPACE}:`), `${key} is outside the ${NAMESPACE} namespace`);
    raw[key.slice(NAMESPACE.length + 1)] = value;
  }
  return raw;
}

describe("README.md", () => {
  it("is under 300 lines", () => {
    assert.ok(README.split("\n").length < 300, `README.md has ${README.split("\n").length} lines`);
  });

  for (const [kind, stack] of [
    ["hetzner", "cloud"],
    ["ssh", "home"],
  ] as const) {
    it(`shows a complete ${kind} stack file that the config loader accepts`, () => {
      const text = stackFileOf(README, kind);
      const site = parseSiteConfig(sections(text), stack);
      assert.equal(site.site.kind, kind);
      assert.ok(text.startsWith("# yaml-language-server: $schema=./schema/stack-config.json\n"));
    });
  }

  it("finds a broken stack file's mistake", () => {
    const broken = stackFileOf(README, "hetzner").replace("serverType: cpx22", "serverType: cpx22, colour: red");
    assert.throws(() => parseSiteConfig(sections(broken), "cloud"), /colour/);
  });
});
