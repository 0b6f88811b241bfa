import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PassThrough } from "node:stream";
import type { Flags } from "../../../plan/init/flags";
import { flagsFromPrompts } from "../../../plan/init/prompts";
import { DEFAULT_STACKS } from "../../../plan/init/scaffold";
import { ROOT } from "../../helpers";
import { planOf } from "../run";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1Rh0sK8m3xq0pYb7vYk5Vq2gS0fN8cQe4tTnYc0kLm me@laptop";

/** A fresh HOME (with ~/.ssh when `keys` are given) and a folder for stack files, removed afterwards. */
async function withHome(keys: Record<string, string>, fn: (home: string) => Promise<void> | void): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "init-"));
  try {
    if (Object.keys(keys).length > 0) mkdirSync(join(home, ".ssh"));
    for (const [name, text] of Object.entries(keys)) writeFileSync(join(home, ".ssh", name), text);
    await fn(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function init(home: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--require", join(ROOT, "plan/register.js"), join(ROOT, "plan/init/cli.ts"), ...args], {
    cwd: ROOT,
    // A HOME of its own for the key files; the compile cache stays where it was, so each run does not rebuild it.
    env: { ...process.env, HOME: home, INIT_CWD: home, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache") },
    encoding: "utf8",
    input: "",
    timeout: 60_000,
  });
}

describe("npm run init", () => {
  it("writes a Hetzner stack file outside the clone that plans, with Pulumi.yaml beside it and the secret commands", () =>
    withHome({ "id_ecdsa.pub": `${KEY}\n`, id_ecdsa: "not read" }, async (home) => {
      const result = init(home, "--kind", "hetzner", "--stack", "cloud", "--operator-cidr", "203.0.113.7", "--servers", "1", "--agents", "0", "--dir", "sites");
      assert.equal(result.status, 0, result.stderr);
      const dir = join(home, "sites");
      const file = join(dir, "Pulumi.cloud.yaml");
      assert.ok(readFileSync(file, "utf8").includes(`sshPublicKey: ${KEY}`), "the first default key found, id_ecdsa.pub");
      assert.equal(readFileSync(join(dir, "Pulumi.yaml"), "utf8"), readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
      assert.ok(
        result.stdout.includes(`pulumi config set --secret --stack cloud --config-file ${file} k3s-sites:sshPrivateKey < ~/.ssh/id_ecdsa`),
        result.stdout,
      );
      assert.ok(result.stdout.includes(`--config-file ${file} hcloud:token`), result.stdout);
      assert.ok(result.stdout.includes(`npm run plan -- --stack-file ${file}`), result.stdout);
      const run = await planOf("cloud", dir);
      assert.deepEqual((run.outputs.nodes as { name: string }[]).map((n) => n.name), ["control-1"]);
    }));

  it("writes a home stack file from --host flags that plans", () =>
    withHome({}, async (home) => {
      const result = init(
        home, "--kind", "ssh", "--stack", "garage", "--dir", ".",
        "--host", "name=nuc,address=192.168.1.10,user=admin",
        "--host", "name=pi,address=192.168.1.21,user=pi,arch=arm64",
        "--jump-host", "admin@nuc.lan",
      );
      assert.equal(result.status, 0, result.stderr);
      assert.ok(result.stdout.includes("k3s-sites:sshPrivateKey < ~/.ssh/id_ed25519"), result.stdout);
      assert.doesNotMatch(result.stdout, /hcloud:token/);
      const run = await planOf("garage", home);
      assert.deepEqual((run.outputs.nodes as { name: string; role: string }[]).map((n) => `${n.name} ${n.role}`), ["nuc server", "pi agent"]);
    }));

  it("refuses a public-key path that does not exist, naming it, and writes nothing", () =>
    withHome({}, (home) => {
      const result = init(home, "--kind", "hetzner", "--operator-cidr", "203.0.113.7", "--ssh-public-key", "~/.ssh/missing.pub", "--dir", ".");
      assert.equal(result.status, 2);
      assert.equal(result.stderr, `--ssh-public-key ~/.ssh/missing.pub: ${join(home, ".ssh/missing.pub")} does not exist: give the path of your .pub file\n`);
      assert.equal(existsSync(join(home, "Pulumi.cloud.yaml")), false);
    }));

  it("refuses a key file whose key lacks its type, naming the path", () =>
    withHome({ "k.pub": `${KEY.split(" ").slice(1).join(" ")}\n` }, (home) => {
      const result = init(home, "--kind", "hetzner", "--operator-cidr", "203.0.113.7", "--ssh-public-key", ".ssh/k.pub", "--dir", ".");
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^--ssh-public-key \.ssh\/k\.pub holds "AAAAC3NzaC1lZDI1\.\.\.", which lacks its key type/);
    }));

  it("asks for the operator's address when a Hetzner site has none, and for --kind outside a terminal", () =>
    withHome({ "id_ed25519.pub": KEY }, (home) => {
      const noCidr = init(home, "--kind", "hetzner", "--dir", ".");
      assert.equal(noCidr.status, 2);
      assert.match(noCidr.stderr, /^give --operator-cidr <your public address>/);
      const noKind = init(home);
      assert.equal(noKind.status, 2);
      assert.equal(noKind.stderr, "give --kind hetzner or --kind ssh, or run npm run init in a terminal to be asked\n");
    }));

  it("names a new stack so that it does not collide with an example stack of the clone", () => {
    const examples = spawnSync("git", ["ls-files", "Pulumi.*.yaml"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    assert.ok(examples.includes("Pulumi.prod.yaml"), examples.join(", "));
    for (const stack of Object.values(DEFAULT_STACKS)) assert.ok(!examples.includes(`Pulumi.${stack}.yaml`), stack);
  });

  it("does not replace a stack file without --force", () =>
    withHome({ "id_ed25519.pub": KEY }, (home) => {
      writeFileSync(join(home, "Pulumi.cloud.yaml"), "config: {}\n");
      const result = init(home, "--kind", "hetzner", "--operator-cidr", "203.0.113.7", "--dir", ".");
      assert.equal(result.status, 2);
      assert.equal(result.stderr, `${join(home, "Pulumi.cloud.yaml")} exists: choose another --stack, or give --force to replace it\n`);
      assert.equal(readFileSync(join(home, "Pulumi.cloud.yaml"), "utf8"), "config: {}\n");
    }));

  it("refuses a stack name that is not a plain name, and writes nothing", () =>
    withHome({ "id_ed25519.pub": KEY }, (home) => {
      const result = init(home, "--kind", "hetzner", "--operator-cidr", "203.0.113.7", "--stack", "../up", "--dir", "sites");
      assert.equal(result.status, 2);
      assert.equal(result.stderr, 'stack name "../up": use lowercase letters, digits and dashes, e.g. cloud or home-lab\n');
      assert.equal(existsSync(join(home, "sites")), false);
    }));

  it("prints its usage with --help", () =>
    withHome({}, (home) => {
      const result = init(home, "--help");
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^usage: npm run init -- --kind hetzner/);
    }));
});

describe("npm run init in a terminal", () => {
  /** Answers the questions with `lines`; returns the flags they stand for and what was shown. */
  async function answer(home: string, lines: string[]): Promise<{ flags: Flags; shown: string }> {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = "";
    output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    input.end(`${lines.join("\n")}\n`);
    const flags = await flagsFromPrompts({}, home, input, output);
    return { flags, shown };
  }

  it("asks for a Hetzner site, asking again after an answer it refuses", () =>
    withHome({}, async (home) => {
      writeFileSync(join(home, "k.pub"), `${KEY}\n`);
      const { flags, shown } = await answer(home, ["", "cloud", "nbg1", "1", "cx23", "cpx32", "0", "my laptop", "203.0.113.7", "nokey.pub", "k.pub"]);
      assert.deepEqual(flags, {
        kind: "hetzner",
        stack: "cloud",
        location: "nbg1",
        servers: "1",
        "server-type": "cpx32",
        agents: "0",
        "operator-cidr": ["203.0.113.7"],
        "ssh-public-key": "k.pub",
      });
      assert.match(shown, /server type cx23 cannot be ordered today \(not-orderable\): use cpx22/);
      assert.match(shown, /operator address "my laptop" is neither an IP address nor a CIDR/);
      assert.match(shown, /--ssh-public-key nokey.pub: .*nokey.pub does not exist/);
    }));

  it("asks for each host of a home site until an empty name, and a jump host", () =>
    withHome({}, async (home) => {
      const { flags } = await answer(home, [
        "ssh", "", "nuc", "192.168.1.10", "admin", "", "", "pi", "192.168.1.21", "pi", "", "arm64", "", "admin@nuc.lan", "",
      ]);
      assert.deepEqual(flags, {
        kind: "ssh",
        stack: "homelab",
        host: ["name=nuc,address=192.168.1.10,user=admin,role=server,arch=amd64", "name=pi,address=192.168.1.21,user=pi,role=agent,arch=arm64"],
        "jump-host": "admin@nuc.lan",
      });
    }));

  it("stops without writing when the input ends before the answers do", () =>
    withHome({}, async (home) => {
      await assert.rejects(answer(home, ["hetzner"]), /no answer \(input ended\): nothing written/);
    }));
});
