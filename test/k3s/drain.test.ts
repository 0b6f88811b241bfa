import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { drainScript } from "../../src/k3s/script";
import { exampleSections, parse1 } from "../helpers";
import { installKubectl, makeSandbox, type Sandbox } from "./sandbox";

const prod = parse1(exampleSections("prod"));
const worker = prod.nodes.find((n) => n.name === "worker-1")!;

/**
 * A first server's k3s whose kubectl knows one node: STUB_NODE_VERSION is its kubelet version (unset: no such
 * node), STUB_DRAINED its k3s-sites annotation; STUB_DRAIN_FAILS makes the drain time out, STUB_MARK_FAILS the read of
 * the annotation fail (the API gone after the version was read), STUB_API_DOWN every call fail as an unreachable API
 * does.
 */
function serverWithKubectl(box: Sandbox): void {
  installKubectl(
    box,
    `  get*kubeletVersion*) printf '%s' "$STUB_NODE_VERSION" ;;
  get*drained-for*) [ -z "$STUB_MARK_FAILS" ] || { echo "The connection to the server 127.0.0.1:6443 was refused" >&2; exit 1; }
    printf '%s' "$STUB_DRAINED" ;;
  drain*) [ -z "$STUB_DRAIN_FAILS" ] || exit 1 ;;`,
  );
}

/** What the script changed, without the request timeout every short call carries. */
const changes = (calls: string[]) =>
  calls.filter((c) => !c.startsWith("kubectl get")).map((c) => c.replace(/ --request-timeout=30s$/, ""));

describe("drain and uncordon around an upgrade", () => {
  it("cordons and drains a node that runs another version, marking it as drained by k3s-sites", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(drainScript(prod, worker, "drain"), "", { STUB_NODE_VERSION: "v1.35.9+k3s1" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), [
      "kubectl annotate --overwrite node worker-1 k3s-sites.io/drained-for=v1.36.5+k3s1",
      "kubectl cordon worker-1",
      "kubectl drain worker-1 --ignore-daemonsets --delete-emptydir-data --timeout=600s",
    ]);
  });

  it("does nothing for a node that already runs the version, or is not in the cluster yet (a first install)", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const same = box.run(drainScript(prod, worker, "drain"), "", { STUB_NODE_VERSION: "v1.36.5+k3s1" });
    assert.equal(same.status, 0, same.stderr);
    assert.deepEqual(changes(same.calls), []);
    const absent = box.run(drainScript(prod, worker, "drain"), "");
    assert.equal(absent.status, 0, absent.stderr);
    assert.deepEqual(changes(absent.calls), []);
    // Before the first server has k3s at all.
    const bare = makeSandbox().run(drainScript(prod, worker, "drain"), "");
    assert.equal(bare.status, 0, bare.stderr);
    assert.match(bare.stderr, /k3s is not installed on this server yet, so worker-1 is not in a cluster: nothing to drain/);
  });

  it("reads only kubectl's answer, not its warnings: a node that is absent stays absent, one at the version stays", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const absent = box.run(drainScript(prod, worker, "drain"), "", { STUB_WARN: "1" });
    assert.equal(absent.status, 0, absent.stderr);
    assert.match(absent.stderr, /not in the cluster: nothing to drain/);
    const same = box.run(drainScript(prod, worker, "drain"), "", { STUB_WARN: "1", STUB_NODE_VERSION: "v1.36.5+k3s1" });
    assert.equal(same.status, 0, same.stderr);
    assert.deepEqual(changes(same.calls), []);
  });

  it("fails, so that the node is not upgraded undrained, when the API does not answer", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(drainScript(prod, worker, "drain"), "", { STUB_NODE_VERSION: "v1.35.9+k3s1", STUB_API_DOWN: "1" });
    assert.notEqual(run.status, 0);
    assert.deepEqual(changes(run.calls), []);
    assert.match(run.stderr, /cannot reach the Kubernetes API to drain worker-1 \(The connection .* refused\); see journalctl -u k3s/);
  });

  it("fails with the node, the wait and what to look at when the drain does not finish", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(drainScript(prod, worker, "drain"), "", { STUB_NODE_VERSION: "v1.35.9+k3s1", STUB_DRAIN_FAILS: "1" });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /the drain of worker-1 did not finish within 600s .*kubectl get pods -A --field-selector spec\.nodeName=worker-1/);
  });

  it("uncordons only a node it drained itself, so a manual cordon stays", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const drained = box.run(drainScript(prod, worker, "uncordon"), "", { STUB_NODE_VERSION: "v1.36.5+k3s1", STUB_DRAINED: "v1.36.5+k3s1" });
    assert.equal(drained.status, 0, drained.stderr);
    assert.deepEqual(changes(drained.calls), ["kubectl uncordon worker-1", "kubectl annotate node worker-1 k3s-sites.io/drained-for-"]);
    const manual = box.run(drainScript(prod, worker, "uncordon"), "", { STUB_NODE_VERSION: "v1.36.5+k3s1" });
    assert.equal(manual.status, 0, manual.stderr);
    assert.deepEqual(changes(manual.calls), []);
  });

  it("fails, leaving the step to run again, when the API does not answer whether it drained the node", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(drainScript(prod, worker, "uncordon"), "", {
      STUB_NODE_VERSION: "v1.36.5+k3s1",
      STUB_DRAINED: "v1.36.5+k3s1",
      STUB_MARK_FAILS: "1",
    });
    assert.notEqual(run.status, 0, "a failed read of the mark passed as a node nobody drained");
    assert.deepEqual(changes(run.calls), []);
    assert.match(
      run.stderr,
      /cannot read whether k3s-sites drained worker-1, to uncordon it after the upgrade \(The connection .* refused\); it may still be cordoned: see journalctl -u k3s on this server, then run pulumi up again/,
    );
  });
});
