import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { publicKeyOfPrivateKey } from "../../src/k3s/ssh-key";
import { secretPlaceholder } from "../../plan/engine";

/** An SSH wire-format string: uint32 length, then the bytes. */
function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "latin1") : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An OpenSSH private key container (PROTOCOL.key) around a public key blob; the private part is filler. */
function keyFile(publicBlob: Buffer, cipher = "none"): string {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString(cipher),
    sshString(cipher === "none" ? "none" : "bcrypt"),
    sshString(cipher === "none" ? "" : Buffer.alloc(24)),
    count,
    sshString(publicBlob),
    sshString(Buffer.alloc(64, 7)),
  ]);
  const lines = body.toString("base64").match(/.{1,70}/g)!.join("\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

describe("publicKeyOfPrivateKey", () => {
  const blob = Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.alloc(32, 1))]);
  const expected = `ssh-ed25519 ${blob.toString("base64")}`;

  it("reads the public half of an OpenSSH key, also when the private half is encrypted", () => {
    assert.equal(publicKeyOfPrivateKey(keyFile(blob)), expected);
    assert.equal(publicKeyOfPrivateKey(keyFile(blob, "aes256-ctr")), expected);
    assert.equal(expected.startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"), true, "the authorized_keys form");
  });

  it("answers undefined for anything else, so the script keeps only the site's key", () => {
    assert.equal(publicKeyOfPrivateKey(secretPlaceholder("k3s-sites:sshPrivateKey")), undefined);
    assert.equal(publicKeyOfPrivateKey("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), undefined);
    assert.equal(publicKeyOfPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), undefined);
  });
});
