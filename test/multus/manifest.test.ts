/** The pinned Multus manifest: its digest, and k3s's customizations of its DaemonSet. */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseManifest } from "../../src/kubernetes/object";
import { K3S_CNI_DIRS, MULTUS, customizeMultus, loadMultusManifest, multusObjects } from "../../src/multus/manifest";
import { ROOT, parse1 } from "../helpers";
import { withNetworks } from "./sites";

type Pod = {
  spec: {
    template: {
      spec: {
        volumes: { name: string; hostPath?: { path: string } }[];
        containers: { name: string; image: string; volumeMounts: { name: string; mountPath: string }[] }[];
        initContainers: { image: string }[];
      };
    };
  };
};

function daemonSet(objects: object[]): Pod["spec"]["template"]["spec"] {
  return (objects.find((o) => (o as { kind: string }).kind === "DaemonSet") as Pod).spec.template.spec;
}

describe("the Multus manifest", () => {
  it("is read only when its sha256 is the pinned one", () => {
    const dir = mkdtempSync(join(tmpdir(), "multus-"));
    try {
      cpSync(join(ROOT, "upstream", "multus"), join(dir, "multus"), { recursive: true });
      assert.ok(loadMultusManifest(dir).includes("kube-multus-ds"));
      writeFileSync(join(dir, "multus", MULTUS.version, MULTUS.file), "kind: Changed\n");
      assert.throws(() => loadMultusManifest(dir), /has sha256 [0-9a-f]{64}, not the pinned 2d622f69/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on a Flannel site uses k3s's CNI directories, mounted at the same path, and the release image", () => {
    const pod = daemonSet(multusObjects(parse1(withNetworks())));
    const host = Object.fromEntries(pod.volumes.map((v) => [v.name, v.hostPath?.path]));
    assert.equal(host.cni, K3S_CNI_DIRS.conf);
    assert.equal(host.cnibin, K3S_CNI_DIRS.bin);
    const daemon = pod.containers.find((c) => c.name === "kube-multus")!;
    assert.equal(daemon.volumeMounts.find((m) => m.name === "cnibin")?.mountPath, "/var/lib/rancher/k3s/data/cni");
    assert.deepEqual([...pod.containers, ...pod.initContainers].map((c) => c.image), [MULTUS.image, MULTUS.image]);
    assert.equal(MULTUS.image, "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.3.0-thick");
  });

  it("keeps upstream's directories where k3s's Flannel is off, and never mutates its input", () => {
    const upstream = parseManifest(loadMultusManifest());
    const before = JSON.stringify(upstream);
    const pod = daemonSet(customizeMultus(upstream, false));
    assert.equal(pod.volumes.find((v) => v.name === "cni")?.hostPath?.path, "/etc/cni/net.d");
    assert.equal(JSON.stringify(upstream), before);
    assert.match(JSON.stringify(daemonSet(upstream).containers[0]), /snapshot-thick/, "upstream names the moving tag");
  });

  it("fails naming the file when upstream's shape moves", () => {
    const upstream = parseManifest(loadMultusManifest()).filter((o) => (o as { kind: string }).kind !== "DaemonSet");
    assert.throws(() => customizeMultus(upstream, true), /multus-daemonset-thick\.yml: no DaemonSet kube-multus-ds/);
  });
});
