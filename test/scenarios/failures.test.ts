/**
 * Day-2 runs that fail in the middle, and the run after them (issue 24). Each retry is planned from the stack outputs
 * the failed run leaves (harness.ts, failedRun): it must finish the job the way the unbroken run would have.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProgramRun } from "../../plan/engine";
import { NEW_K3S, SCENARIOS, baseConfig } from "./cases";
import { edited, failedRun, planConfig, type StackConfig } from "./harness";

/** The prod example deployed, planned when a test first asks (not when the file loads: other files share the process). */
let base: Promise<ProgramRun> | undefined;
const baseOf = () => (base ??= planConfig(baseConfig("prod")));
/** The deployment the k3s upgrade starts from: prod on the old pin. */
let upgradeBase: Promise<ProgramRun> | undefined;
const upgradeBaseOf = () => (upgradeBase ??= planConfig(baseConfig(SCENARIOS.k3sMinorUpgrade.base)));

const byName = (run: ProgramRun, name: string) => {
  const r = run.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
};
/** Whether `node`'s bootstrap waits for `other`'s (through dependsOn). */
const waitsFor = (run: ProgramRun, node: string, other: string) =>
  byName(run, `site-k3s-node-${node}`).dependsOn.includes(byName(run, `site-k3s-node-${other}`).urn);
const renewed = (run: ProgramRun) =>
  run.resources.filter((r) => r.name.startsWith("site-k3s-renew-")).map((r) => r.name.slice("site-k3s-renew-".length)).sort();

describe("a k3s upgrade that fails on one node", () => {
  for (const failing of ["site-k3s-node-control-2", "site-k3s-node-worker-1", "site-k3s-node-worker-2"]) {
    it(`(${failing}) keeps the old version on record, so the retry rolls the agents after every server again`, async () => {
      const before = await upgradeBaseOf();
      const upgrade = SCENARIOS.k3sMinorUpgrade.config();
      const unbroken = await planConfig(upgrade, before);
      assert.ok(waitsFor(unbroken, "worker-1", "control-3"), "the unbroken upgrade rolls the agents after the servers");
      assert.equal(unbroken.outputs.k3sVersion, NEW_K3S);
      const failed = await failedRun(upgrade, before, failing);
      assert.equal(failed.outputs.k3sVersion, before.outputs.k3sVersion, "the failed run recorded a version it did not finish");
      const retry = await planConfig(upgrade, failed);
      assert.ok(waitsFor(retry, "worker-1", "control-3"), "the retry runs the agents ahead of servers still on the old version");
      assert.ok(waitsFor(retry, "control-3", "control-2"), "servers one at a time");
    });
  }
});

describe("a certificate renewal that fails on one node", () => {
  const soon = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000).toISOString();
  for (const failing of ["site-k3s-renew-control-2", "site-k3s-renew-worker-2", "site-k3s-kubeconfig"]) {
    it(`(${failing}) keeps the old expiry on record, so the retry renews every node again`, async () => {
      const deployed = await baseOf();
      const before = { ...deployed, outputs: { ...deployed.outputs, kubeconfigExpires: soon } };
      const config = baseConfig("prod");
      const unbroken = await planConfig(config, before);
      assert.deepEqual(renewed(unbroken), ["control-1", "control-2", "control-3", "worker-1", "worker-2"]);
      const failed = await failedRun(config, before, failing);
      assert.equal(failed.outputs.kubeconfigExpires, soon, "the failed run recorded a renewal it did not finish");
      // Pulumi keeps the renewals that succeeded in the state with the same inputs, so the retry runs only the rest;
      // what matters is that the program still asks for all of them.
      assert.deepEqual(renewed(await planConfig(config, failed)), renewed(unbroken));
    });
  }
});

describe("a removal in the same run as a change of the connection it runs with", () => {
  const SITE = "k3s-sites:site";
  const withoutWorker2 = (c: StackConfig) => {
    (c[SITE].pools as { name: string; count: number }[]).find((p) => p.name === "worker")!.count = 1;
  };
  /** The previous deployment connected with another key (offline, every encrypted value is the same placeholder). */
  const oldKey = (outputs: Record<string, unknown>) => {
    (outputs.sshAccess as { key: string }).key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOldKeyOldKeyOldKeyOldKeyOldKeyOldKeyOld";
  };

  it("is refused before any resource when the SSH key changes, naming both changes and the fix", async () => {
    const before = await baseOf();
    assert.ok(before.outputs.sshAccess, "the stack records how it reaches the nodes");
    const config = edited(SCENARIOS.rotateSshKey.config(), withoutWorker2);
    await assert.rejects(planConfig(config, before, "prod", oldKey), (err: Error) => {
      assert.match(
        err.message,
        /site\.pools would remove worker-2 in the same run that changes the SSH key the program connects with \(k3s-sites:sshPrivateKey is a different key\): a removal runs over SSH on control-1 with the connection the previous deployment stored .* Change the connection in one run and remove the nodes in the next: keep worker-2 in site\.pools for this run/,
      );
      return true;
    });
    // Each change alone plans.
    await planConfig(SCENARIOS.rotateSshKey.config(), before, "prod", oldKey);
    await planConfig(SCENARIOS.removeLastAgent.config(), before);
  });

  it("is refused when public IPv4 is turned off, which takes away the address the removal dials", async () => {
    const config = edited(SCENARIOS.publicIpv4Off.config(), withoutWorker2);
    await assert.rejects(planConfig(config, await baseOf()), (err: Error) => {
      assert.match(err.message, /would remove worker-2 in the same run that changes how control-1 is reached \(site\.publicIpv4 \(now false\): root@public IPv4 -> root@public IPv6\)/);
      return true;
    });
  });

  it("is still refused after a rotation that failed: the record keeps the old key until every membership holds the new one", async () => {
    const deployed = await baseOf();
    const before = { ...deployed, outputs: { ...deployed.outputs, sshAccess: { ...(deployed.outputs.sshAccess as object) } } };
    oldKey(before.outputs);
    const failed = await failedRun(SCENARIOS.rotateSshKey.config(), before, "site-k3s-node-control-2");
    assert.deepEqual(failed.outputs.sshAccess, before.outputs.sshAccess);
    await assert.rejects(planConfig(edited(SCENARIOS.rotateSshKey.config(), withoutWorker2), failed), /k3s-sites:sshPrivateKey is a different key/);
  });
});

describe("a removal in the first run after an update of k3s-sites", () => {
  const REMOVAL = /^.*site\.pools would remove worker-2, but the previous deployment (.*): Pulumi deletes with the inputs in its state, so the removal would run the script an earlier version of k3s-sites stored\. Run `pulumi up` once without removing nodes \(keep worker-2 in site\.pools\): it gives every membership command this version's script and runs nothing on the nodes; then remove them/m;

  it("is refused when the previous deployment does not record the removal script, naming the extra run", async () => {
    const before = await baseOf();
    assert.match(String(before.outputs.removalScript), /^leave\.sh sha256:[0-9a-f]{64}$/, "the stack records the removal script");
    await assert.rejects(
      planConfig(SCENARIOS.removeLastAgent.config(), before, "prod", (o) => delete o.removalScript),
      (err: Error) => {
        assert.match(err.message, REMOVAL);
        assert.match(err.message, /does not record which removal script its membership commands hold \(no stack output removalScript/);
        return true;
      },
    );
  });

  it("is refused when the recorded script is another version's, naming both", async () => {
    await assert.rejects(
      planConfig(SCENARIOS.removeLastAgent.config(), await baseOf(), "prod", (o) => (o.removalScript = "leave.sh sha256:0123")),
      (err: Error) => {
        assert.match(err.message, REMOVAL);
        assert.match(err.message, /records another removal script \(removalScript: leave\.sh sha256:0123; this version's: leave\.sh sha256:[0-9a-f]{64}\)/);
        return true;
      },
    );
  });

  it("plans once a run without removals has recorded this version's script", async () => {
    const before = await baseOf();
    const update = await planConfig(baseConfig("prod"), before, "prod", (o) => delete o.removalScript);
    assert.equal(update.outputs.removalScript, before.outputs.removalScript);
    const removal = await planConfig(SCENARIOS.removeLastAgent.config(), update);
    assert.ok(!removal.resources.some((r) => r.name === "site-k3s-membership-worker-2"), "worker-2 leaves");
  });
});
