import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { apiUrl, rewriteKubeconfig } from "../../src/cluster/kubeconfig";

// The shape k3s writes to /etc/rancher/k3s/k3s.yaml (certificate data shortened).
const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tQ0E=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: LS0tQ0VSVA==
    client-key-data: LS0tS0VZ
`;

describe("rewriteKubeconfig", () => {
  it("points the cluster at the operator's endpoint and names it after the site", () => {
    const doc = parse(rewriteKubeconfig(K3S_YAML, apiUrl("k8s.example.com"), "prod"));
    assert.equal(doc.clusters[0].cluster.server, "https://k8s.example.com:6443");
    assert.equal(doc.clusters[0].cluster["certificate-authority-data"], "LS0tQ0E=");
    assert.deepEqual(doc.contexts[0], { context: { cluster: "prod", user: "prod" }, name: "prod" });
    assert.equal(doc["current-context"], "prod");
    assert.equal(doc.users[0].name, "prod");
    assert.equal(doc.users[0].user["client-key-data"], "LS0tS0VZ");
  });

  it("brackets IPv6 endpoints", () => {
    assert.equal(apiUrl("2001:db8::1"), "https://[2001:db8::1]:6443");
    assert.equal(apiUrl("198.51.100.7"), "https://198.51.100.7:6443");
  });

  it("refuses a file that is not what k3s writes", () => {
    assert.throws(() => rewriteKubeconfig("clusters: []\n", "https://x:6443", "prod"), /not the single-cluster file k3s writes/);
  });
});
