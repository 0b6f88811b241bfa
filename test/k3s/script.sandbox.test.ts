import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import { renderNodeConfig, type NodeDeployment } from "../../src/k3s/config";
import { caHashFrom, kubeconfigDigestFrom, nodeScript, nodeStdin, remoteCommand, renewScript } from "../../src/k3s/script";
import type { SiteConfig } from "../../src/config/site";
import { serverSecretFilesOf } from "../../src/concerns/registry";
import { SERVER_SECRETS_DIR } from "../../src/k3s/secret-files";
import { exampleSections, hetznerSections, parse1, sshSections } from "../helpers";
import { makeSandbox } from "./sandbox";

const CA = "ab".repeat(32);
const prod = parse1(exampleSections("prod"));
const home = parse1(exampleSections("home"));
/** A k3s release one minor below the examples' (k3s-io/docs, release-notes/v1.35.X.md), to upgrade from. */
const PREVIOUS_MINOR = "v1.35.9+k3s1";

function deploymentOf(config: SiteConfig, name: string, extra: Partial<NodeDeployment> = { caHash: CA }): NodeDeployment {
  const node = config.nodes.find((n) => n.name === name);
  assert.ok(node, `no node ${name}`);
  return { node, ...firstDeploymentJoin(config, node), ...extra };
}

function scriptOf(config: SiteConfig, name: string, extra?: Partial<NodeDeployment>): string {
  return nodeScript(config, deploymentOf(config, name, extra));
}

/** The same script with one header value changed (to shorten a deadline in a test). */
function withValue(script: string, name: string, value: string): string {
  const changed = script.replace(new RegExp(`^${name}='[^']*'$`, "m"), `${name}='${value}'`);
  assert.notEqual(changed, script, `no ${name} in the header`);
  return changed;
}

function stdinOf(config: SiteConfig, name: string): string {
  const server = config.nodes.find((n) => n.name === name)!.role === "server";
  const files = serverSecretFilesOf(config).map((f) => `the-${f.secret}`);
  return server ? nodeStdin({ token: "the-token", agentToken: "the-agent-token", files }) : nodeStdin({ token: "the-agent-token" });
}

/** Calls that change nothing: what a second run may still make. */
const READ_ONLY = /^(systemctl is-(active|failed)|ip -o addr show|k3s kubectl --kubeconfig \S+ get --raw=\/readyz)/;

const CASES: [string, SiteConfig, string][] = [
  ["prod", prod, "control-1"],
  ["prod", prod, "control-2"],
  ["prod", prod, "worker-1"],
  ["home", home, "nuc"],
  ["home", home, "pi-1"],
];

describe("k3s node script in a sandbox", () => {
  for (const [site, config, name] of CASES) {
    it(`installs ${site} ${name} once, and a second run changes nothing`, () => {
      const box = makeSandbox();
      const script = scriptOf(config, name);
      const first = box.run(script, stdinOf(config, name));
      assert.equal(first.status, 0, first.stderr);
      const role = config.nodes.find((n) => n.name === name)!.role;
      const service = role === "server" ? "k3s" : "k3s-agent";
      assert.ok(first.calls.includes(`installer version=${config.k3s.version} exec=${role} skip_start=true`), first.calls.join("\n"));
      assert.ok(first.calls.includes(`systemctl restart --no-block ${service}`), first.calls.join("\n"));
      assert.ok(!first.calls.includes(`systemctl restart ${service}`), "a blocking restart waits for ever on Type=notify");
      assert.ok(
        first.calls.findIndex((c) => c.startsWith("sysctl")) < first.calls.findIndex((c) => c.startsWith("installer")),
        "sysctls applied before k3s is installed",
      );
      assert.equal(box.read("/etc/rancher/k3s/config.yaml"), renderNodeConfig(config, deploymentOf(config, name)));
      assert.ok(!`${first.stdout}${first.stderr}`.includes("the-token"), "the token is never printed");
      assert.ok(!`${first.stdout}${first.stderr}`.includes("the-agent-token"), "the agent token is never printed");
      const after = box.snapshot();
      assert.match(after["/etc/rancher/k3s/config.yaml"]!, /^600 /);
      assert.match(after["/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"]!, /^600 /);

      const second = box.run(script, stdinOf(config, name));
      assert.equal(second.status, 0, second.stderr);
      assert.deepEqual(second.calls.filter((c) => !READ_ONLY.test(c)), [], "the second run only reads");
      assert.deepEqual(box.snapshot(), after, "the second run writes nothing");
    });
  }

  it("gives the first server the bare token and the agent token, and prints the cluster CA hash", () => {
    const box = makeSandbox();
    const run = box.run(scriptOf(prod, "control-1"), stdinOf(prod, "control-1"));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      box.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"),
      "token: 'the-token'\nagent-token: 'the-agent-token'\n",
    );
    const digest = createHash("sha256").update("apiVersion: v1\n").digest("hex");
    assert.equal(run.stdout, `ca-hash=${CA}\nkubeconfig-sha256=${digest}\n`);
    assert.equal(caHashFrom(run.stdout), CA);
    assert.equal(kubeconfigDigestFrom(run.stdout), digest);
    assert.equal(caHashFrom("ca-hash=abc\n"), undefined, "only a full sha256");
  });

  it("joins servers and agents with the full token that pins the cluster CA, agents with the agent token", () => {
    const server = makeSandbox();
    assert.equal(server.run(scriptOf(prod, "control-2"), stdinOf(prod, "control-2")).status, 0);
    assert.equal(
      server.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"),
      `token: 'K10${CA}::server:the-token'\nagent-token: 'the-agent-token'\n`,
    );
    const agent = makeSandbox();
    assert.equal(agent.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1")).status, 0);
    assert.equal(agent.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"), `token: 'K10${CA}::node:the-agent-token'\n`);
    // Before the first server has reported its CA (a preview of the first deployment), the bare token.
    const early = makeSandbox();
    assert.equal(early.run(scriptOf(prod, "worker-1", {}), stdinOf(prod, "worker-1")).status, 0);
    assert.equal(early.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"), "token: 'the-agent-token'\n");
    assert.throws(() => scriptOf(prod, "worker-1", { caHash: "nothex" }), /is not 64 hex digits/);
  });

  it("restarts on a config change without reinstalling, and reinstalls on a version bump", () => {
    const box = makeSandbox();
    // Installed one minor below the example's version, which the bump below moves it to.
    const raw = exampleSections("prod");
    raw.k3s.version = PREVIOUS_MINOR;
    assert.equal(box.run(scriptOf(parse1(raw), "control-2"), stdinOf(prod, "control-2")).status, 0);
    raw.k3s.etcdSnapshots = { retention: 9 };
    const changed = parse1(raw);
    const run = box.run(scriptOf(changed, "control-2"), stdinOf(prod, "control-2"));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.includes("systemctl restart --no-block k3s"));
    assert.ok(!run.calls.some((c) => c.startsWith("installer")), "no reinstall for a config change");

    raw.k3s.version = prod.k3s.version;
    const bumped = parse1(raw);
    const upgrade = box.run(scriptOf(bumped, "control-2"), stdinOf(prod, "control-2"));
    assert.equal(upgrade.status, 0, upgrade.stderr);
    assert.ok(upgrade.calls.some((c) => c.startsWith(`installer version=${prod.k3s.version}`)), upgrade.calls.join("\n"));
    assert.ok(upgrade.calls.includes("systemctl restart --no-block k3s"));
  });

  it("renews a converged node's certificates: a server rotates them with k3s stopped, an agent restarts", () => {
    const expires = "2027-01-10T00:00:00.000Z";
    const cases = [
      ["control-1", ["systemctl stop k3s", "k3s certificate rotate", "systemctl restart --no-block k3s"], /rotating the certificates of k3s/],
      ["worker-1", ["systemctl restart --no-block k3s-agent"], /restarting k3s-agent to renew its certificates/],
    ] as const;
    for (const [name, calls, message] of cases) {
      const box = makeSandbox();
      assert.equal(box.run(scriptOf(prod, name), stdinOf(prod, name)).status, 0);
      const before = box.snapshot();
      const renew = box.run(renewScript(prod, deploymentOf(prod, name), expires), stdinOf(prod, name));
      assert.equal(renew.status, 0, renew.stderr);
      assert.deepEqual(renew.calls.filter((c) => !READ_ONLY.test(c)), calls);
      assert.match(renew.stderr, message);
      assert.match(renew.stderr, new RegExp(`\\(the admin client certificate expires at ${expires}\\)`));
      assert.deepEqual(box.snapshot(), before, "a renewal writes nothing of its own");
      if (name === "control-1") assert.ok(kubeconfigDigestFrom(renew.stdout), "the server reports its kubeconfig's digest");
    }
  });

  it("upgrades an agent without asking the API for nodes, which the Node authorizer refuses its kubelet", () => {
    const box = makeSandbox();
    const raw = exampleSections("prod");
    raw.k3s.version = PREVIOUS_MINOR;
    assert.equal(box.run(scriptOf(parse1(raw), "worker-1"), stdinOf(prod, "worker-1")).status, 0);
    const run = box.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1"));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.some((c) => c.startsWith(`installer version=${prod.k3s.version}`)));
    assert.deepEqual(run.calls.filter((c) => / get nodes/.test(c)), []);
  });

  it("repairs a half-done install: the right binary without its unit is installed again", () => {
    const box = makeSandbox();
    assert.equal(box.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1")).status, 0);
    rmSync(join(box.root, "etc/systemd/system/k3s-agent.service"));
    const run = box.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1"));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.includes(`installer version=${prod.k3s.version} exec=agent skip_start=true`), run.calls.join("\n"));
    assert.match(run.stderr, /unit: missing/);
    assert.ok(run.calls.includes("systemctl restart --no-block k3s-agent"));
  });

  it("fails, naming the node, the wait and journalctl, when k3s does not become ready in time", () => {
    const box = makeSandbox();
    const run = box.run(withValue(scriptOf(prod, "worker-1"), "API_TIMEOUT", "1"), stdinOf(prod, "worker-1"), {
      STUB_NEVER_ACTIVE: "1",
    });
    assert.notEqual(run.status, 0);
    assert.match(
      run.stderr,
      /k3s-sites worker-1: k3s-agent on worker-1 was not ready within 1s \(waited for the unit to be active and the Kubernetes API to answer \/readyz\); see journalctl -u k3s-agent on worker-1/,
    );
    const failed = box.run(scriptOf(prod, "control-2"), stdinOf(prod, "control-2"), { STUB_NEVER_ACTIVE: "1", STUB_UNIT_FAILS: "1" });
    assert.match(failed.stderr, /k3s failed to start on control-2; see journalctl -u k3s on control-2/);
  });

  it("persists a default route through the network gateway when nodes have no public IPv4", () => {
    const raw = hetznerSections();
    raw.site.publicIpv4 = false;
    raw.site.network = { natGateway: "10.0.0.2" };
    const config = parse1(raw);
    const box = makeSandbox();
    const run = box.run(scriptOf(config, "worker-1"), stdinOf(config, "worker-1"));
    assert.equal(run.status, 0, run.stderr);
    assert.match(box.read("/etc/systemd/system/k3s-sites-default-route.service"), /^ExecStart=\/usr\/sbin\/ip route replace default via 10\.0\.0\.1$/m);
    assert.ok(run.calls.includes("systemctl enable k3s-sites-default-route.service"));
    const public4 = makeSandbox();
    assert.equal(public4.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1")).status, 0);
    assert.ok(!("/etc/systemd/system/k3s-sites-default-route.service" in public4.snapshot()), "not with public IPv4");
  });

  it("writes the S3 keys into the secrets drop-in only, quoted for YAML", () => {
    const raw = hetznerSections();
    raw.k3s.etcdSnapshots = { s3: { bucket: "snaps" } };
    const config = parse1(raw);
    const box = makeSandbox();
    const files = serverSecretFilesOf(config).map(() => "hc");
    const stdin = nodeStdin({ token: "t", agentToken: "a", etcdS3: { accessKey: "AK", secretKey: "it's/+x" }, files });
    const run = box.run(scriptOf(config, "control-1"), stdin);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      box.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"),
      "token: 't'\nagent-token: 'a'\netcd-s3-access-key: 'AK'\netcd-s3-secret-key: 'it''s/+x'\n",
    );
    assert.ok(!box.read("/etc/rancher/k3s/config.yaml").includes("AK"));
  });

  it("keeps the site's secret files on servers only, root's alone, and removes them when the site no longer gives them", () => {
    assert.deepEqual(serverSecretFilesOf(prod), [{ secret: "hcloudToken", path: "hcloud-csi/token" }]);
    const token = `${SERVER_SECRETS_DIR}/hcloud-csi/token`;
    const box = makeSandbox();
    const run = box.run(scriptOf(prod, "control-1"), stdinOf(prod, "control-1"));
    assert.equal(run.status, 0, run.stderr);
    const files = box.snapshot();
    // No line break: the driver reads the file's content as the token.
    assert.equal(files[token], "600 the-hcloudToken");
    assert.equal(statSync(join(box.root, SERVER_SECRETS_DIR)).mode & 0o777, 0o700);
    assert.ok(!box.read("/etc/rancher/k3s/config.yaml").includes("the-hcloudToken"));
    assert.ok(!run.stderr.includes("the-hcloudToken"), "the token is in no log line");

    const agent = makeSandbox();
    assert.equal(agent.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1")).status, 0);
    assert.ok(!Object.keys(agent.snapshot()).some((f) => f.startsWith(SERVER_SECRETS_DIR)), "an agent keeps none");

    // The same server once the site runs k3s's local-path instead: the file and its folder go.
    const raw = exampleSections("prod");
    raw.storage = { ...raw.storage, driver: "local-path" };
    delete raw.storage.hcloudCsi;
    delete raw.storage.volumes;
    const local = parse1(raw);
    assert.deepEqual(serverSecretFilesOf(local), []);
    const again = box.run(scriptOf(local, "control-1"), stdinOf(local, "control-1"));
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(Object.keys(box.snapshot()).filter((f) => f.startsWith(SERVER_SECRETS_DIR)), []);
  });

  it("fails with a message when stdin lacks a secret file's value", () => {
    const box = makeSandbox();
    const run = box.run(scriptOf(prod, "control-1"), nodeStdin({ token: "t", agentToken: "a" }));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /no value for \/etc\/k3s-sites\/secrets\/hcloud-csi\/token on stdin/);
    assert.deepEqual(run.calls, []);
  });

  it("fails with a message when stdin carries no token", () => {
    const box = makeSandbox();
    const run = box.run(scriptOf(prod, "worker-1"), "");
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /no cluster token on stdin/);
    assert.deepEqual(run.calls, []);
    const server = box.run(scriptOf(prod, "control-1"), "t\n");
    assert.match(server.stderr, /no agent token on stdin/);
  });
});

describe("k3s node script pre-flight checks", () => {
  const ssh = parse1(sshSections());
  const failsWith = (script: string, message: RegExp, env: Record<string, string> = {}, prepare?: (root: string) => void) => {
    const box = makeSandbox();
    prepare?.(box.root);
    const run = box.run(script, stdinOf(ssh, "pi"), env);
    assert.notEqual(run.status, 0, "the run succeeded");
    assert.match(run.stderr, message);
    assert.ok(!run.calls.some((c) => c.startsWith("installer") || c.startsWith("systemctl")), "nothing installed or started");
  };
  const pi = scriptOf(ssh, "pi");

  it("refuses a host without systemd", () => {
    failsWith(pi, /systemd is not running as PID 1 on pi/, {}, (root) => rmSync(join(root, "run/systemd"), { recursive: true }));
  });

  it("refuses a host whose architecture is not the configured one", () => {
    failsWith(pi, /pi is amd64 but the config says arm64: set the arch of pi to amd64/, { STUB_MACHINE: "x86_64" });
  });

  it("refuses a host without the memory cgroup, with the Raspberry Pi OS fix (cgroup v2 and v1)", () => {
    const message = /the memory cgroup is disabled on pi: .*cgroup_memory=1 cgroup_enable=memory/;
    failsWith(pi, message, {}, (root) => writeFileSync(join(root, "sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io pids\n"));
    failsWith(pi, message, {}, (root) => {
      rmSync(join(root, "sys/fs/cgroup/cgroup.controllers"));
      mkdirSync(join(root, "proc"), { recursive: true });
      writeFileSync(join(root, "proc/cgroups"), "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\nmemory\t0\t1\t0\n");
    });
    // cgroup v1 with memory enabled passes.
    const box = makeSandbox();
    rmSync(join(box.root, "sys/fs/cgroup/cgroup.controllers"));
    mkdirSync(join(box.root, "proc"), { recursive: true });
    writeFileSync(join(box.root, "proc/cgroups"), "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t90\t1\n");
    assert.equal(box.run(pi, stdinOf(ssh, "pi")).status, 0);
  });

  it("refuses a home host whose privateIp is not one of its addresses, listing the ones it has", () => {
    failsWith(pi, /privateIp 192\.168\.1\.21 is not an address of pi \(it has: 127\.0\.0\.1 192\.168\.1\.99 \): set site\.hosts\[\]\.privateIp of pi/, {
      STUB_ADDRESSES: "127.0.0.1 192.168.1.99",
    });
  });

  it("waits for a Hetzner server's private address, and names the wait when it never comes", () => {
    const script = withValue(scriptOf(prod, "worker-1"), "PRIVATE_IP_WAIT", "1");
    failsWith(script, /the private network address 10\.0\.243\.10 did not appear on worker-1 within 1s/, { STUB_ADDRESSES: "127.0.0.1" });
  });

  it("waits for cloud-init where it exists, and fails with where to look when it failed or hung", () => {
    const box = makeSandbox();
    const ok = box.run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1"), { STUB_CLOUD_INIT: "0" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ok.calls.includes("cloud-init status --wait"));
    assert.ok(ok.calls.indexOf("cloud-init status --wait") < ok.calls.findIndex((c) => c.startsWith("installer")));
    assert.equal(makeSandbox().run(scriptOf(prod, "worker-1"), stdinOf(prod, "worker-1"), { STUB_CLOUD_INIT: "2" }).status, 0, "recoverable errors pass");
    const w1 = scriptOf(prod, "worker-1");
    failsWith(w1, /cloud-init failed on worker-1 \(exit 1\); see cloud-init status --long and \/var\/log\/cloud-init-output\.log on worker-1/, { STUB_CLOUD_INIT: "1" });
    failsWith(w1, /cloud-init did not finish within 600s on worker-1/, { STUB_CLOUD_INIT: "124" });
  });

  it("refuses a user without passwordless sudo before anything runs, with the sudoers line", () => {
    const box = makeSandbox();
    const bin = join(box.root, "..", "bin");
    writeFileSync(join(bin, "sudo"), '#!/bin/sh\necho "sudo $*" >> "$CALLS"\n[ "$1" = -n ] && exit 1\nexit 0\n');
    chmodSync(join(bin, "sudo"), 0o755);
    const command = remoteCommand(pi, "pi", "pi");
    const run = spawnSync("sh", ["-c", command], { input: "t\n", encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: "/dev/null" } });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /k3s-sites: pi cannot run sudo without a password on pi: allow it with a line 'pi ALL=\(ALL\) NOPASSWD: ALL' in \/etc\/sudoers\.d\/k3s-sites/);
  });
});

describe("k3s node script and SSH keys", () => {
  const A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA old";
  const B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB new";
  const OTHER = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 someone-else";
  const siteWith = (key: string) => {
    const raw = hetznerSections();
    raw.site.sshPublicKey = key;
    return parse1(raw);
  };

  it("adds the new site key while the program still connects with the old one, and drops the old one only after", () => {
    const box = makeSandbox();
    mkdirSync(join(box.root, "root/.ssh"), { recursive: true });
    writeFileSync(join(box.root, "root/.ssh/authorized_keys"), `${OTHER}\n`);
    const keys = () => box.read("/root/.ssh/authorized_keys");
    const run = (key: string, connectKey: string) => {
      const config = siteWith(key);
      const result = box.run(scriptOf(config, "worker-1", { caHash: CA, connectKey }), "agent\n");
      assert.equal(result.status, 0, result.stderr);
    };
    run(A, A);
    assert.equal(keys(), `${OTHER}\n${A}\n`);
    // Step 1: the site's key is B, the program still connects with A: both stay.
    run(B, A);
    assert.equal(keys(), `${OTHER}\n${A}\n${B}\n`);
    // Step 2: the program connects with B: A goes; a key k3s-sites never installed stays.
    run(B, B);
    assert.equal(keys(), `${OTHER}\n${B}\n`);
    assert.match(box.snapshot()["/root/.ssh/authorized_keys"]!, /^600 /);
  });

  it("removes no key when the program cannot tell which key it connects with", () => {
    const box = makeSandbox();
    const run = (key: string) => {
      const result = box.run(scriptOf(siteWith(key), "worker-1", { caHash: CA }), "agent\n");
      assert.equal(result.status, 0, result.stderr);
    };
    run(A);
    run(B);
    assert.equal(box.read("/root/.ssh/authorized_keys"), `${A}\n${B}\n`);
  });

  it("leaves a home host's keys alone", () => {
    assert.match(scriptOf(home, "pi-1"), /^SSH_KEYS=''$/m);
  });
});
