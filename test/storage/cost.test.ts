import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HETZNER_VOLUME_PRICE, monthlyVolumeCost } from "../../src/storage/cost";
import { storageSchema, type StorageConfig } from "../../src/storage/section";

const storage = (driver: StorageConfig["driver"], volumes: { name: string; namespace: string; sizeGb: number }[] = []): StorageConfig => ({
  ...storageSchema.parse({ volumes }),
  driver,
});

describe("monthly volume cost", () => {
  it("prices declared Hetzner volumes and the check's claim at the dated price", () => {
    const cost = monthlyVolumeCost({ storage: storage("hcloud-csi", [{ name: "db", namespace: "wp", sizeGb: 100 }]), verify: true });
    assert.deepEqual(cost.lines, [
      { what: "wp/db", gb: 100, eurPerMonth: 5.72 },
      { what: "verification check", gb: 10, eurPerMonth: 0.57 },
    ]);
    assert.equal(cost.eurPerMonth, 6.29);
    assert.equal(cost.price.date, HETZNER_VOLUME_PRICE.date);
    assert.match(cost.price.source, /pricing/);
  });

  it("leaves the check out when the checks are off", () => {
    assert.equal(monthlyVolumeCost({ storage: storage("hcloud-csi"), verify: false }).eurPerMonth, 0);
  });

  it("costs nothing for local-path or no driver", () => {
    for (const driver of ["local-path", "none"] as const) {
      assert.deepEqual(monthlyVolumeCost({ storage: storage(driver, [{ name: "db", namespace: "wp", sizeGb: 100 }]), verify: true }).lines, []);
    }
  });
});
