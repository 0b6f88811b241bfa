import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeSpec } from "../../../src/config/site";
import { checkVolumes, type StorageRuleInput } from "../../../src/storage/volumes/rules";
import { checkHcloudCsi } from "../../../src/storage/hcloud-csi/rules";
import { storageSchema, type StorageConfig } from "../../../src/storage/section";
import { checkHetznerVolumeLimits } from "../../../src/storage/hcloud-csi/limits";

const node = (name: string): NodeSpec => ({ name, role: "server", privateIp: "10.0.1.2", arch: "amd64" });

function input(storage: Record<string, unknown>, kind: "hetzner" | "ssh" = "hetzner", nodes = 1): StorageRuleInput {
  const parsed = storageSchema.parse(storage);
  const resolved: StorageConfig = { ...parsed, driver: parsed.driver ?? (kind === "hetzner" ? "hcloud-csi" : "local-path") };
  return {
    site: { kind },
    storage: resolved,
    nodes: Array.from({ length: nodes }, (_, i) => node(`n${i}`)),
    networkPolicies: { apps: [{ name: "mariadb", namespace: "wordpress" }] },
  };
}

const messages = (problems: { path: string; message: string }[]) => problems.map((p) => `${p.path} ${p.message}`);

describe("storage rules", () => {
  it("refuses Hetzner's driver on an ssh site", () => {
    assert.match(messages(checkHcloudCsi(input({ driver: "hcloud-csi" }, "ssh")))[0] ?? "", /^storage.driver hcloud-csi needs Hetzner Cloud servers.*use local-path/);
    assert.deepEqual(checkHcloudCsi(input({}, "ssh")), []);
    assert.deepEqual(checkHcloudCsi(input({})), []);
  });

  it("leaves a driver's settings on a site of another driver to the unused-settings rule (src/config/rules-unused.ts)", () => {
    assert.deepEqual(checkHcloudCsi(input({ driver: "local-path", hcloudCsi: { encryption: true } })), []);
  });

  it("refuses volumes with no driver, outside the apps' namespaces, or declared twice", () => {
    const v = { name: "data", namespace: "wordpress", sizeGb: 10 };
    assert.match(messages(checkVolumes(input({ driver: "none", volumes: [v] })))[0] ?? "", /^storage.volumes declares 1 volume, but storage.driver is none/);
    assert.match(messages(checkVolumes(input({ volumes: [{ ...v, namespace: "shop" }] })))[0] ?? "", /^storage.volumes\[0\].namespace shop is the namespace of no app.*\(wordpress\)/);
    assert.match(messages(checkVolumes(input({ volumes: [v, v] })))[0] ?? "", /^storage.volumes\[1\].name data is declared twice in namespace wordpress \(also storage.volumes\[0\]\)/);
    assert.deepEqual(checkVolumes(input({ volumes: [v] })), []);
  });

  it("applies Hetzner's limits on Hetzner volumes only", () => {
    const small = { volumes: [{ name: "data", namespace: "wordpress", sizeGb: 5 }] };
    assert.match(messages(checkHcloudCsi(input(small)))[0] ?? "", /^storage.volumes\[0\].sizeGb 5 is below/);
    assert.deepEqual(checkHcloudCsi(input(small, "ssh")), []);
    assert.deepEqual(checkVolumes(input(small)), []);
  });
});

describe("Hetzner volume limits", () => {
  const vol = (sizeGb: number, i = 0) => ({ name: `v${i}`, namespace: "wordpress", sizeGb });

  it("refuses volumes below 10 GB and above 10 TB, with the size to use", () => {
    assert.deepEqual(messages(checkHetznerVolumeLimits({ volumes: [vol(9), vol(10), vol(10240), vol(10241)], nodeCount: 1 })), [
      "storage.volumes[0].sizeGb 9 is below Hetzner's smallest volume, 10 GB: the driver would create (and Hetzner bill) 10 GB anyway; set sizeGb: 10",
      "storage.volumes[3].sizeGb 10241 is above Hetzner's largest volume, 10240 GB (10 TB): split the data over several volumes of at most 10240 GB",
    ]);
  });

  it("refuses more volumes than 16 per node can attach", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => vol(10, i));
    assert.deepEqual(checkHetznerVolumeLimits({ volumes: many(32), nodeCount: 2 }), []);
    assert.deepEqual(messages(checkHetznerVolumeLimits({ volumes: many(17), nodeCount: 1 })), [
      "storage.volumes declares 17 volumes, more than the 16 that 1 node can attach (Hetzner's driver attaches at most 16 per server): add nodes, or merge volumes",
    ]);
  });
});
