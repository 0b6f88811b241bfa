import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { SAMPLE_K3S_KUBECONFIG } from "../../plan/mocks";
import { apiUrl, programApiHost, rewriteKubeconfig } from "../../src/cluster/kubeconfig";

// The shape k3s writes to /etc/rancher/k3s/k3s.yaml, with placeholder credentials: what the offline mocks answer.
const K3S_YAML = SAMPLE_K3S_KUBECONFIG;

describe("rewriteKubeconfig", () => {
  it("points the cluster at the operator's endpoint and names it after the site", () => {
    const doc = parse(rewriteKubeconfig(K3S_YAML, apiUrl("k8s.example.com"), "prod"));
    assert.equal(doc.clusters[0].cluster.server, "https://k8s.example.com:6443");
    assert.equal(doc.clusters[0].cluster["certificate-authority-data"], "UExBQ0VIT0xERVI=");
    assert.deepEqual(doc.contexts[0], { context: { cluster: "prod", user: "prod" }, name: "prod" });
    assert.equal(doc["current-context"], "prod");
    assert.equal(doc.users[0].name, "prod");
    assert.equal(doc.users[0].user["client-key-data"], "UExBQ0VIT0xERVI=");
  });

  it("brackets IPv6 endpoints", () => {
    assert.equal(apiUrl("2001:db8::1"), "https://[2001:db8::1]:6443");
    assert.equal(apiUrl("198.51.100.7"), "https://198.51.100.7:6443");
  });

  it("refuses a file that is not what k3s writes", () => {
    assert.throws(() => rewriteKubeconfig("clusters: []\n", "https://x:6443", "prod"), /not the single-cluster file k3s writes/);
  });
});

describe("programApiHost", () => {
  it("is the first public address of a Hetzner server (IPv4, or IPv6 without one) and a home server's SSH address", () => {
    assert.equal(programApiHost("hetzner", { sshHost: "198.51.100.7", publicAddresses: ["198.51.100.7", "2001:db8::1"] }), "198.51.100.7");
    assert.equal(programApiHost("hetzner", { sshHost: "2001:db8::1", publicAddresses: ["2001:db8::1"] }), "2001:db8::1");
    assert.equal(programApiHost("ssh", { sshHost: "nuc.lan", publicAddresses: ["203.0.113.9"] }), "nuc.lan");
    assert.throws(() => programApiHost("hetzner", { sshHost: "", publicAddresses: [""] }), /no public address/);
  });
});
