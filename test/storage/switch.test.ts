/** A change of storage.driver on a running site: the warning the program logs before anything happens. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { storageSchema, type StorageConfig } from "../../src/storage/section";
import { STORAGE_DRIVER_OUTPUT, storageDriverSwitch } from "../../src/storage/switch";
import { planOf } from "../plan/run";

const storage = (driver: StorageConfig["driver"], hcloudCsi = {}): StorageConfig => ({ ...storageSchema.parse({ hcloudCsi }), driver });

describe("storage.driver switch on a running site", () => {
  it("says nothing on a new site or when the driver stays", () => {
    assert.deepEqual(storageDriverSwitch(false, undefined, storage("hcloud-csi")), []);
    assert.deepEqual(storageDriverSwitch(true, "hcloud-csi", storage("hcloud-csi")), []);
    assert.deepEqual(storageDriverSwitch(true, "local-path", storage("local-path")), []);
    assert.deepEqual(storageDriverSwitch(true, undefined, storage("local-path")), []);
  });

  it("a Hetzner site deployed before storage existed: k3s's local-path goes off, what happens to its volumes", () => {
    const [line, ...rest] = storageDriverSwitch(true, undefined, storage("hcloud-csi"));
    assert.deepEqual(rest, []);
    assert.match(line ?? "", /^storage\.driver local-path -> hcloud-csi: this run switches k3s's local-path provisioner off on the running site/);
    assert.match(line ?? "", /Existing local-path volumes keep their data on their nodes/);
    assert.match(line ?? "", /a claim naming the class local-path .* stays Pending/);
    assert.match(line ?? "", /claims that name no class now get hcloud-volumes\./);
    assert.match(storageDriverSwitch(true, undefined, storage("hcloud-csi", { encryption: true }))[0] ?? "", /now get hcloud-volumes-encrypted\./);
  });

  it("local-path switched off by choice, and Hetzner's driver taken away", () => {
    assert.match(storageDriverSwitch(true, "local-path", storage("none"))[0] ?? "", /claims that name no class stay Pending \(no default class\)/);
    assert.match(
      storageDriverSwitch(true, "hcloud-csi", storage("none"))[0] ?? "",
      /^storage\.driver hcloud-csi -> none: this run deletes Hetzner's CSI driver .* Keep storage\.driver hcloud-csi while any claim uses a Hetzner volume/,
    );
  });
});

describe("the recorded driver", () => {
  it("is a stack output of the program, for the next run to compare", async () => {
    const run = await planOf("home");
    assert.equal(run.outputs[STORAGE_DRIVER_OUTPUT], "local-path");
  });
});
