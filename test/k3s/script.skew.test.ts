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
