import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, formatProblem } from "../../src/config/problems";
import { parseSiteConfig } from "../../src/config/load";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile, runProgram } from "../../plan/engine";
import program = require("../../index");
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hetznerWarnings } from "../../src/hetzner/limits";
import { SERVER_TYPES } from "../../src/hetzner/types";
import { MISTAKES, VALID_EDGES, sectionsOf, stackFileOf, tempProject, type Mistake } from "./mistakes";
import { cachedRun } from "../support/plan-cache";

/** What a source citation looks like: an upstream file, a repository, an issue number, a tag. */
const CITATION = /\.go\b|github\.com|\b[\w-]+\/[\w-]+#\d+|\bat v\d+\.\d+|terraform-provider|_test\./;

/** The problem lines of a parse of the case's sections ([] when accepted). */
function parseProblems(c: Mistake): string[] {
  try {
    parseSiteConfig(sectionsOf(c), c.stack ?? "test");
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
}

/** Runs the whole program on the case's stack file, as `npm run plan` does; returns what it throws. */
async function programError(project: ReturnType<typeof tempProject>, c: Omit<Mistake, "expect">): Promise<unknown> {
  const stack = c.stack ?? "test";
  try {
    const file = project.write(stack, stackFileOf(c));
    await runProgram(readStackFile(file, SECRET_KEYS), program);
    return undefined;
  } catch (err) {
    return err;
  }
}

describe("stack-file mistakes are refused in the user's words", () => {
  // Mistakes in the sections show in a plain parse; the rest (keys, secrets, the file itself) need the program.
  for (const c of MISTAKES.filter((m) => m.keys === undefined && m.text === undefined)) {
    it(`refuses ${c.name}`, () => {
      const lines = parseProblems(c);
      assert.ok(
        lines.some((l) => l.startsWith(c.expect)),
        `expected a problem starting\n  ${c.expect}\ngot\n  ${lines.join("\n  ") || "(accepted)"}`,
      );
    });
  }
});

describe("every mistake, through the whole program", () => {
  const project = tempProject();
  after(() => project.remove());

  for (const c of MISTAKES) {
    it(`refuses ${c.name} with a RunError naming the key, and no stack trace`, async () => {
      const err = await programError(project, c);
      assert.ok(err instanceof Error, `expected the program to refuse the stack, got ${String(err)}`);
      assert.ok(pulumi.RunError.isInstance(err), `expected a RunError (shown without a stack trace), got ${err.name}: ${err.message}`);
      assert.ok(err.message.includes(c.expect), `expected the message to contain\n  ${c.expect}\ngot\n${err.message}`);
      assert.doesNotMatch(err.message, /\n\s+at .+:\d+:\d+/, "the message holds a stack trace");
      if (c.secret !== undefined) assert.ok(!err.message.includes(c.secret), "the message shows the secret");
      assert.doesNotMatch(err.message, CITATION, "the message cites a source: keep citations in code comments");
    });
  }
});

describe("valid edge cases plan", () => {
  const project = tempProject();
  before(() => assert.ok(VALID_EDGES.length >= 10));
  after(() => project.remove());

  for (const c of VALID_EDGES) {
    it(`plans ${c.name}`, async () => {
      // A run that succeeds is kept in the plan cache (a mistake's refusal is not: programError runs it afresh).
      const err = await cachedRun(readStackFile(project.write(c.stack ?? "test", stackFileOf(c)), SECRET_KEYS)).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.equal(err, undefined, err instanceof Error ? err.message : String(err));
    });
  }
});

describe("a stack file away from its project", () => {
  it("is refused naming the folder and how to bring Pulumi.yaml beside it", () => {
    const dir = mkdtempSync(join(tmpdir(), "k3s-sites-noproject-"));
    try {
      const file = join(dir, "Pulumi.test.yaml");
      writeFileSync(file, "config:\n  k3s-sites:k3s: {version: v1.33.5+k3s1}\n");
      assert.throws(
        () => readStackFile(file, SECRET_KEYS),
        (err: Error) => {
          assert.ok(pulumi.RunError.isInstance(err), `expected a RunError, got ${err.name}`);
          assert.equal(
            err.message,
            `Pulumi.test.yaml has no Pulumi.yaml beside it in ${dir}: Pulumi reads a stack file only in its project's ` +
              `folder. Copy Pulumi.yaml from the k3s-sites clone into ${dir}, or write the stack there with ` +
              `npm run init -- --dir ${dir}, which copies it`,
          );
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("messages about Hetzner server types", () => {
  const withType = (serverType: string) => {
    const raw = sectionsOf({ base: "prod" });
    raw.site.pools[1].serverType = serverType;
    return hetznerWarnings(parseSiteConfig(raw, "test"));
  };

  it("cite no source, and name a type that can be ordered now, for every type that cannot", () => {
    const orderable = SERVER_TYPES.filter((t) => t.status === "orderable").map((t) => t.name);
    for (const type of SERVER_TYPES.filter((t) => t.status !== "orderable")) {
      const [warning] = withType(type.name);
      assert.ok(warning, `no warning for ${type.name}`);
      assert.doesNotMatch(warning, CITATION, warning);
      const suggested = /choose an orderable type(?: such as|, though none is as large \([^)]*\):) (\w+)/.exec(warning)?.[1];
      assert.ok(suggested && orderable.includes(suggested), `${type.name}: suggests ${suggested}, which cannot be ordered`);
    }
  });

  it("say what a retired type became, without the source", () => {
    assert.equal(
      withType("cx22")[0],
      "site.pools[1].serverType cx22 is retired (Hetzner's plans as of 2026-12-02: renamed cx23 in June 2026): servers that " +
        "exist keep running, but Hetzner refuses new ones, so a new site or node of pool worker fails; choose an orderable " +
        "type such as cpx22 (amd64, 2 vCPU, 4 GB)",
    );
  });

  it("suggest the close type and list the orderable ones for a type not in the table", () => {
    assert.equal(
      withType("cpx21")[0],
      "site.pools[1].serverType cpx21 is not in k3s-sites' table of Hetzner server types (read 2026-12-02): did you mean " +
        "cpx22? check that Hetzner sells it in fsn1 before pulumi up; the types that can be ordered now are cpx22 (amd64, " +
        "2 vCPU, 4 GB), cpx32 (amd64, 4 vCPU, 8 GB)",
    );
  });
});
