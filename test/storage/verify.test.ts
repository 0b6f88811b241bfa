import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { storageSchema, type StorageConfig } from "../../src/storage/section";
import { storageCheckPlan, storageCheckScript } from "../../src/storage/verify";
import { shellcheck } from "../support/shellcheck";
import { validateBuiltin } from "../support/schemas";

const storage = (driver: StorageConfig["driver"]): StorageConfig => ({ ...storageSchema.parse({}), driver });

describe("storage check plan", () => {
  it("claims a Delete-class Hetzner volume of Hetzner's smallest size, so a destroy leaves none", () => {
    const plan = storageCheckPlan({ storage: storage("hcloud-csi"), verify: true });
    const pvc = plan?.objects.find((o) => o.kind === "PersistentVolumeClaim") as { spec: { storageClassName: string; resources: { requests: { storage: string } } } } | undefined;
    assert.equal(pvc?.spec.storageClassName, "hcloud-volumes-delete");
    assert.equal(pvc?.spec.resources.requests.storage, "10Gi");
  });

  it("claims from k3s's local-path class at home, and runs nowhere without a driver or with checks off", () => {
    const pvc = storageCheckPlan({ storage: storage("local-path"), verify: true })?.objects.find((o) => o.kind === "PersistentVolumeClaim") as
      | { spec: { storageClassName: string } }
      | undefined;
    assert.equal(pvc?.spec.storageClassName, "local-path");
    assert.equal(storageCheckPlan({ storage: storage("none"), verify: true }), undefined);
    assert.equal(storageCheckPlan({ storage: storage("local-path"), verify: false }), undefined);
  });

  it("mounts the same claim in the writer and the reader, with the same token", () => {
    const plan = storageCheckPlan({ storage: storage("hcloud-csi"), verify: true })!;
    const claimOf = (job: unknown) =>
      (job as { spec: { template: { spec: { volumes: { persistentVolumeClaim?: { claimName: string } }[] } } } }).spec.template.spec.volumes.find(
        (v) => v.persistentVolumeClaim,
      )?.persistentVolumeClaim?.claimName;
    const envOf = (job: unknown, name: string) =>
      (job as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }).spec.template.spec.containers[0]?.env.find((e) => e.name === name)?.value;
    assert.equal(claimOf(plan.write), plan.claim);
    assert.equal(claimOf(plan.read), plan.claim);
    assert.equal(envOf(plan.write, "TOKEN"), envOf(plan.read, "TOKEN"));
    assert.deepEqual([envOf(plan.write, "MODE"), envOf(plan.read, "MODE")], ["write", "read"]);
    assert.notEqual(plan.write.metadata.name, plan.read.metadata.name);
  });

  it("writes objects the Kubernetes schema accepts", async () => {
    const plan = storageCheckPlan({ storage: storage("hcloud-csi"), verify: true })!;
    for (const o of [...plan.objects, plan.write, plan.read]) await validateBuiltin(o as never);
  });
});

describe("storage check script", () => {
  const script = storageCheckScript();
  const run = (dir: string, mode: string, token: string) => {
    const file = join(dir, "check.sh");
    // Read-only, as its ConfigMap mounts it: written once per folder (a second write is refused to anyone but root).
    if (!existsSync(file)) {
      writeFileSync(file, script);
      chmodSync(file, 0o555);
    }
    return spawnSync("bash", [file], { env: { PATH: process.env.PATH ?? "", MODE: mode, TOKEN: token, CLAIM: "c", NODE_NAME: "n1", DATA_DIR: join(dir, "data") }, encoding: "utf8" });
  };
  const withDir = (fn: (dir: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), "storage-check-"));
    try {
      spawnSync("mkdir", [join(dir, "data")]);
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("reads back what the writer wrote", () => {
    withDir((dir) => {
      const w = run(dir, "write", "abc");
      assert.equal(w.status, 0, w.stdout);
      assert.match(w.stdout, /^ok   storage c on n1: expected to write abc, wrote it$/m);
      const r = run(dir, "read", "abc");
      assert.equal(r.status, 0, r.stdout);
      assert.match(r.stdout, /^ok   storage c on n1: expected abc written by the previous pod, saw it$/m);
    });
  });

  it("fails when the data is gone or another run's, naming what it saw", () => {
    withDir((dir) => {
      const empty = run(dir, "read", "abc");
      assert.equal(empty.status, 1);
      assert.match(empty.stdout, /^FAIL storage c on n1: expected abc written by the previous pod, saw nothing; likely cause/m);
      run(dir, "write", "old");
      const other = run(dir, "read", "new");
      assert.equal(other.status, 1);
      assert.match(other.stdout, /saw old;/);
    });
  });

  it("fails when it cannot write", () => {
    withDir((dir) => {
      const w = spawnSync("bash", ["-c", script], { env: { PATH: process.env.PATH ?? "", MODE: "write", TOKEN: "t", CLAIM: "c", NODE_NAME: "n1", DATA_DIR: join(dir, "missing") }, encoding: "utf8" });
      assert.equal(w.status, 1);
      assert.match(w.stdout, /^FAIL storage c on n1: expected to write t, saw the write fail/m);
    });
  });

  it("says when the claim kept an earlier run's token", () => {
    withDir((dir) => {
      run(dir, "write", "first");
      assert.match(run(dir, "write", "second").stdout, /^info storage c on n1: the claim still holds first from an earlier run$/m);
    });
  });

  it("passes shellcheck", async () => {
    assert.deepEqual(await shellcheck({ "check.sh": script }), []);
  });
});
