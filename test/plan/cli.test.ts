import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../helpers";
import { plan, planProcess } from "./command-run";
import { SECRET, secretPlaceholder } from "../../plan/engine";
import { SECRET_KEYS } from "../../src/config/secrets";
import { TYPE } from "../../src/type-tokens";

/** Runs `fn` with a fresh folder for the plan's output, removed afterwards even when the test fails. */
async function withOutDir(name: string, fn: (out: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "plan-"));
  try {
    await fn(join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm run plan", () => {
  for (const stack of ["prod", "home"]) {
    it(`writes every output file for the ${stack} example`, () => withOutDir(stack, async (out) => {
      const result = await plan("--stack", stack, "--out", out);
      assert.equal(result.status, 0, result.stderr);
      for (const file of ["resources.json", "manifests.yaml", "charts.yaml", "outputs.json", "site.svg"]) {
        assert.ok(existsSync(join(out, file)), `${file} missing`);
      }
      const resources = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as { type: string }[];
      assert.ok(resources.some((r) => r.type === TYPE.site));
      for (const doc of parseAllDocuments(readFileSync(join(out, "manifests.yaml"), "utf8"))) {
        assert.deepEqual(doc.errors, []);
      }
      assert.match(result.stdout, new RegExp(`^stack ${stack}: \\d+ resources`, "m"));
      assert.match(result.stdout, /^nodes: 5|^nodes: 3/m);
    }));
  }

  it("never writes a secret value, only placeholders' markers", () => withOutDir("prod", async (out) => {
    assert.equal((await plan("--stack", "prod", "--out", out)).status, 0);
    const text = readFileSync(join(out, "resources.json"), "utf8");
    assert.ok(text.includes(`"token": "${SECRET}"`));
    for (const key of SECRET_KEYS) assert.ok(!text.includes(secretPlaceholder(key)), `${key}'s placeholder leaked into resources.json`);
  }));

  it("refuses an invalid stack file with its problems, no stack trace and no files, and exits 1", () => withOutDir("invalid", async (out) => {
    const result = planProcess(["--stack-file", join(ROOT, "test/fixtures/Pulumi.invalid.yaml"), "--out", out]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      [
        "4 problems in stack invalid:",
        '  - site.networkZone "us-east" does not contain site.location "fsn1", which is in "eu-central": set site.networkZone to eu-central, or leave it unset',
        "  - site.operatorCidrs[0] 0.0.0.0/0 opens SSH and the Kubernetes API to the whole internet: list your own addresses (e.g. 203.0.113.7/32), or set site.allowWorld: true if you really mean it",
        "  - site.pools has 2 nodes with role server: etcd needs an odd number to keep a quorum; use 1 or 3",
        "  - k3s.serviceCidr 10.42.0.0/16 overlaps k3s.clusterCidr 10.42.0.0/16: choose disjoint ranges, e.g. 10.43.0.0/16",
        "",
      ].join("\n"),
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, "stack trace printed");
    assert.equal(existsSync(out), false);
  }));

  it("explains its usage when neither --stack nor --stack-file is given, and exits 2", () => {
    const result = planProcess([]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /give exactly one of --stack and --stack-file/);
  });

  it("says that --stack takes a name when it is given a file, with the --stack-file to use instead", async () => {
    for (const given of ["stacks/Pulumi.site.yaml", "Pulumi.site.yaml"]) {
      const result = await plan("--stack", given);
      assert.equal(result.status, 2);
      assert.equal(
        result.stderr,
        `--stack ${given}: --stack takes a stack's name and reads Pulumi.<name>.yaml beside Pulumi.yaml, not a path.\nFix: --stack-file ${given}\n`,
      );
    }
  });

  it("prints its usage and options with --help, and exits 0", () => {
    const result = planProcess(["--help"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^usage: npm run plan -- \(--stack <name> \| --stack-file <path>\)/);
    for (const option of ["--stack", "--stack-file", "--out", "--previous", "--previous-outputs", "--fail", "--continue-on-error", "--chart-diff"]) {
      assert.match(result.stdout, new RegExp(`^  ${option} `, "m"), `${option} is not explained`);
    }
  });

  it("ends quietly, exit 0, when its reader stops reading (npm run plan -- --help | head)", async () => {
    // With the loader npm run plan uses (test/plan/register.test.ts holds package.json to it); under tsx the write
    // error does not surface.
    const child = spawn(process.execPath, ["--require", "./plan/register.js", "plan/cli.ts", "--help"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy(); // the reader is gone before the first line
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(stderr, "");
    assert.equal(status, 0);
  });
});

