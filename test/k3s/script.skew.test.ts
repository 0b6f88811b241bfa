/**
 * An agent's own check of Kubernetes' version skew policy, for a run whose order was decided from a stale record: it
 * upgrades only when the API server it talks to is not older than the new version's minor.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import { nodeScript, nodeStdin } from "../../src/k3s/script";
import { serverSecretFilesOf } from "../../src/concerns/registry";
import { clone, exampleSections, parse1 } from "../helpers";
import { makeSandbox } from "./sandbox";

const raw = exampleSections("prod");
const scriptFor = (version: string) => {
  const r = clone(raw);
  r.k3s.version = version;
  const config = parse1(r);
  const node = config.nodes.find((n) => n.name === "worker-1")!;
  return nodeScript(config, { node, ...firstDeploymentJoin(config, node), caHash: "ab".repeat(32) });
};
const stdin = nodeStdin({ token: "the-agent-token" });
/** The servers' secret files' values (the hcloud token on a Hetzner site with its CSI driver). */
const serverFiles = serverSecretFilesOf(parse1(raw)).map(() => "the-hcloud-token");

/** An agent installed at v1.33.5+k3s1 whose API server answers /version with STUB_API_VERSION. */
function installedAgent() {
  const box = makeSandbox();
  const first = box.run(scriptFor("v1.33.5+k3s1"), stdin);
  assert.equal(first.status, 0, first.stderr);
  mkdirSync(join(box.root, "var/lib/rancher/k3s/agent"), { recursive: true });
  writeFileSync(join(box.root, "var/lib/rancher/k3s/agent/kubelet.kubeconfig"), "apiVersion: v1\n");
  writeFileSync(
    join(box.root, "usr/local/bin/k3s"),
    `#!/bin/sh
if [ "$1" = --version ]; then echo "k3s version v1.33.5+k3s1 (stub)"; exit 0; fi
echo "k3s $*" >> "$CALLS"
case "$*" in *--raw=/version*) [ -z "$STUB_API_VERSION" ] || printf '{\\n  "major": "1",\\n  "gitVersion": "%s"\\n}\\n' "$STUB_API_VERSION" ;; esac
exit 0
`,
  );
  chmodSync(join(box.root, "usr/local/bin/k3s"), 0o755);
  return box;
}

describe("an agent upgrade ahead of its API server", () => {
  it("stops before installing when the API server is on an older minor, with what to do", () => {
    const run = installedAgent().run(scriptFor("v1.34.1+k3s1"), stdin, { STUB_API_VERSION: "v1.33.5+k3s1" });
    assert.notEqual(run.status, 0);
    assert.ok(!run.calls.some((c) => c.startsWith("installer ")), "installed k3s ahead of the servers");
    assert.match(run.stderr, /the API server answers with v1\.33\.5\+k3s1, older than v1\.34\.1\+k3s1: .* Run pulumi up again once every server runs v1\.34\.1\+k3s1/);
  });

  it("upgrades once the API server runs the new minor, or when it cannot tell", () => {
    for (const api of ["v1.34.1+k3s1", ""]) {
      const run = installedAgent().run(scriptFor("v1.34.1+k3s1"), stdin, { STUB_API_VERSION: api });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(run.calls.some((c) => c.startsWith("installer version=v1.34.1+k3s1")), `${api}: ${run.calls.join("\n")}`);
    }
  });
});

describe("a node asked to go down a Kubernetes minor", () => {
  // A failed run can leave some nodes on the new minor while the stack still records the old one (the program records
  // a version only once every node ran it), so k3s.version set back to the old minor passes the program's rule
  // (src/k3s/rules-upgrade.ts): the node itself refuses to install an older minor over the one it runs.
  const scriptOn = (version: string, name: string) => {
    const r = clone(raw);
    r.k3s.version = version;
    const config = parse1(r);
    const node = config.nodes.find((n) => n.name === name)!;
    return nodeScript(config, { node, ...firstDeploymentJoin(config, node), caHash: "ab".repeat(32) });
  };
  const inputs = { "control-1": nodeStdin({ token: "the-token", agentToken: "the-agent-token", files: serverFiles }), "worker-1": stdin };
  for (const name of ["control-1", "worker-1"] as const) {
    const stdin = inputs[name];
    it(`${name}: refuses v1.34 over v1.35 before installing, and keeps a patch down within the minor`, () => {
      const box = makeSandbox();
      const first = box.run(scriptOn("v1.35.9+k3s1", name), stdin);
      assert.equal(first.status, 0, first.stderr);
      const down = box.run(scriptOn("v1.34.12+k3s1", name), stdin);
      assert.notEqual(down.status, 0);
      assert.ok(!down.calls.some((c) => c.startsWith("installer ")), `installed an older minor: ${down.calls.join("\n")}`);
      assert.match(
        down.stderr,
        new RegExp(
          `${name} runs k3s v1\\.35\\.9\\+k3s1 \\(Kubernetes 1\\.35\\), and k3s\\.version v1\\.34\\.12\\+k3s1 is Kubernetes 1\\.34: ` +
            `Kubernetes does not go down a minor\\. Set k3s\\.version to a v1\\.35 release`,
        ),
      );
      const patch = box.run(scriptOn("v1.35.8+k3s1", name), stdin);
      assert.equal(patch.status, 0, patch.stderr);
      assert.ok(patch.calls.some((c) => c.startsWith("installer version=v1.35.8+k3s1")), patch.calls.join("\n"));
    });
  }
});

describe("a server asked to skip a Kubernetes minor", () => {
  // A stack deployed by a version of the program that recorded no k3sVersion output passes the program's rule with any
  // version (nothing to compare): a server itself refuses to move more than one minor up. An agent may: a kubelet
  // up to three minors older than the API server is supported, and an agent that was off during upgrades catches up.
  const scriptOn = (version: string, name = "control-1") => {
    const r = clone(raw);
    r.k3s.version = version;
    const config = parse1(r);
    const node = config.nodes.find((n) => n.name === name)!;
    return nodeScript(config, { node, ...firstDeploymentJoin(config, node), caHash: "ab".repeat(32) });
  };
  const serverStdin = nodeStdin({ token: "the-token", agentToken: "the-agent-token", files: serverFiles });
  it("refuses v1.36 over v1.34 before installing, and takes v1.35", () => {
    const box = makeSandbox();
    assert.equal(box.run(scriptOn("v1.34.12+k3s1"), serverStdin).status, 0);
    const skip = box.run(scriptOn("v1.36.5+k3s1"), serverStdin);
    assert.notEqual(skip.status, 0);
    assert.ok(!skip.calls.some((c) => c.startsWith("installer ")), `skipped a minor: ${skip.calls.join("\n")}`);
    assert.match(
      skip.stderr,
      /control-1 runs k3s v1\.34\.12\+k3s1 \(Kubernetes 1\.34\), and k3s\.version v1\.36\.5\+k3s1 is Kubernetes 1\.36: Kubernetes upgrades one minor at a time \(v1\.34 -> v1\.35 -> v1\.36\)\. Set k3s\.version to a v1\.35 release/,
    );
    const next = box.run(scriptOn("v1.35.9+k3s1"), serverStdin);
    assert.equal(next.status, 0, next.stderr);
  });

  it("lets an agent catch up two minors at once", () => {
    const box = makeSandbox();
    assert.equal(box.run(scriptOn("v1.34.12+k3s1", "worker-1"), stdin).status, 0);
    const run = box.run(scriptOn("v1.36.5+k3s1", "worker-1"), stdin);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.some((c) => c.startsWith("installer version=v1.36.5+k3s1")), run.calls.join("\n"));
  });
});
