import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import { clusterWideServerConfig, nodeConfig } from "../../src/k3s/config";
import type { SiteConfig } from "../../src/config/site";
import { exampleSections, hetznerSections, parse1, sshSections } from "../helpers";

function configOf(config: SiteConfig, name: string, tlsSans: string[] = []): Record<string, unknown> {
  const node = config.nodes.find((n) => n.name === name);
  assert.ok(node, `no node ${name}`);
  return nodeConfig(config, { node, ...firstDeploymentJoin(config, node), tlsSans });
}

describe("k3s config.yaml", () => {
  const prod = parse1(exampleSections("prod"));
  const home = parse1(exampleSections("home"));

  it("binds every node to its private address, never the address auto-detection would pick", () => {
    for (const node of prod.nodes) {
      const c = configOf(prod, node.name);
      assert.equal(c["node-ip"], node.privateIp);
      assert.equal(c["node-name"], node.name);
      if (node.role === "server") assert.equal(c["advertise-address"], node.privateIp);
      else assert.equal(c["advertise-address"], undefined);
    }
  });

  it("initializes the cluster on the first server and joins everything else to it", () => {
    const first = configOf(prod, "control-1");
    assert.equal(first["cluster-init"], true);
    assert.equal(first.server, undefined);
    for (const name of ["control-2", "control-3", "worker-1"]) {
      const c = configOf(prod, name);
      assert.equal(c["cluster-init"], undefined, name);
      assert.equal(c.server, "https://10.0.116.10:6443", name);
    }
  });

  it("puts the API name, the server's private and public addresses in its certificate, and nothing of other servers", () => {
    assert.deepEqual(configOf(prod, "control-2", ["198.51.100.13", "2001:db8::1"])["tls-san"], [
      "k8s.example.com",
      "10.0.116.11",
      "198.51.100.13",
      "2001:db8::1",
    ]);
    assert.equal(configOf(prod, "worker-1", ["198.51.100.41"])["tls-san"], undefined);
  });

  it("takes the cluster-wide settings of every server from one place, identical on all", () => {
    const shared = clusterWideServerConfig(prod);
    for (const name of ["control-1", "control-2", "control-3"]) {
      const c = configOf(prod, name);
      for (const [key, value] of Object.entries(shared)) assert.deepEqual(c[key], value, `${name} ${key}`);
    }
    assert.deepEqual(shared, {
      "cluster-cidr": "10.42.0.0/16",
      "service-cidr": "10.43.0.0/16",
      "cluster-dns": "10.43.0.10",
      "cluster-domain": "cluster.local",
      "flannel-backend": "none",
      "disable-network-policy": true,
      // Hetzner's volumes are the default class: k3s's local-path provisioner is off (src/storage/hcloud-csi/concern.ts).
      disable: ["traefik", "servicelb", "local-storage"],
      "secrets-encryption": true,
      "etcd-snapshot-schedule-cron": "0 */12 * * *",
      "etcd-snapshot-retention": 5,
    });
  });

  it("keeps cluster settings off agents, which take them from the servers", () => {
    const agent = configOf(prod, "worker-1");
    for (const key of ["cluster-cidr", "flannel-backend", "disable", "secrets-encryption", "write-kubeconfig-mode"]) {
      assert.equal(agent[key], undefined, key);
    }
    assert.equal(agent["protect-kernel-defaults"], true);
  });

  it("turns kube-proxy off with Cilium only, and writes both families when dual-stack", () => {
    assert.equal(clusterWideServerConfig(prod)["disable-kube-proxy"], undefined);
    const shared = clusterWideServerConfig(home);
    assert.equal(shared["disable-kube-proxy"], true);
    assert.equal(shared["cluster-cidr"], "10.42.0.0/16,fd00:42::/56");
    assert.equal(shared["service-cidr"], "10.43.0.0/16,fd00:43::/112");
    assert.equal(configOf(home, "pi-1")["node-ip"], "192.168.1.21,fd00:1::21");
  });

  it("sets node-external-ip only where configured", () => {
    const raw = sshSections();
    raw.site.hosts[1].externalIp = "203.0.113.21";
    const config = parse1(raw);
    assert.equal(configOf(config, "pi")["node-external-ip"], "203.0.113.21");
    assert.equal(configOf(config, "nuc")["node-external-ip"], undefined);
  });

  it("writes the kubeconfig readable by root only", () => {
    assert.equal(configOf(prod, "control-1")["write-kubeconfig-mode"], "0600");
  });

  it("uploads etcd snapshots to S3 when configured, without credentials in the file", () => {
    const raw = hetznerSections();
    raw.k3s.etcdSnapshots = { schedule: "0 3 * * *", retention: 14, s3: { bucket: "snaps", folder: "prod", region: "eu-central-1" } };
    const c = configOf(parse1(raw), "control-1");
    assert.equal(c["etcd-snapshot-schedule-cron"], "0 3 * * *");
    assert.equal(c["etcd-snapshot-retention"], 14);
    assert.equal(c["etcd-s3"], true);
    assert.equal(c["etcd-s3-bucket"], "snaps");
    assert.equal(c["etcd-s3-folder"], "prod");
    assert.equal(c["etcd-s3-region"], "eu-central-1");
    assert.equal(c["etcd-s3-endpoint"], "s3.amazonaws.com");
    assert.ok(!Object.keys(c).some((k) => /key/.test(k)), "no access or secret key in config.yaml");
  });

  it("runs a single sqlite server without cluster-init or etcd snapshots", () => {
    const raw = sshSections();
    raw.k3s.datastore = "sqlite";
    const c = configOf(parse1(raw), "nuc");
    assert.equal(c["cluster-init"], undefined);
    assert.equal(c["etcd-snapshot-retention"], undefined);
  });
});
