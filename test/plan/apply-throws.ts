/**
 * A program whose one resource's input throws inside an apply, run through the plan's engine in a process of its
 * own: node:test fails whichever test is running on an unhandled rejection, which is the very path under test.
 * Prints the error runProgram ends with, and whether it is a RunError.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile, runProgram } from "../../plan/engine";
import { ROOT } from "../helpers";

/** The smallest resource with an input: the engine's mocks never see it, its input rejects first. */
class Thing extends pulumi.CustomResource {
  constructor(name: string, value: pulumi.Input<string>) {
    super("test:index:Thing", name, { value });
  }
}

async function program(): Promise<Record<string, unknown>> {
  const value = pulumi.output("x").apply((): string => {
    throw new Error("ingress.config.proxy-protocol is refused: remove it");
  });
  new Thing("thing", value);
  return {};
}

runProgram(readStackFile(join(ROOT, "Pulumi.prod.yaml"), SECRET_KEYS), program).then(
  () => process.exit(0),
  (err: Error) => {
    process.stdout.write(`${pulumi.RunError.isInstance(err) ? "RunError" : "other"}: ${err.message}\n`);
    process.exit(1);
  },
);
