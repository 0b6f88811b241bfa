/** The plan summary's secrets still unset, each with the command that stores it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { secretsRead, secretsStored, setSecretCommand, unsetSecretLines } from "../../../plan/summary/secrets";
import { ROOT } from "../../helpers";
import { planOf } from "../run";

const PROD = readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8");

describe("the plan summary's unset secrets", () => {
  it("lists the secrets the prod example reads and its file does not hold, each with its exact command", async () => {
    const run = await planOf("prod");
    assert.deepEqual(secretsRead(run), ["k3s-sites:sshPrivateKey", "hcloud:token"]);
    assert.deepEqual(unsetSecretLines(run, PROD), [
      "secrets still unset (2; pulumi up stops without them, and the stack file keeps them encrypted):",
      "  pulumi config set --secret k3s-sites:sshPrivateKey --stack prod < ~/.ssh/id_ed25519",
      "  pulumi config set --secret hcloud:token --stack prod",
    ]);
  });

  it("leaves out a secret the stack file holds encrypted, and says when every one is set", async () => {
    const run = await planOf("prod");
    const withToken = PROD.replace("config:\n", "config:\n  hcloud:token:\n    secure: AAABAKc2qj0=\n");
    assert.deepEqual(secretsStored(withToken), ["hcloud:token"]);
    assert.deepEqual(unsetSecretLines(run, withToken).slice(1), ["  pulumi config set --secret k3s-sites:sshPrivateKey --stack prod < ~/.ssh/id_ed25519"]);
    const both = withToken.replace("config:\n", "config:\n  k3s-sites:sshPrivateKey:\n    secure: AAABAMn8=\n");
    assert.deepEqual(unsetSecretLines(run, both), ["secrets: every secret the site reads is set"]);
  });

  it("does not ask a home site for a Hetzner token", async () => {
    const home = await planOf("home");
    assert.deepEqual(secretsRead(home), ["k3s-sites:sshPrivateKey"]);
    assert.equal(setSecretCommand("k3s-sites:bgpPassword", "multisite"), "pulumi config set --secret k3s-sites:bgpPassword --stack multisite");
  });
});
