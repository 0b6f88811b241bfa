import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../plan/engine";
import { structFromJavaScript, structModule } from "../../plan/struct";
import { ROOT } from "../helpers";

/** A resource of a type the offline mocks know (CustomResource itself is abstract). */
class Thing extends pulumi.CustomResource {
  constructor(name: string, args: pulumi.Inputs) {
    super("hcloud:index/network:Network", name, args);
  }
}

/** A program that registers one resource named `name` after `delayMs`, reading the config key `k:v`. */
function oneResource(name: string, delayMs: number) {
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const thing = new Thing(name, { name: new pulumi.Config("k").require("v") });
    return { urn: thing.urn };
  };
}

describe("runProgram", () => {
  it("reports an error thrown inside an apply as a RunError with its message, instead of hanging", () => {
    const run = spawnSync(process.execPath, ["--require", join(ROOT, "plan/register.js"), join(ROOT, "test/plan/apply-throws.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stdout,
      'RunError: a value computed at deploy time was refused: error serializing property "value": ' +
        "ingress.config.proxy-protocol is refused: remove it\n",
    );
  });

  it("runs one program at a time: runs started together each get their own stack, config and resources", async () => {
    const stackFile = (stack: string) => ({ project: "p", stack, config: { "k:v": stack }, secretKeys: [] });
    // Without turns, the slow run's resource would register into the fast run's stack, under the fast run's config.
    const [slow, fast] = await Promise.all([
      runProgram(stackFile("slow"), oneResource("one", 50)),
      runProgram(stackFile("fast"), oneResource("two", 0)),
    ]);
    assert.deepEqual(slow.resources.map((r) => [r.name, r.inputs.name]), [["one", "slow"]]);
    assert.deepEqual(fast.resources.map((r) => [r.name, r.inputs.name]), [["two", "fast"]]);
    assert.match(String(slow.outputs.urn), /^urn:pulumi:slow::.*::one$/);
    assert.match(String(fast.outputs.urn), /^urn:pulumi:fast::.*::two$/);
  });

  it("starts the next run when one fails", async () => {
    const failing = runProgram({ project: "p", stack: "a", config: {}, secretKeys: [] }, async () => {
      throw new pulumi.RunError("the first run fails");
    });
    const next = runProgram({ project: "p", stack: "b", config: { "k:v": "b" }, secretKeys: [] }, oneResource("x", 0));
    await assert.rejects(failing, /the first run fails/);
    assert.deepEqual((await next).resources.map((r) => r.name), ["x"]);
  });

  it("takes no stack traces and maps none while a program runs, and puts both back after", async () => {
    const before = { maps: process.sourceMapsEnabled, limit: Error.stackTraceLimit };
    let during: { maps: boolean; limit: number } | undefined;
    await runProgram({ project: "p", stack: "s", config: {}, secretKeys: [] }, async () => {
      during = { maps: process.sourceMapsEnabled, limit: Error.stackTraceLimit };
      return {};
    });
    assert.deepEqual(during, { maps: false, limit: 0 });
    assert.deepEqual({ maps: process.sourceMapsEnabled, limit: Error.stackTraceLimit }, before);
    assert.ok(before.limit > 0, "the test process keeps its stack traces");
  });

  it("builds the requests' Structs from the top down while a program runs, and puts google-protobuf's back after", async () => {
    const { Struct } = structModule;
    const before = Struct.fromJavaScript;
    let during: unknown;
    await runProgram({ project: "p", stack: "s", config: {}, secretKeys: [] }, async () => {
      during = Struct.fromJavaScript;
      return {};
    });
    assert.equal(during, structFromJavaScript);
    assert.equal(Struct.fromJavaScript, before);
  });
});
