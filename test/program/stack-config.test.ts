/**
 * program/stack-config.ts: the secrets a site needs are read before any resource (but the StackReference to the
 * previous outputs, which only reads), and an empty one is refused there, naming the key and the command that sets
 * it, instead of inside the apply that would use it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile, runProgram, type StackFile } from "../../plan/engine";
import program = require("../../index");
import { ROOT } from "../helpers";

/** The prod example with `key` set to an empty secret, as `pulumi config set --secret <key> ""` leaves it. */
function withEmptySecret(key: string): StackFile {
  const file = readStackFile(join(ROOT, "Pulumi.prod.yaml"), SECRET_KEYS);
  return { ...file, config: { ...file.config, [key]: "" }, secretKeys: [...new Set([...file.secretKeys, key])] };
}

describe("the stack's secrets", () => {
  for (const key of ["hcloud:token", "k3s-sites:sshPrivateKey"]) {
    it(`refuses an empty ${key} before any resource, with the command that sets it`, async () => {
      const registered: string[] = [];
      await assert.rejects(
        runProgram(withEmptySecret(key), program, { onResource: (r) => registered.push(r.type) }),
        (err: Error) => {
          assert.ok(pulumi.RunError.isInstance(err), "a RunError: no stack trace");
          assert.match(err.message, new RegExp(`${key.replace(/[.:]/g, "\\$&")} is set but empty: set it with pulumi config set --secret ${key}`));
          return true;
        },
      );
      assert.deepEqual(registered.filter((t) => !t.startsWith("pulumi:")), [], "no resource registered");
    });
  }
});
