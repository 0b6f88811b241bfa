import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseSshKey, sshKeyFingerprint, type ProjectSshKey } from "../../src/hetzner/ssh-key";

// Generated with ssh-keygen (OpenSSH), fingerprints from `ssh-keygen -l -E md5 -f key.pub`: the format of the
// `fingerprint` field of Hetzner's SSH keys (hcloud-go v2.47.0 hcloud/schema/ssh_key.go and its fixtures).
const ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAFwJzqUlWjQ0fP0ySHo4IOWYzFuaVCH+UDp2B5ZUYSY fixture";
const ED25519_MD5 = "36:94:25:37:63:0b:28:e8:47:90:8e:53:ee:d3:7f:09";
const RSA =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC6/jxYQdJ4K9aGIJHZXGUw182If8hIHE7xrN8kG72vfHMCsPyZu9s47ow9zql9ouSpA+YMjIPnpeTRt4SCxHaKg2s0lKi31drgxEeAtcHzoMiCF/Oplbu8+xsXntL42zJvj1/s4XKmWGfX4W+0yrcn5ePqGUDohMFhqiEv9hnwbuZP5TpSgijCOkMwWTvWUeDXhjwR02nlXRSweW5we+CLsyjCB01ndyrgfJph14brZkWG78bfX4a72x9YPSu9lMERe6JlgtOSSxhE4VgpfyTMb1W0SxRFWcPa4L+/nK38ojlwNSBFBo5M6bzB1schToz4hx1HKjA6z4uF/aqitNyb fixture";
const RSA_MD5 = "e8:34:00:38:0a:ff:46:b9:70:03:ee:ee:c4:12:0f:6d";

const key = (over: Partial<ProjectSshKey>): ProjectSshKey => ({
  id: 4711,
  name: "laptop",
  fingerprint: ED25519_MD5,
  labels: {},
  ...over,
});

describe("the SSH key's Hetzner fingerprint", () => {
  it("is the MD5 of the decoded key as colon hex, as ssh-keygen -E md5 prints it", () => {
    assert.equal(sshKeyFingerprint(ED25519), ED25519_MD5);
    assert.equal(sshKeyFingerprint(RSA), RSA_MD5);
  });

  it("ignores the comment and surrounding space", () => {
    assert.equal(sshKeyFingerprint(`  ${ED25519.replace("fixture", "someone@else")}\n`), ED25519_MD5);
  });
});

describe("which SSH key a site uses", () => {
  it("uploads its own when the project has no key with the fingerprint", () => {
    assert.deepEqual(chooseSshKey([key({ fingerprint: RSA_MD5 })], "prod", ED25519), { kind: "manage" });
  });

  it("uses a key uploaded by hand, or by another site, by its ID", () => {
    assert.deepEqual(chooseSshKey([key({})], "prod", ED25519), { kind: "use-existing", id: 4711, name: "laptop" });
    assert.deepEqual(chooseSshKey([key({ labels: { "k3s-sites/site": "staging" } })], "prod", ED25519), {
      kind: "use-existing",
      id: 4711,
      name: "laptop",
    });
  });

  it("keeps managing its own key when a later run finds it by fingerprint", () => {
    assert.deepEqual(chooseSshKey([key({ labels: { "k3s-sites/site": "prod" } })], "prod", ED25519), { kind: "manage" });
  });
});
