import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { leaveScript } from "../../src/k3s/script";
import { exampleSections, parse1 } from "../helpers";
import { makeSandbox, type Sandbox } from "./sandbox";

const prod = parse1(exampleSections("prod"));
const node = (name: string) => prod.nodes.find((n) => n.name === name)!;

/**
 * A server's k3s whose kubectl knows one node when STUB_NODE is set; STUB_API_DOWN makes every call fail as an
 * unreachable API does, STUB_DRAIN_FAILS the drain, STUB_DELETE_FAILS the Node's deletion (its wait times out).
 */
function serverWithKubectl(box: Sandbox): void {
  const bin = join(box.root, "usr/local/bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "k3s"),
    `#!/bin/sh
shift 3 # kubectl --kubeconfig <file>
echo "kubectl $*" >> "$CALLS"
if [ -n "$STUB_API_DOWN" ]; then echo "The connection to the server 127.0.0.1:6443 was refused" >&2; exit 1; fi
case "$*" in
  get\\ node*) [ -z "$STUB_NODE" ] || echo "node/$STUB_NODE" ;;
  drain*) [ -z "$STUB_DRAIN_FAILS" ] || exit 1 ;;
  delete*) [ -z "$STUB_DELETE_FAILS" ] || exit 1 ;;
esac
exit 0
`,
  );
  chmodSync(join(bin, "k3s"), 0o755);
}

const changes = (calls: string[]) => calls.filter((c) => !c.startsWith("kubectl get"));

describe("a node leaving the cluster (the delete of its membership command)", () => {
  it("cordons and drains the node, then deletes its Node and waits for it to be gone", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("control-3")), "", { STUB_NODE: "control-3" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), [
      "kubectl cordon control-3",
      "kubectl drain control-3 --ignore-daemonsets --delete-emptydir-data --timeout=600s",
      "kubectl delete node control-3 --timeout=300s",
    ]);
  });

  it("does nothing for a node that is not in the cluster", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("worker-2")), "");
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), []);
    assert.match(run.stderr, /not in the cluster: nothing to remove/);
  });

  it("fails, so that Pulumi keeps the machine, when the API does not answer", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("worker-2")), "", { STUB_NODE: "worker-2", STUB_API_DOWN: "1" });
    assert.notEqual(run.status, 0);
    assert.deepEqual(changes(run.calls), []);
    assert.match(run.stderr, /cannot reach the Kubernetes API to take worker-2 out of the cluster \(The connection .* refused\); the run stops before its machine is deleted/);
  });

  it("fails with what to look at when the drain or the deletion does not finish", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const drain = box.run(leaveScript(node("worker-2")), "", { STUB_NODE: "worker-2", STUB_DRAIN_FAILS: "1" });
    assert.notEqual(drain.status, 0);
    assert.ok(!changes(drain.calls).some((c) => c.startsWith("kubectl delete")), "deleted an undrained node");
    assert.match(drain.stderr, /the drain of worker-2 did not finish within 600s .*kubectl get pods -A --field-selector spec\.nodeName=worker-2/);
    const server = box.run(leaveScript(node("control-3")), "", { STUB_NODE: "control-3", STUB_DELETE_FAILS: "1" });
    assert.notEqual(server.status, 0);
    assert.match(server.stderr, /the Node control-3 was not deleted within 300s: k3s removes its etcd member first/);
  });
});
