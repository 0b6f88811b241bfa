import assert from "node:assert/strict";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { ROOT } from "../helpers";
import { plan } from "./command-run";
import { SECRET, secretPlaceholder } from "../../plan/engine";

describe("npm run plan -- --previous", () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "plan-previous-"));
    const result = await plan("--stack", "prod", "--out", join(dir, "base"));
    assert.equal(result.status, 0, result.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes each secret input's digest beside its marker, never the value", async () => {
    const resources = JSON.parse(readFileSync(join(dir, "base", "resources.json"), "utf8")) as {
      name: string;
      inputs: Record<string, unknown>;
      secretDigests?: Record<string, string>;
    }[];
    const token = resources.find((r) => r.name === "site-hetzner-provider")!;
    assert.equal(token.inputs.token, SECRET);
    assert.match(token.secretDigests!.token!, /^sha256:[0-9a-f]{16}$/);
    assert.ok(!readFileSync(join(dir, "base", "resources.json"), "utf8").includes(secretPlaceholder("hcloud:token")));
  });

  it("prints what a changed stack file would do to the previous plan's resources", async () => {
    const config = (parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, any> }).config;
    config["k3s-sites:site"].operatorCidrs.push("198.51.100.77/32");
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.prod.yaml"), stringify({ config }));
    const result = await plan("--stack-file", join(dir, "Pulumi.prod.yaml"), "--out", join(dir, "next"), "--previous", join(dir, "base"));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^preview of stack prod against .* \(a previous plan\):$/m);
    assert.match(result.stdout, /^~  update  k3s-sites:site:Site\$k3s-sites:hetzner:HetznerInfra\$hcloud:index\/firewall:Firewall::site-hetzner-firewall$/m);
    assert.match(result.stdout, /^resources: 1 to update, \d+ to leave alone$/m);
  });

  it("fails as `pulumi preview` does when a protected resource would be deleted", async () => {
    const resources = JSON.parse(readFileSync(join(dir, "base", "resources.json"), "utf8")) as Record<string, unknown>[];
    const gone = "hcloud:index/volume:Volume::data";
    resources.push({ urn: gone, type: "hcloud:index/volume:Volume", name: "data", custom: true, dependsOn: [], protect: true, inputs: {} });
    cpSync(join(dir, "base"), join(dir, "with-volume"), { recursive: true });
    writeFileSync(join(dir, "with-volume", "resources.json"), JSON.stringify(resources));
    const result = await plan("--stack", "prod", "--out", join(dir, "again"), "--previous", join(dir, "with-volume"));
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^-  delete  hcloud:index\/volume:Volume::data$/m);
    assert.match(result.stdout, /^error: resource "urn:pulumi:prod::k3s-sites::hcloud:index\/volume:Volume::data" cannot be deleted$/m);
    // A refused plan writes nothing.
    assert.equal(existsSync(join(dir, "again")), false, "the refused plan wrote its output folder");
  });

  it("--fail writes the state a failed pulumi up leaves, and --previous plans its retry", async () => {
    const config = (parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, any> }).config;
    // A patch change within the example's minor (src/k3s/rules-upgrade.ts allows it): the nodes roll as in an upgrade.
    config["k3s-sites:k3s"].version = "v1.36.4+k3s1";
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.prod.yaml"), stringify({ config }));
    const stackFile = join(dir, "Pulumi.prod.yaml");
    const failed = await plan("--stack-file", stackFile, "--out", join(dir, "upgrade"), "--previous", join(dir, "base"), "--fail", "site-k3s-node-worker-1");
    assert.equal(failed.status, 0, failed.stderr);
    assert.match(failed.stdout, /^if the update of site-k3s-node-worker-1 fails, `pulumi up` stops there:$/m);
    assert.match(failed.stdout, /^  completed: site-k3s-node-control-1, site-k3s-node-control-2, site-k3s-node-control-3, site-k3s-node-worker-2$/m);
    const state = join(dir, "upgrade", "failed-state");
    assert.ok(existsSync(join(state, "resources.json")) && existsSync(join(state, "outputs.json")));
    const retry = await plan("--stack-file", stackFile, "--out", join(dir, "retry"), "--previous", state);
    assert.equal(retry.status, 0, retry.stderr);
    const commands = retry.stdout.split("\n").filter((l) => /^\S.*command:remote:Command::/.test(l));
    assert.deepEqual(commands, [
      "~  update  k3s-sites:site:Site$k3s-sites:k3s:K3sCluster$command:remote:Command::site-k3s-node-worker-1",
    ]);
  });

  it("refuses a --previous state Pulumi would not load, before the program runs and writing nothing", async () => {
    const resources = JSON.parse(readFileSync(join(dir, "base", "resources.json"), "utf8")) as unknown[];
    cpSync(join(dir, "base"), join(dir, "reversed"), { recursive: true });
    writeFileSync(join(dir, "reversed", "resources.json"), JSON.stringify(resources.reverse()));
    const result = await plan("--stack", "prod", "--out", join(dir, "never"), "--previous", join(dir, "reversed"));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^--previous .*reversed: Pulumi refuses this state:$/m);
    assert.match(result.stderr, /^  resource urn:pulumi:prod::k3s-sites::\S+'s parent urn:pulumi:prod::k3s-sites::\S+ comes after it: a dependency cycle$/m);
    assert.equal(existsSync(join(dir, "never")), false);
  });

  it("says what is wrong with a --previous that is neither a plan folder nor an export", async () => {
    const result = await plan("--stack", "prod", "--out", join(dir, "x"), "--previous", ROOT);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /has no resources\.json: give a previous plan's output folder or a `pulumi stack export` file/);
  });
});
