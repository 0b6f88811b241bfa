import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { leaveScript } from "../../src/k3s/script";
import { exampleSections, parse1 } from "../helpers";
import { installKubectl, makeSandbox, type Sandbox } from "./sandbox";

const prod = parse1(exampleSections("prod"));
const node = (name: string) => prod.nodes.find((n) => n.name === name)!;

/**
 * A server's k3s whose kubectl knows one node when STUB_NODE is set, Ready as STUB_READY says (default True), and
 * the etcd members STUB_ETCD_MEMBERS, the PersistentVolumes STUB_PVS (the jsonpath's tab-separated lines); a drain without --force fails on STUB_BARE_POD's bare pod, and STUB_DRAIN_HANGS
 * makes it never return;
 * STUB_API_DOWN makes every call fail as an unreachable API does, STUB_LEAVING as a server that has just left etcd
 * does, STUB_DRAIN_FAILS the drain, STUB_DELETE_FAILS the Node's deletion (its wait times out).
 */
function serverWithKubectl(box: Sandbox): void {
  installKubectl(
    box,
    `  get\\ pv*) [ -z "$STUB_PVS" ] || printf '%b' "$STUB_PVS" ;;
  get\\ nodes\\ -l*) for n in $STUB_ETCD_MEMBERS; do echo "node/$n"; done ;;
  get\\ node*Ready*) printf '%s' "\${STUB_READY-True}" ;;
  get\\ node*) [ -z "$STUB_NODE" ] || echo "node/$STUB_NODE" ;;
  drain*)
    [ -z "$STUB_DRAIN_HANGS" ] || exec /bin/sleep 60
    # kubectl refuses a pod no controller owns without --force (kubectl pkg/drain/filters.go, unreplicatedFilter).
    case " $* " in *" --force "*) ;; *) [ -z "$STUB_BARE_POD" ] || { echo "cannot delete Pods that declare no controller (use --force to override): default/debug" >&2; exit 1; } ;; esac
    [ -z "$STUB_DRAIN_FAILS" ] || exit 1 ;;
  delete*) [ -z "$STUB_DELETE_FAILS" ] || exit 1 ;;`,
    `if [ -n "$STUB_LEAVING" ]; then
  # This server has just been removed from etcd: its API fails, and its etcd writes the tombstone a moment later.
  mkdir -p "$K3S_SITES_ROOT/var/lib/rancher/k3s/server/db/etcd"
  (sleep 1; touch "$K3S_SITES_ROOT/var/lib/rancher/k3s/server/db/etcd/tombstone") &
  echo "Error from server: etcdserver: request timed out" >&2; exit 1
fi
`,
  );
}

/** What the script changed, without the request timeout every call carries. */
const changes = (calls: string[]) =>
  calls.filter((c) => !c.startsWith("kubectl get")).map((c) => c.replace(/ --request-timeout=30s$/, ""));
const SERVERS = "control-1 control-2 control-3";
/** The removal script with a shorter wait for the tombstone, so that a failing run fails quickly. */
const quick = (script: string) => script.replace(/^TOMBSTONE_WAIT='30'$/m, "TOMBSTONE_WAIT='3'");

describe("a node leaving the cluster (the delete of its membership command)", () => {
  it("cordons and drains the node, then deletes its Node and waits for it to be gone", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("control-3")), "", { STUB_NODE: "control-3", STUB_ETCD_MEMBERS: SERVERS });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), [
      "kubectl cordon control-3",
      "kubectl drain control-3 --ignore-daemonsets --delete-emptydir-data --force --timeout=600s",
      "kubectl delete node control-3 --timeout=300s",
    ]);
    assert.ok(run.calls.filter((c) => /^kubectl (get|cordon)/.test(c)).every((c) => c.endsWith(" --request-timeout=30s")));
  });

  it("removes a dead node in bounded time: its pods deleted without waiting for its kubelet, then its Node", async () => {
    for (const ready of ["Unknown", "False"]) {
      const box = makeSandbox();
      serverWithKubectl(box);
      const run = box.run(leaveScript(node("control-3")), "", { STUB_NODE: "control-3", STUB_ETCD_MEMBERS: SERVERS, STUB_READY: ready });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(changes(run.calls), [
        "kubectl cordon control-3",
        "kubectl drain control-3 --ignore-daemonsets --delete-emptydir-data --force --disable-eviction --grace-period=1 --skip-wait-for-delete-timeout=1 --timeout=120s",
        // k3s's member controller on the live servers removes the dead server's etcd member before the Node goes.
        "kubectl delete node control-3 --timeout=300s",
      ]);
      assert.match(run.stderr, new RegExp(`not Ready \\(Ready: ${ready}\\)`));
    }
  });

  it("deletes a dead node's Node even when its drain does not finish, and bounds a drain that never returns", async () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const failed = box.run(leaveScript(node("worker-2")), "", { STUB_NODE: "worker-2", STUB_READY: "Unknown", STUB_DRAIN_FAILS: "1" });
    assert.equal(failed.status, 0, failed.stderr);
    assert.ok(changes(failed.calls).includes("kubectl delete node worker-2 --timeout=300s"));
    assert.match(failed.stderr, /its Node is deleted anyway, and Kubernetes deletes the pods left on it/);
    // A drain that hangs (an API that accepts and never answers) ends at its bound; shortened here.
    const short = leaveScript(node("worker-2"))
      .replace(/^DEAD_DRAIN_TIMEOUT='120'$/m, "DEAD_DRAIN_TIMEOUT='1'")
      .replace(/^REQUEST_TIMEOUT='30'$/m, "REQUEST_TIMEOUT='1'");
    const started = Date.now();
    const hung = box.run(short, "", { STUB_NODE: "worker-2", STUB_READY: "Unknown", STUB_DRAIN_HANGS: "1" });
    assert.equal(hung.status, 0, hung.stderr);
    assert.ok(Date.now() - started < 10_000, "the drain was not bounded");
    assert.ok(changes(hung.calls).includes("kubectl delete node worker-2 --timeout=300s"));
  });

  it("a bare pod does not fail the drain: --force deletes it, the node leaves anyway", async () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("worker-2")), "", { STUB_NODE: "worker-2", STUB_BARE_POD: "1" });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(changes(run.calls).includes("kubectl delete node worker-2 --timeout=300s"));
  });

  it("reads only kubectl's answer, not its warnings: a node that is gone has nothing to remove", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("worker-2")), "", { STUB_WARN: "1" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), []);
    assert.match(run.stderr, /not in the cluster: nothing to remove/);
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
    const script = quick(leaveScript(node("worker-2")));
    assert.notEqual(script, leaveScript(node("worker-2")), "the wait is in the header");
    const run = box.run(script, "", { STUB_NODE: "worker-2", STUB_API_DOWN: "1" });
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
    const server = box.run(leaveScript(node("control-3")), "", { STUB_NODE: "control-3", STUB_ETCD_MEMBERS: SERVERS, STUB_DELETE_FAILS: "1" });
    assert.notEqual(server.status, 0);
    assert.match(server.stderr, /the Node control-3 was not deleted within 300s: k3s removes its etcd member first/);
  });

  it("removes nothing when the server it runs on has left etcd itself: the cluster is being torn down", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    mkdirSync(join(box.root, "var/lib/rancher/k3s/server/db/etcd"), { recursive: true });
    writeFileSync(join(box.root, "var/lib/rancher/k3s/server/db/etcd/tombstone"), "");
    const run = box.run(leaveScript(node("control-1")), "", { STUB_NODE: "control-1", STUB_ETCD_MEMBERS: SERVERS });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.calls, [], "asks the API nothing");
    assert.match(run.stderr, /this server has left the cluster itself, so the cluster is being taken down: nothing to remove control-1 from/);
  });

  it("waits for the tombstone of a server that has just left etcd, whose API stops answering first", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(quick(leaveScript(node("control-1"))), "", { STUB_LEAVING: "1" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), []);
    assert.match(run.stderr, /nothing to remove control-1 from/);
  });

  it("leaves the cluster's last etcd member alone: k3s cannot remove it, and the cluster goes with it", () => {
    const box = makeSandbox();
    serverWithKubectl(box);
    const run = box.run(leaveScript(node("control-1")), "", { STUB_NODE: "control-1", STUB_ETCD_MEMBERS: "control-1" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(changes(run.calls), [], "no drain, no delete");
    assert.match(run.stderr, /the cluster's last etcd member: the cluster goes with it, nothing to remove/);
  });

  describe("a node that holds local-path volumes", () => {
    const pv = (name: string, node: string, claim: string, by = "rancher.io/local-path") =>
      `${name}\\t${by}\\t${node}\\t${claim}\\t/var/lib/rancher/k3s/storage/${name}_${claim.replace("/", "_")}\\n`;
    const pvs = pv("pvc-1", "worker-2", "wordpress/mariadb-data") + pv("pvc-2", "worker-1", "wordpress/other") + pv("pvc-3", "worker-2", "shop/db", "csi.hetzner.cloud");

    it("refuses to delete a Hetzner node's machine with local-path data on it, naming the claims", () => {
      const box = makeSandbox();
      serverWithKubectl(box);
      const run = box.run(leaveScript(node("worker-2")), "", { STUB_NODE: "worker-2", STUB_PVS: pvs });
      assert.equal(run.status, 1);
      assert.deepEqual(changes(run.calls), []);
      assert.match(
        run.stderr,
        /holds local-path volumes whose data is deleted with its machine: wordpress\/mariadb-data \(pvc-1 at \/var\/lib\/rancher\/k3s\/storage\/pvc-1_wordpress_mariadb-data\)\. Copy out what you need, then delete those claims/,
      );
      assert.doesNotMatch(run.stderr, /wordpress\/other|shop\/db/);
    });

    it("warns, and lets the node leave, when the host keeps its disk", () => {
      const home = parse1(exampleSections("home"));
      const host = home.nodes.find((n) => n.role === "agent") ?? home.nodes[home.nodes.length - 1]!;
      const box = makeSandbox();
      serverWithKubectl(box);
      const run = box.run(leaveScript(host), "", { STUB_NODE: host.name, STUB_PVS: pv("pvc-9", host.name, "wordpress/mariadb-data") });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(changes(run.calls).includes(`kubectl delete node ${host.name} --timeout=300s`));
      assert.match(run.stderr, /holds local-path volumes: wordpress\/mariadb-data .* Their data stays on this host's disk/);
    });

    it("leaves as before when its local-path volumes are on other nodes, even one whose name starts with its own", () => {
      const box = makeSandbox();
      serverWithKubectl(box);
      const run = box.run(leaveScript(node("worker-2")), "", { STUB_NODE: "worker-2", STUB_PVS: pv("pvc-2", "worker-22", "a/b") + pv("pvc-4", "worker-1", "c/d") });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(changes(run.calls).includes("kubectl delete node worker-2 --timeout=300s"));
      assert.doesNotMatch(run.stderr, /local-path/);
    });
  });
});
