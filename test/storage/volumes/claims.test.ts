import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { storageSchema, type StorageConfig } from "../../../src/storage/section";
import { defaultStorageClass, volumeClaims } from "../../../src/storage/volumes/claims";
import { validateBuiltin } from "../../support/schemas";

const storage = (driver: StorageConfig["driver"], extra: Record<string, unknown> = {}): StorageConfig => ({
  ...storageSchema.parse({ volumes: [{ name: "mariadb-data", namespace: "wordpress", sizeGb: 20 }], ...extra }),
  driver,
});

describe("declared volumes", () => {
  it("claims each volume on the driver's default class, in GiB", async () => {
    const [claim] = volumeClaims(storage("hcloud-csi"));
    assert.equal(claim?.metadata?.name, "mariadb-data");
    assert.equal(claim?.metadata?.namespace, "wordpress");
    assert.equal(claim?.spec?.storageClassName, "hcloud-volumes");
    assert.deepEqual(claim?.spec?.resources?.requests, { storage: "20Gi" });
    await validateBuiltin(claim as never);
  });

  it("names the encrypted class when encryption is on, local-path at home, nothing without a driver", () => {
    assert.equal(volumeClaims(storage("hcloud-csi", { hcloudCsi: { encryption: true } }))[0]?.spec?.storageClassName, "hcloud-volumes-encrypted");
    assert.equal(volumeClaims(storage("local-path"))[0]?.spec?.storageClassName, "local-path");
    assert.deepEqual(volumeClaims(storage("none")), []);
    assert.equal(defaultStorageClass(storage("none")), undefined);
  });
});
