import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { firstServerOf, renderNodeConfig, type NodeDeployment } from "../../src/k3s/config";
import { installerUrl, nodeScript, nodeStdin, remoteCommand } from "../../src/k3s/script";
import type { SiteConfig } from "../../src/config/site";
import { exampleSections, hetznerSections, parse1 } from "../helpers";
import { shellcheck, shellcheckVersion } from "../support/shellcheck";
import { makeSandbox } from "./sandbox";

const GOLDEN = join(__dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function deploymentOf(config: SiteConfig, name: string, tlsSans: string[] = []): NodeDeployment {
  const node = config.nodes.find((n) => n.name === name);
  assert.ok(node, `no node ${name}`);
  return { node, firstServer: firstServerOf(config), tlsSans };
}

/** Compares with the golden file; UPDATE_GOLDEN=1 rewrites it (then read the diff). */
function assertGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
  }
  assert.equal(actual, readFileSync(path, "utf8"), `${file} differs from its golden file (UPDATE_GOLDEN=1 npm test rewrites it)`);
}

const prod = parse1(exampleSections("prod"));
const home = parse1(exampleSections("home"));
/** First server, joining server and agent on both example sites; public addresses as the offline engine has them. */
const CASES: [string, SiteConfig, string, string[]][] = [
  ["prod", prod, "control-1", ["198.51.100.130", "2001:db8:a1c21::1"]],
  ["prod", prod, "control-2", ["198.51.100.13", "2001:db8:507e8::1"]],
  ["prod", prod, "worker-1", []],
  ["home", home, "nuc", []],
  ["home", home, "pi-1", []],
];

describe("k3s node files", () => {
  for (const [site, config, name, sans] of CASES) {
    it(`match the golden config.yaml and script of ${site} ${name}`, () => {
      const d = deploymentOf(config, name, sans);
      assertGolden(`${site}-${name}.config.yaml`, renderNodeConfig(config, d));
      assertGolden(`${site}-${name}.sh`, nodeScript(config, d));
    });
  }

  it("are shellcheck-clean, the script and the command that carries it", async () => {
    const files: Record<string, string> = {};
    const s3 = hetznerSections();
    s3.k3s.etcdSnapshots = { s3: { bucket: "snaps" } };
    s3.site.publicIpv4 = false;
    s3.site.network = { natGateway: "10.0.0.2" };
    const variants: [string, SiteConfig, string][] = [
      ...CASES.map(([site, config, name]): [string, SiteConfig, string] => [site, config, name]),
      ["s3", parse1(s3), "control-1"],
      ["s3", parse1(s3), "worker-1"],
    ];
    for (const [site, config, name] of variants) {
      const script = nodeScript(config, deploymentOf(config, name));
      files[`${site}-${name}.sh`] = script;
      files[`${site}-${name}.remote.sh`] = `#!/bin/sh\n${remoteCommand(script, "admin")}`;
    }
    assert.deepEqual(await shellcheck(files), []);
  });

  it("lints with a shellcheck that reports what the CLI reports", async () => {
    // The lint above is only worth something if the checker finds things: SC2086 is the classic unquoted expansion.
    assert.match(await shellcheckVersion(), /ShellCheck 0\.11\.0/);
    assert.deepEqual(await shellcheck({ "x.sh": "#!/bin/bash\necho $X\n" }), [
      "x.sh:2:6: info: Double quote to prevent globbing and word splitting. [SC2086]",
    ]);
  });

  it("pins the installer to the release's tag and the exact version", () => {
    assert.equal(installerUrl("v1.33.5+k3s1"), "https://raw.githubusercontent.com/k3s-io/k3s/v1.33.5%2Bk3s1/install.sh");
    const script = nodeScript(prod, deploymentOf(prod, "control-1"));
    assert.match(script, /^K3S_VERSION='v1\.33\.5\+k3s1'$/m);
    assert.match(script, /INSTALL_K3S_VERSION="\$K3S_VERSION"/);
  });

  it("carries the script to the node untouched, through sudo for users other than root", () => {
    const script = nodeScript(home, deploymentOf(home, "pi-1"));
    const asPi = remoteCommand(script, "pi");
    assert.ok(asPi.startsWith(`sudo -n bash -c "$(cat <<'K3S_SITES_SCRIPT'\n${script}`));
    assert.ok(remoteCommand(script, "root").startsWith("bash -c "));
    // The login shell runs the command; bash must receive the script byte for byte, whatever it contains.
    const tricky = `printf '%s' "$BASH_EXECUTION_STRING"\n# $HOME "double" 'single' \\ $(false) \`false\` K3S_SITES_EOF`;
    const echoed = spawnSync("sh", ["-c", remoteCommand(tricky, "root")], { encoding: "utf8" });
    assert.equal(echoed.status, 0, echoed.stderr);
    assert.equal(echoed.stdout, tricky);
  });

  it("refuses a secret with a line break, which would shift every later stdin line", () => {
    assert.throws(() => nodeStdin({ token: "a\nb" }), /line break/);
    assert.equal(nodeStdin({ token: "t", etcdS3: { accessKey: "a", secretKey: "s" } }), "t\na\ns\n");
  });
});

describe("k3s node script in a sandbox", () => {
  const READ_ONLY = /^(systemctl is-active|k3s kubectl --kubeconfig \S+ get (--raw=\/readyz|nodes))/;

  for (const [site, config, name] of CASES) {
    it(`installs ${site} ${name} once, and a second run changes nothing`, () => {
      const box = makeSandbox();
      const script = nodeScript(config, deploymentOf(config, name));
      const first = box.run(script, "the-token\n");
      assert.equal(first.status, 0, first.stderr);
      const role = config.nodes.find((n) => n.name === name)!.role;
      const service = role === "server" ? "k3s" : "k3s-agent";
      assert.ok(first.calls.includes(`installer version=${config.k3s.version} exec=${role} skip_start=true`), first.calls.join("\n"));
      assert.ok(first.calls.includes(`systemctl restart ${service}`));
      assert.ok(first.calls.some((c) => c.startsWith("sysctl -q -p")), "sysctls applied before k3s starts");
      assert.ok(
        first.calls.findIndex((c) => c.startsWith("sysctl")) < first.calls.findIndex((c) => c.startsWith("installer")),
      );
      assert.equal(box.read("/etc/rancher/k3s/config.yaml"), renderNodeConfig(config, deploymentOf(config, name)));
      assert.equal(box.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"), "token: the-token\n");
      assert.ok(!`${first.stdout}${first.stderr}`.includes("the-token"), "the token is never printed");
      const after = box.snapshot();
      assert.match(after["/etc/rancher/k3s/config.yaml"]!, /^600 /);
      assert.match(after["/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"]!, /^600 /);

      const second = box.run(script, "the-token\n");
      assert.equal(second.status, 0, second.stderr);
      assert.deepEqual(second.calls.filter((c) => !READ_ONLY.test(c)), [], "the second run only reads");
      assert.deepEqual(box.snapshot(), after, "the second run writes nothing");
    });
  }

  it("restarts on a config change without reinstalling, and reinstalls on a version bump", () => {
    const box = makeSandbox();
    const d = deploymentOf(prod, "control-2");
    assert.equal(box.run(nodeScript(prod, d), "t\n").status, 0);

    const raw = exampleSections("prod");
    raw.k3s.etcdSnapshots = { retention: 9 };
    const changed = parse1(raw);
    const run = box.run(nodeScript(changed, deploymentOf(changed, "control-2")), "t\n");
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.includes("systemctl restart k3s"));
    assert.ok(!run.calls.some((c) => c.startsWith("installer")), "no reinstall for a config change");

    raw.k3s.version = "v1.34.1+k3s1";
    const bumped = parse1(raw);
    const upgrade = box.run(nodeScript(bumped, deploymentOf(bumped, "control-2")), "t\n");
    assert.equal(upgrade.status, 0, upgrade.stderr);
    assert.ok(upgrade.calls.some((c) => c.startsWith("installer version=v1.34.1+k3s1")), upgrade.calls.join("\n"));
    assert.ok(upgrade.calls.includes("systemctl restart k3s"));
  });

  it("upgrades an agent only once every server runs the new version", () => {
    const box = makeSandbox();
    assert.equal(box.run(nodeScript(prod, deploymentOf(prod, "worker-1")), "t\n").status, 0);
    const raw = exampleSections("prod");
    raw.k3s.version = "v1.34.1+k3s1";
    const bumped = parse1(raw);
    const run = box.run(nodeScript(bumped, deploymentOf(bumped, "worker-1")), "t\n", {
      STUB_SERVER_VERSIONS: "v1.34.1+k3s1 v1.34.1+k3s1 v1.34.1+k3s1",
    });
    assert.equal(run.status, 0, run.stderr);
    const asked = run.calls.findIndex((c) => /get nodes -l node-role.kubernetes.io\/control-plane=true/.test(c));
    const installed = run.calls.findIndex((c) => c.startsWith("installer"));
    assert.ok(asked >= 0 && installed > asked, run.calls.join("\n"));
  });

  it("persists a default route through the network gateway when nodes have no public IPv4", () => {
    const raw = hetznerSections();
    raw.site.publicIpv4 = false;
    raw.site.network = { natGateway: "10.0.0.2" };
    const config = parse1(raw);
    const box = makeSandbox();
    const run = box.run(nodeScript(config, deploymentOf(config, "worker-1")), "t\n");
    assert.equal(run.status, 0, run.stderr);
    assert.match(box.read("/etc/systemd/system/k3s-sites-default-route.service"), /^ExecStart=\/usr\/sbin\/ip route replace default via 10\.0\.0\.1$/m);
    assert.ok(run.calls.includes("systemctl enable k3s-sites-default-route.service"));
    assert.ok(!nodeScript(prod, deploymentOf(prod, "worker-1")).includes("default-route"), "not with public IPv4");
  });

  it("writes the S3 keys into the secrets drop-in only, quoted for YAML", () => {
    const raw = hetznerSections();
    raw.k3s.etcdSnapshots = { s3: { bucket: "snaps" } };
    const config = parse1(raw);
    const box = makeSandbox();
    const run = box.run(nodeScript(config, deploymentOf(config, "control-1")), nodeStdin({ token: "t", etcdS3: { accessKey: "AK", secretKey: "it's/+x" } }));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      box.read("/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml"),
      "token: t\netcd-s3-access-key: 'AK'\netcd-s3-secret-key: 'it''s/+x'\n",
    );
    assert.ok(!box.read("/etc/rancher/k3s/config.yaml").includes("AK"));
  });

  it("fails with a message when stdin carries no token", () => {
    const box = makeSandbox();
    const run = box.run(nodeScript(prod, deploymentOf(prod, "worker-1")), "");
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /no cluster token on stdin/);
    assert.deepEqual(run.calls, []);
  });
});
