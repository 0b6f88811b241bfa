/**
 * The site's SSH key at Hetzner. Hetzner keeps fingerprints unique per project: uploading a key that is already
 * there (by another site, or by hand) is refused. So the site looks the key up by fingerprint first and uses the
 * one it finds, unless that key is the site's own from an earlier run, which the site keeps managing.
 */
import { createHash } from "node:crypto";
import { LABEL } from "./model";

/**
 * The fingerprint Hetzner gives a public key: the MD5 digest of the key's decoded body as colon-separated hex
 * (the `fingerprint` field of hcloud-go v2.47.0 hcloud/schema/ssh_key.go; its fixtures in hcloud/ssh_key_test.go
 * have 16 such bytes). It is what `ssh-keygen -l -E md5` prints after "MD5:".
 */
export function sshKeyFingerprint(publicKey: string): string {
  const body = publicKey.trim().split(/\s+/)[1] ?? "";
  const digest = createHash("md5").update(Buffer.from(body, "base64")).digest("hex");
  return digest.match(/../g)!.join(":");
}

/** A key of the Hetzner project, as hcloud.getSshKeys lists it. */
export interface ProjectSshKey {
  readonly id: number;
  readonly name: string;
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
}


export type SshKeyChoice =
  /** No key with the fingerprint, or the site's own from an earlier run: the site creates (or keeps) its key. */
  | { readonly kind: "manage" }
  /** Someone else's key with the same fingerprint: used by ID, never created, changed or deleted by the site. */
  | { readonly kind: "use-existing"; readonly id: number; readonly name: string };

export function chooseSshKey(keys: readonly ProjectSshKey[], siteName: string, publicKey: string): SshKeyChoice {
  const fingerprint = sshKeyFingerprint(publicKey);
  const found = keys.find((k) => k.fingerprint === fingerprint);
  if (!found) return { kind: "manage" };
  // The site labels the key it uploads with its name (and always has), so its own key is found by that label; a
  // key without it is someone else's.
  const ours = found.labels[LABEL.site] === siteName;
  return ours ? { kind: "manage" } : { kind: "use-existing", id: found.id, name: found.name };
}
