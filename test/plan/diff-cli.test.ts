import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { ROOT } from "../helpers";

function plan(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "plan/cli.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("npm run plan -- --previous", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "plan-previous-"));
    const result = plan("--stack", "prod", "--out", join(dir, "base"));
    assert.equal(result.status, 0, result.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes each secret input's digest beside its marker, never the value", () => {
    const resources = JSON.parse(readFileSync(join(dir, "base", "resources.json"), "utf8")) as {
      name: string;
      inputs: Record<string, unknown>;
      secretDigests?: Record<string, string>;
    }[];
    const token = resources.find((r) => r.name === "site-hetzner-provider")!;
    assert.equal(token.inputs.token, "[secret]");
    assert.match(token.secretDigests!.token!, /^sha256:[0-9a-f]{16}$/);
    assert.ok(!readFileSync(join(dir, "base", "resources.json"), "utf8").includes("<secret:"));
  });

  it("prints what a changed stack file would do to the previous plan's resources", () => {
    const config = (parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, any> }).config;
    config["k3s-sites:site"].operatorCidrs.push("198.51.100.77/32");
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.prod.yaml"), stringify({ config }));
    const result = plan("--stack-file", join(dir, "Pulumi.prod.yaml"), "--out", join(dir, "next"), "--previous", join(dir, "base"));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^preview of stack prod against .* \(a previous plan\):$/m);
    assert.match(result.stdout, /^~  update  k3s-sites:site:Site\$k3s-sites:hetzner:HetznerInfra\$hcloud:index\/firewall:Firewall::site-hetzner-firewall$/m);
    assert.match(result.stdout, /^resources: 1 to update, \d+ to leave alone$/m);
  });

  it("fails as `pulumi preview` does when a protected resource would be deleted", () => {
    const resources = JSON.parse(readFileSync(join(dir, "base", "resources.json"), "utf8")) as Record<string, unknown>[];
    const gone = "hcloud:index/volume:Volume::data";
    resources.push({ urn: gone, type: "hcloud:index/volume:Volume", name: "data", custom: true, dependsOn: [], protect: true, inputs: {} });
    writeFileSync(join(dir, "base", "resources.json"), JSON.stringify(resources));
    const result = plan("--stack", "prod", "--out", join(dir, "again"), "--previous", join(dir, "base"));
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^-  delete  hcloud:index\/volume:Volume::data$/m);
    assert.match(result.stdout, /^error: resource "urn:pulumi:prod::k3s-sites::hcloud:index\/volume:Volume::data" cannot be deleted$/m);
    // A refused plan writes nothing.
    assert.equal(existsSync(join(dir, "again")), false, "the refused plan wrote its output folder");
  });

  it("says what is wrong with a --previous that is neither a plan folder nor an export", () => {
    const result = plan("--stack", "prod", "--out", join(dir, "x"), "--previous", ROOT);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /has no resources\.json: give a previous plan's output folder or a `pulumi stack export` file/);
  });
});
