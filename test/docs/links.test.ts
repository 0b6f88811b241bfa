/**
 * README.md and docs/*.md point only at what exists: every relative link (and its #anchor, a heading of the page it
 * names) and every repository path they name in backticks.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers";

/** The pages checked: the README and every page of docs/. */
export const PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Markdown's text outside fenced code blocks (a block shows a file's text, not a link). */
function prose(text: string): string {
  let fenced = false;
  return text
    .split("\n")
    .filter((line) => {
      if (line.startsWith("```")) fenced = !fenced;
      return !fenced && !line.startsWith("```");
    })
    .join("\n");
}

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/gu, "").replace(/ /g, "-");
}

export function anchorsOf(text: string): Set<string> {
  return new Set([...prose(text).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

/** The relative links of a page: `[text](target)` and `![alt](target)`, without web addresses. */
export function linksIn(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

/** Top-level folders and files of the repository a backticked path may start with. */
const REPO_ROOTS = ["src", "plan", "test", "components", "program", "docs", "upstream", "scripts", "policy", "schema", ".github", ".ci"];

/**
 * The repository paths a page names in backticks: `src/a/b.ts`, `test/scenarios/`, `Pulumi.prod.yaml`. A path with a
 * placeholder (`out/<stack>/`, `upstream/charts/<chart>/`) or outside the repository's folders is not one.
 */
export function repoPathsIn(text: string): string[] {
  const paths = [...prose(text).matchAll(/`([\w.-]+(?:\/[\w.-]+)*\/?)`/g)]
    .map((m) => m[1]!)
    .filter((p) => (p.includes("/") && REPO_ROOTS.includes(p.split("/")[0]!)) || /^Pulumi\.[\w-]+\.yaml$/.test(p));
  return [...new Set(paths)];
}

describe("links and paths in README.md and docs/", () => {
  it("finds links, anchors and paths, and leaves out web addresses, placeholders and code blocks", () => {
    const text = [
      "# A page: `the` title",
      "see [x](docs/a.md#b), ![p](images/p.svg), [w](https://example.com), `src/a/b.ts`, `test/c/`,",
      "`out/<stack>/x.json`, `b.ts`, `Pulumi.prod.yaml`, `k3s.version`",
      "```yaml",
      "# not a heading: [y](nowhere.md) `src/nowhere.ts`",
      "```",
    ].join("\n");
    assert.deepEqual(linksIn(text), ["docs/a.md#b", "images/p.svg"]);
    assert.deepEqual(repoPathsIn(text), ["src/a/b.ts", "test/c/", "Pulumi.prod.yaml"]);
    assert.deepEqual([...anchorsOf(text)], ["a-page-the-title"]);
    assert.equal(anchorOf("Changing a pool's `serverType`"), "changing-a-pools-servertype");
  });

  for (const page of PAGES) {
    it(`${page}: every link and its anchor exist`, () => {
      const text = readFileSync(join(ROOT, page), "utf8");
      const broken: string[] = [];
      for (const link of linksIn(text)) {
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path === "" ? page : normalize(join(dirname(page), path));
        if (relative(ROOT, join(ROOT, target)).startsWith("..") || !existsSync(join(ROOT, target))) {
          broken.push(`${link}: no such file`);
          continue;
        }
        if (anchor !== undefined && target.endsWith(".md") && !anchorsOf(readFileSync(join(ROOT, target), "utf8")).has(anchor)) {
          broken.push(`${link}: ${target} has no heading #${anchor}`);
        }
      }
      assert.deepEqual(broken, []);
    });

    it(`${page}: every repository path it names exists`, () => {
      const text = readFileSync(join(ROOT, page), "utf8");
      const missing = repoPathsIn(text).filter((p) => {
        const at = join(ROOT, p);
        return !existsSync(at) || (p.endsWith("/") && !statSync(at).isDirectory());
      });
      assert.deepEqual(missing, []);
    });
  }

  it("every page of docs/ is in its table of contents", () => {
    const listed = new Set(linksIn(readFileSync(join(ROOT, "docs", "README.md"), "utf8")).map((l) => l.split("#")[0]));
    assert.deepEqual(PAGES.filter((p) => p.startsWith("docs/") && p !== "docs/README.md" && !listed.has(p.slice("docs/".length))), []);
  });
});
