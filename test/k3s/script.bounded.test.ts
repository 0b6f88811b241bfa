/**
 * Nothing a host script does waits without a bound (issue 24): every download has a time limit and is retried
 * within one, every kubectl call has a request timeout or an outer `timeout`, every blocking systemctl call and the
 * installer run under `timeout`, every polling loop has a deadline. A static check over the committed scripts, and
 * sandboxed runs in which the download, the installer and kubectl stall.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import {
  DRAIN_SCRIPT_TEMPLATE,
  LEAVE_SCRIPT_TEMPLATE,
  NODE_SCRIPT_TEMPLATE,
  RESTORE_SCRIPT,
  drainScript,
  nodeScript,
  nodeStdin,
} from "../../src/k3s/script";
import { exampleSections, parse1 } from "../helpers";
import { installKubectl, makeSandbox } from "./sandbox";

const SCRIPTS = {
  "node.sh": NODE_SCRIPT_TEMPLATE,
  "drain.sh": DRAIN_SCRIPT_TEMPLATE,
  "leave.sh": LEAVE_SCRIPT_TEMPLATE,
  "restore.sh": RESTORE_SCRIPT,
};
const prod = parse1(exampleSections("prod"));
const worker = prod.nodes.find((n) => n.name === "worker-1")!;

/** The script's code lines (comments dropped), with continuation lines joined. */
function codeLines(script: string): string[] {
  return script
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .filter((l) => !/^\s*#/.test(l));
}

/** What in a script may wait without a bound, one finding per line. Messages (fail, log) are text, not calls. */
function unboundedIn(script: string): string[] {
  const unbounded: string[] = [];
  const lines = codeLines(script);
  lines.forEach((line, i) => {
    const code = line.replace(/\b(fail|log) ".*$/, "");
    if (/\bcurl\s/.test(code) && !(/--connect-timeout \d+/.test(code) && /--max-time "?\$?\w+"?/.test(code) && /--retry-max-time/.test(code))) {
      unbounded.push(`curl without time limits: ${line.trim()}`);
    }
    // Every kubectl goes through a wrapper that adds --request-timeout, or runs under timeout.
    if (/ kubectl /.test(code) && /bin\/k3s"|\$K3S"/.test(code) && !/--request-timeout/.test(code) && !/\btimeout\s/.test(code)) {
      unbounded.push(`kubectl without a request timeout: ${line.trim()}`);
    }
    if (/\bsystemctl (restart|start|stop)\b/.test(code) && !/--no-block/.test(code) && !/\btimeout\s/.test(code)) {
      unbounded.push(`blocking systemctl without timeout: ${line.trim()}`);
    }
    if (/\bsh "\$installer"/.test(code) && !/\btimeout\s/.test(code)) unbounded.push(`installer without timeout: ${line.trim()}`);
    if (/\bcertificate rotate\b/.test(code) && !/\btimeout\s/.test(code)) unbounded.push(`rotate without timeout: ${line.trim()}`);
    // A polling loop names its deadline within its first lines; loops over read input end with their input.
    if (/^\s*(until|while)\b/.test(code) && !/\bread\b/.test(code)) {
      if (!/deadline/.test(lines.slice(i, i + 8).join("\n"))) unbounded.push(`loop without a deadline: ${line.trim()}`);
    }
  });
  return unbounded;
}

describe("host scripts wait only with a bound", () => {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    it(`${name}: every download, kubectl call, blocking systemctl call and loop is bounded`, () => {
      assert.deepEqual(unboundedIn(script), []);
    });
  }

  it("the check finds each kind of unbounded wait, and not the text of a message", () => {
    const bad = [
      'curl -sfL --retry 3 -o "$installer" "$INSTALLER_URL" || fail "cannot download"',
      'INSTALL_K3S_VERSION="$K3S_VERSION" sh "$installer"',
      'systemctl stop "$SERVICE"',
      '"$K3S" kubectl --kubeconfig "$kubeconfig" get --raw=/readyz',
      "until systemctl is-active --quiet k3s; do",
      "  sleep 5",
      "done",
      'fail "k3s certificate rotate failed: start it with systemctl start k3s"',
    ].join("\n");
    assert.deepEqual(
      unboundedIn(bad).map((f) => f.split(":")[0]),
      ["curl without time limits", "installer without timeout", "blocking systemctl without timeout", "kubectl without a request timeout", "loop without a deadline"],
    );
  });
});

describe("a node script whose downloads stall", () => {
  const script = nodeScript(prod, { node: worker, ...firstDeploymentJoin(prod, worker), caHash: "ab".repeat(32) });
  const stdin = nodeStdin({ token: "the-agent-token" });

  it("fails with the URL when the installer's download times out, instead of hanging", () => {
    const box = makeSandbox();
    // curl as it behaves when the server stalls: it returns 28 once --max-time has passed, and never without it.
    const curl = join(dirname(box.root), "bin", "curl");
    writeFileSync(
      curl,
      `#!/bin/sh\necho "curl $*" >> "$CALLS"\ncase " $* " in *" --max-time "*) echo "curl: (28) Operation timed out" >&2; exit 28 ;; esac\nexec /bin/sleep 600\n`,
    );
    chmodSync(curl, 0o755);
    const started = Date.now();
    const run = box.run(script, stdin);
    assert.ok(Date.now() - started < 15_000, "the download was not bounded");
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /cannot download the k3s installer from https:\/\/raw\.githubusercontent\.com\/k3s-io\/k3s\//);
    const call = run.calls.find((c) => c.startsWith("curl "))!;
    assert.match(call, /--connect-timeout 30 --max-time 300 --retry 3 --retry-delay 5 --retry-max-time 1200 /);
  });

  it("fails when install.sh's own download of k3s stalls, bounded from outside", () => {
    const box = makeSandbox();
    const curl = join(dirname(box.root), "bin", "curl");
    // The installer downloads, and its download never ends.
    writeFileSync(curl, `#!/bin/sh\nwhile [ $# -gt 1 ]; do [ "$1" = -o ] && printf 'exec /bin/sleep 600\\n' > "$2"; shift; done\nexit 0\n`);
    chmodSync(curl, 0o755);
    const short = script.replace(/^INSTALL_TIMEOUT='900'$/m, "INSTALL_TIMEOUT='1'");
    assert.notEqual(short, script, "the bound is in the header");
    const started = Date.now();
    const run = box.run(short, stdin);
    assert.ok(Date.now() - started < 15_000, "the installer was not bounded");
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /the k3s installer did not finish within 1s on worker-1/);
  });
});

describe("a drain whose kubectl stalls", () => {
  it("ends at its bound and fails the run with what to look at", () => {
    const box = makeSandbox();
    installKubectl(box, `  get*kubeletVersion*) printf 'v1.32.9+k3s1' ;;\n  drain*) exec /bin/sleep 600 ;;`);
    const short = drainScript(prod, worker, "drain")
      .replace(/^DRAIN_TIMEOUT='600'$/m, "DRAIN_TIMEOUT='1'")
      .replace(/^REQUEST_TIMEOUT='30'$/m, "REQUEST_TIMEOUT='1'");
    const started = Date.now();
    const run = box.run(short, "");
    assert.ok(Date.now() - started < 15_000, "the drain was not bounded");
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /the drain of worker-1 did not finish within 1s/);
    assert.ok(run.calls.filter((c) => /^kubectl (get|annotate|cordon)/.test(c)).every((c) => c.endsWith("--request-timeout=1s")), run.calls.join("\n"));
  });
});
