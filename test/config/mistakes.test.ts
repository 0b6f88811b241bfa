import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, formatProblem } from "../../src/config/problems";
import { parseSiteConfig } from "../../src/config/load";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile, runProgram } from "../../plan/engine";
import program = require("../../index");
import { MISTAKES, VALID_EDGES, sectionsOf, stackFileOf, tempProject, type Mistake } from "./mistakes";

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
    });
  }
});

describe("valid edge cases plan", () => {
  const project = tempProject();
  before(() => assert.ok(VALID_EDGES.length >= 10));
  after(() => project.remove());

  for (const c of VALID_EDGES) {
    it(`plans ${c.name}`, async () => {
      const err = await programError(project, c);
      assert.equal(err, undefined, err instanceof Error ? err.message : String(err));
    });
  }
});
