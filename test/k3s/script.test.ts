import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import { renderNodeConfig, type NodeDeployment } from "../../src/k3s/config";
import {
  RESTORE_SCRIPT,
  leaveScript,
  drainScript,
  installerUrl,
  NODE_SCRIPT_TEMPLATE,
  nodeScript,
  nodeStdin,
  remoteCommand,
} from "../../src/k3s/script";
import type { SiteConfig } from "../../src/config/site";
import { exampleSections, hetznerSections, parse1 } from "../helpers";
import { shellcheck, shellcheckVersion } from "../support/shellcheck";

const GOLDEN = join(__dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

const CA = "ab".repeat(32);

function deploymentOf(
  config: SiteConfig,
  name: string,
  tlsSans: string[] = [],
  extra: Partial<NodeDeployment> = { caHash: CA },
): NodeDeployment {
  const node = config.nodes.find((n) => n.name === name);
  assert.ok(node, `no node ${name}`);
  return { node, ...firstDeploymentJoin(config, node), tlsSans, ...extra };
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

/**
 * The generated header of a node script: what differs from node to node. The rest is src/k3s/node.sh itself, as
 * the test "generate nothing but quoted assignments" holds, so the golden files keep only this part.
 */
function headerOf(script: string): string {
  const at = NODE_SCRIPT_TEMPLATE.split("\n").indexOf("# @values");
  const next = NODE_SCRIPT_TEMPLATE.split("\n")[at + 1];
  const lines = script.split("\n");
  const end = lines.findIndex((l, i) => i > at && l === next);
  assert.ok(at >= 0 && end > at, "the script has no generated header where node.sh has its # @values line");
  return `${lines.slice(at, end).join("\n")}\n`;
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

/** The cases and two nodes of a Hetzner site with etcd snapshots to S3, no public IPv4 and a NAT gateway. */
const VARIANTS: [string, SiteConfig, string][] = (() => {
  const s3 = hetznerSections();
  s3.k3s.etcdSnapshots = { s3: { bucket: "snaps" } };
  s3.site.publicIpv4 = false;
  s3.site.network = { natGateway: "10.0.0.2" };
  return [
    ...CASES.map(([site, config, name]): [string, SiteConfig, string] => [site, config, name]),
    ["s3", parse1(s3), "control-1"],
    ["s3", parse1(s3), "worker-1"],
  ];
})();

/**
 * A generated script with its values header's title and every whole-line quoted assignment's value emptied:
 * `NAME='...'` becomes `NAME=''`.
 */
function shapeOf(script: string): string {
  return script.replace(/^# Values for .*$/m, "# Values for").replace(/^([A-Z][A-Z0-9_]*)='(?:[^']|'"'"')*'$/gm, "$1=''");
}

describe("k3s node files", () => {
  for (const [site, config, name, sans] of CASES) {
    it(`match the golden config.yaml and script values of ${site} ${name}`, () => {
      const d = deploymentOf(config, name, sans);
      assertGolden(`${site}-${name}.config.yaml`, renderNodeConfig(config, d));
      assertGolden(`${site}-${name}.values.sh`, headerOf(nodeScript(config, d)));
    });
  }

  it("are shellcheck-clean, the script and the command that carries it", async () => {
    const files: Record<string, string> = {};
    // Each generated script is the committed body (src/k3s/node.sh) after a header of quoted assignments of names the
    // body declares (the next test holds both, for every variant): one generated script holds every line of the body,
    // so its lint is the body's too, and ShellCheck can find nothing in another variant that it does not find here.
    // Its values are emptied, so that the lint's cached result outlives a change of value. (ShellCheck's WebAssembly
    // build takes some 3 s of CPU for it.) The wrapper's heredoc is quoted, so ShellCheck reads none of the script
    // inside it.
    const generated = shapeOf(nodeScript(prod, deploymentOf(prod, "control-1")));
    files["prod-control-1.sh"] = generated;
    files["prod-control-1.remote.sh"] = `#!/bin/sh\n${remoteCommand(generated, "admin")}`;
    // The drain and removal scripts are built the same way (withValues), so one generated script of each holds
    // its committed body (src/k3s/drain.sh, src/k3s/leave.sh): uncordon differs from drain only in a quoted value.
    const worker = prod.nodes.find((n) => n.name === "worker-1")!;
    files["drain.sh"] = drainScript(prod, worker, "drain");
    files["drain.remote.sh"] = `#!/bin/sh\n${remoteCommand(drainScript(prod, worker, "drain"), "admin", "control-1")}`;
    files["src/k3s/restore.sh"] = RESTORE_SCRIPT;
    files["leave.sh"] = leaveScript(prod.nodes.find((n) => n.name === "control-2")!);
    files["leave.remote.sh"] = `#!/bin/sh\n${remoteCommand(leaveScript(worker), "admin", "control-1")}`;
    assert.deepEqual(await shellcheck(files), []);
  });

  it("generate nothing but quoted assignments of names the body declares: every node runs the committed body", () => {
    const body = NODE_SCRIPT_TEMPLATE.split("\n").filter((l) => l !== "# @values");
    // What the body reads from the header: each name is required (${NAME:?}) or given a default (${NAME:-...}).
    const declared = new Set([...NODE_SCRIPT_TEMPLATE.matchAll(/\$\{([A-Z][A-Z0-9_]*):[?-]/g)].map((m) => m[1]!));
    for (const [site, config, name] of VARIANTS) {
      const script = nodeScript(config, deploymentOf(config, name));
      const lines = script.split("\n");
      const at = NODE_SCRIPT_TEMPLATE.split("\n").indexOf("# @values");
      // The header is what lies between the body's lines before @values and its lines after (a value may hold a
      // blank line, so the header's end is counted from the script's end).
      const headerEnd = lines.length - (body.length - at);
      assert.ok(headerEnd > at, name);
      assert.deepEqual([...lines.slice(0, at), ...lines.slice(headerEnd)], body, `${site} ${name}: the body differs from src/k3s/node.sh`);
      // The header: a title, then NAME='value' assignments only (values may span lines inside their quotes).
      const header = lines.slice(at, headerEnd).join("\n");
      assert.match(header, /^# Values for /);
      const assignment = /^([A-Z][A-Z0-9_]*)='(?:[^']|'"'"')*'(\n|$)/gm;
      const rest = header.replace(/^#[^\n]*\n/, "").replace(assignment, "");
      assert.equal(rest, "", `${site} ${name}: the header holds more than assignments`);
      const undeclared = [...header.matchAll(assignment)].map((m) => m[1]!).filter((n) => !declared.has(n));
      assert.deepEqual(undeclared, [], `${site} ${name}: the header assigns names the body never reads`);
    }
  });

  it("lints with a shellcheck that reports what the CLI reports", async () => {
    // The lint above is only worth something if the checker finds things: SC2086 is the classic unquoted expansion.
    assert.match(await shellcheckVersion(), /ShellCheck 0\.11\.0/);
    assert.deepEqual(await shellcheck({ "x.sh": "#!/bin/bash\necho $X\n" }), [
      "x.sh:2:6: info: Double quote to prevent globbing and word splitting. [SC2086]",
    ]);
  });

  it("pins the installer to the release's tag and the exact version", () => {
    assert.equal(installerUrl("v1.36.5+k3s1"), "https://raw.githubusercontent.com/k3s-io/k3s/v1.36.5%2Bk3s1/install.sh");
    const script = nodeScript(prod, deploymentOf(prod, "control-1"));
    assert.match(script, /^K3S_VERSION='v1\.36\.5\+k3s1'$/m);
    assert.match(script, /^INSTALLER_URL='https:\/\/raw\.githubusercontent\.com\/k3s-io\/k3s\/v1\.36\.5%2Bk3s1\/install\.sh'$/m);
    assert.match(script, /INSTALL_K3S_VERSION="\$K3S_VERSION"/);
  });

  it("carries the script to the node untouched, through sudo for users other than root", () => {
    const script = nodeScript(home, deploymentOf(home, "pi-1"));
    const asPi = remoteCommand(script, "pi", "pi-1");
    assert.ok(asPi.includes(`\nsudo -n bash -c "$(cat <<'K3S_SITES_SCRIPT'\n${script}`));
    assert.ok(remoteCommand(script, "root").startsWith("bash -c "));
    // The login shell runs the command; bash must receive the script byte for byte, whatever it contains.
    const tricky = `printf '%s' "$BASH_EXECUTION_STRING"\n# $HOME "double" 'single' \\ $(false) \`false\` K3S_SITES_EOF`;
    const echoed = spawnSync("sh", ["-c", remoteCommand(tricky, "root")], { encoding: "utf8" });
    assert.equal(echoed.status, 0, echoed.stderr);
    assert.equal(echoed.stdout, tricky);
  });

  it("refuses a secret with a line break, which would shift every later stdin line", () => {
    assert.throws(() => nodeStdin({ token: "a\nb" }), /line break/);
    assert.equal(nodeStdin({ token: "t", agentToken: "g", etcdS3: { accessKey: "a", secretKey: "s" } }), "t\ng\na\ns\n");
    assert.equal(nodeStdin({ token: "t", agentToken: "g", files: ["h"] }), "t\ng\nh\n");
  });
});

