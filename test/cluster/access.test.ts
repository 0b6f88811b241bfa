import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRemovalAccess, sshAccessOf } from "../../src/cluster/access";
import { clusterMembersOf } from "../../src/cluster/membership";
import { fixedSettingsOf } from "../../src/cluster/guards";
import { clone, exampleSections, parse1 } from "../helpers";

const homeRaw = exampleSections("home");
const home = parse1(homeRaw);
/** The home example without pi-2, planned after the full example's deployment. */
function withoutPi2(edit: (hosts: Record<string, unknown>[]) => void = () => {}) {
  const raw = clone(homeRaw);
  raw.site.hosts = (raw.site.hosts as Record<string, unknown>[]).filter((h) => h.name !== "pi-2");
  edit(raw.site.hosts as Record<string, unknown>[]);
  const config = parse1(raw);
  return { config, members: clusterMembersOf(config, fixedSettingsOf(home)) };
}

describe("a removal and the connection it runs with", () => {
  it("records the key's public half, or a digest, and each node's endpoint", () => {
    const access = sshAccessOf(home, "not an OpenSSH key");
    assert.match(access.key!, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(access.endpoints, {
      nuc: "admin@192.168.1.10:22",
      "pi-1": "pi@192.168.1.21:22",
      "pi-2": "pi@192.168.1.22:22 via admin@nuc.lan:22",
    });
    assert.equal(sshAccessOf(home, undefined).key, null);
  });

  it("refuses a removal when the host its removal runs on is reached another way in the same run", () => {
    const before = sshAccessOf(home, "key");
    const { config, members } = withoutPi2((hosts) => (hosts.find((h) => h.name === "nuc")!.address = "192.168.1.11"));
    const problems = checkRemovalAccess(config, members, before, sshAccessOf(config, "key"));
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, "site.hosts");
    assert.match(
      problems[0]!.message,
      /^would remove pi-2 in the same run that changes how nuc is reached \(site\.hosts nuc ssh: admin@192\.168\.1\.10:22 -> admin@192\.168\.1\.11:22\): .* keep pi-2 in site\.hosts for this run$/,
    );
  });

  it("lets a removal through when nothing it dials with changes, or when no deployment recorded it", () => {
    const { config, members } = withoutPi2();
    assert.deepEqual(checkRemovalAccess(config, members, sshAccessOf(home, "key"), sshAccessOf(config, "key")), []);
    assert.deepEqual(checkRemovalAccess(config, members, undefined, sshAccessOf(config, "other key")), []);
    // The removed node's own endpoint does not matter: its removal runs on nuc.
    const moved = withoutPi2();
    const before = { ...sshAccessOf(home, "key"), endpoints: { ...sshAccessOf(home, "key").endpoints, "pi-2": "pi@elsewhere:22" } };
    assert.deepEqual(checkRemovalAccess(moved.config, moved.members, before, sshAccessOf(moved.config, "key")), []);
  });

  it("keeps the nodes a run removed as leaving, and refuses a connection change in the run after, which may retry them", () => {
    const { config, members } = withoutPi2();
    const removal = sshAccessOf(config, "key", sshAccessOf(home, "key"));
    assert.deepEqual(removal.leaving, ["pi-2"]);
    // The removal's delete failed: Pulumi saved this run's record, without pi-2; the retry rotates the key.
    const retry = sshAccessOf(config, "new key", removal);
    const problems = checkRemovalAccess(config, members, removal, retry);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, "site.hosts");
    assert.match(
      problems[0]!.message,
      /^pi-2 was removed by the previous run, which may not have finished .*sshAccess lists pi-2 as leaving.* changes the SSH key the program connects with \(k3s-sites:sshPrivateKey is a different key\).* runs over SSH on nuc .* Run `pulumi up` once more without changing the connection .* then change the connection in the run after$/s,
    );
    // The same retry without the change plans, and records nothing leaving: the run after may change the connection.
    assert.deepEqual(checkRemovalAccess(config, members, removal, sshAccessOf(config, "key", removal)), []);
    const settled = sshAccessOf(config, "key", removal);
    assert.deepEqual(settled.leaving, []);
    assert.deepEqual(checkRemovalAccess(config, members, settled, sshAccessOf(config, "new key", settled)), []);
  });
});
