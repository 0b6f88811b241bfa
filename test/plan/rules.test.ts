import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { runProgram, type StackFile } from "../../plan/engine";
import { dependencyOrderErrors, duplicateUrnErrors, engineErrors, type RuleResource } from "../../plan/rules";

const ctx = { stack: "prod", project: "k3s-sites" };
const res = (name: string, extra: Partial<RuleResource> = {}): RuleResource => ({
  urn: `random:index/randomPassword:RandomPassword::${name}`,
  type: "random:index/randomPassword:RandomPassword",
  ...extra,
});
const urnOf = (name: string) => res(name).urn;

describe("engine rules (pulumi/pulumi v3.248.0)", () => {
  it("refuse a URN registered twice, with the engine's message", () => {
    assert.deepEqual(duplicateUrnErrors([res("a"), res("b"), res("a")], ctx), [
      "Duplicate resource URN 'urn:pulumi:prod::k3s-sites::random:index/randomPassword:RandomPassword::a'; try giving it a unique name",
    ]);
  });

  it("refuse a URN that another resource claims as its alias", () => {
    assert.deepEqual(duplicateUrnErrors([res("a"), res("b", { aliases: [urnOf("a")] })], ctx), [
      "Duplicate resource URN 'urn:pulumi:prod::k3s-sites::random:index/randomPassword:RandomPassword::a' conflicting with alias on resource with URN 'urn:pulumi:prod::k3s-sites::random:index/randomPassword:RandomPassword::b'",
    ]);
  });

  it("refuse a dependency that comes after the resource (a cycle) or is missing, as snapshot integrity does", () => {
    const cycle = [res("a", { dependsOn: [urnOf("b")] }), res("b", { dependsOn: [urnOf("a")] })];
    assert.deepEqual(dependencyOrderErrors(cycle, ctx), [
      "resource urn:pulumi:prod::k3s-sites::random:index/randomPassword:RandomPassword::a's dependency urn:pulumi:prod::k3s-sites::random:index/randomPassword:RandomPassword::b comes after it: a dependency cycle",
    ]);
    const missing = [res("a", { propertyDependencies: { length: [urnOf("gone")] } })];
    assert.match(dependencyOrderErrors(missing, ctx)[0]!, /property dependency \(from property length\) .*::gone refers to a missing resource$/);
    // Parents, providers and dependencies that come first, and the stack as a parent, are what a program registers.
    const fine = [res("a", { parent: "pulumi:pulumi:Stack::k3s-sites-prod" }), res("b", { parent: urnOf("a"), dependsOn: [urnOf("a")] })];
    assert.deepEqual(engineErrors(fine, ctx), []);
  });

  it("fail the offline run of a program that registers one name twice, before it returns anything", async () => {
    const stack: StackFile = { project: "k3s-sites", stack: "prod", config: {}, secretKeys: [] };
    const program = async () => {
      new random.RandomPassword("twice", { length: 8 });
      new random.RandomPassword("twice", { length: 9 });
      return {};
    };
    await assert.rejects(runProgram(stack, program), (err: Error) => {
      assert.ok(pulumi.RunError.isInstance(err), "a RunError: printed without a stack trace");
      assert.match(err.message, /Duplicate resource URN 'urn:pulumi:prod::k3s-sites::random:index\/randomPassword:RandomPassword::twice'/);
      return true;
    });
  });
});
