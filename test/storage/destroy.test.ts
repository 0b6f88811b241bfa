import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { destroyLeaves } from "../../src/storage/destroy";
import { storageSchema, type StorageConfig } from "../../src/storage/section";

const storage = (driver: StorageConfig["driver"], extra: Record<string, unknown> = {}): StorageConfig => ({
  ...storageSchema.parse({ volumes: [{ name: "mariadb-data", namespace: "wordpress", sizeGb: 20 }], ...extra }),
  driver,
});

describe("what a destroy leaves", () => {
  it("names the declared claims and how to list the site's Hetzner volumes", () => {
    const left = destroyLeaves({ storage: storage("hcloud-csi") }, "prod");
    assert.deepEqual(left.claims, ["wordpress/mariadb-data"]);
    assert.match(left.note, /those of deleted claims too \(reclaimPolicy Retain\)/);
    assert.match(left.note, /hcloud volume list -l k3s-sites\/site=prod/);
    // The check's Delete-class volume is deleted by the driver after its claim, and the destroy deletes the driver
    // without waiting for it: the note does not promise it is gone.
    assert.match(left.note, /is deleted by the driver once its claim is gone, which the destroy does not wait for before it deletes the driver/);
  });

  it("says Delete volumes stay only while their claim does", () => {
    assert.match(destroyLeaves({ storage: storage("hcloud-csi", { hcloudCsi: { reclaimPolicy: "Delete" } }) }, "prod").note, /unless their claim was deleted first/);
  });

  it("points at the hosts' directories on local-path sites", () => {
    assert.match(destroyLeaves({ storage: storage("local-path", { localPath: { path: "/srv/k3s" } }) }, "home").note, /under \/srv\/k3s on each host/);
  });
});
