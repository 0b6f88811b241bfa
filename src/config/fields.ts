/**
 * Field schemas shared by the stack config sections: addresses, ranges, names. Each message says what is expected,
 * because zod's own ("Invalid input") does not tell a user how to fix the value.
 */
import { z } from "zod";
import { formatCidr, isCanonical, parseCidr, parseIp, type IpVersion } from "../net/cidr";

function cidrOf(version: IpVersion | undefined) {
  const family = version === 4 ? "an IPv4 " : version === 6 ? "an IPv6 " : "a ";
  const example = version === 6 ? "fd00:42::/56" : "10.42.0.0/16";
  return z.string().superRefine((text, ctx) => {
    const cidr = parseCidr(text);
    if (!cidr || (version && cidr.version !== version)) {
      ctx.addIssue({ code: "custom", message: `expected ${family}CIDR range such as ${example}`, input: text });
    } else if (!isCanonical(cidr)) {
      ctx.addIssue({
        code: "custom",
        message: `has host bits set: did you mean ${formatCidr(cidr)}?`,
        input: text,
      });
    }
  });
}

/** Any IPv4 or IPv6 CIDR range with no host bits set. */
export const cidr = () => cidrOf(undefined);
export const cidrV4 = () => cidrOf(4);
export const cidrV6 = () => cidrOf(6);

/** A plain IPv4 address (dotted quad). */
export const ipv4 = () =>
  z.string().refine((text) => parseIp(text)?.version === 4, {
    message: "expected an IPv4 address such as 10.0.1.10",
    abort: true,
  });

/** A plain IPv6 address. */
export const ipv6 = () =>
  z.string().refine((text) => parseIp(text)?.version === 6, {
    message: "expected an IPv6 address such as fd00:1::10",
    abort: true,
  });

/** A DNS label: what Kubernetes node names, Hetzner server names and pool names have in common. */
export const dnsLabel = () =>
  z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
      message: "expected a DNS label: lower-case letters, digits and '-', at most 63 characters, e.g. worker-1",
    });

/** A host name or an IP address to reach over SSH. */
export const hostOrIp = () =>
  z
    .string()
    .refine(
      (text) =>
        parseIp(text) !== undefined ||
        /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(
          text,
        ),
      { message: "expected a host name or an IP address, e.g. nuc.lan or 192.168.1.10" },
    );

export const port = () =>
  z.int().min(1, { message: "expected a TCP port from 1 to 65535" }).max(65535, {
    message: "expected a TCP port from 1 to 65535",
  });

export const role = () =>
  z.enum(["server", "agent"], { message: "expected server (control plane and etcd) or agent (workloads only)" });

/** A node's CPU architecture, as k3s and the release files name it. */
export type Arch = "amd64" | "arm64";

export const arch = () => z.enum(["amd64", "arm64"], { message: "expected amd64 (x86-64) or arm64 (aarch64)" });

export const sshUser = () =>
  z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: "expected a Unix user name such as root or ubuntu" });

const PUBLIC_KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,3}$/;

/**
 * An OpenSSH public key line, e.g. `ssh-ed25519 AAAA... me@laptop`. A private key pasted here is refused without
 * echoing it (issue params.hideInput): it is a secret.
 */
export const sshPublicKey = () =>
  z.string().superRefine((text, ctx) => {
    const [type = "", body = ""] = text.trim().split(/\s+/);
    if (PUBLIC_KEY_TYPES.test(type) && BASE64.test(body)) return;
    const example = "'ssh-ed25519 AAAAC3... you@laptop' (the line of the .pub file)";
    if (/PRIVATE KEY/.test(text)) {
      ctx.addIssue({
        code: "custom",
        input: "[hidden]",
        params: { hideInput: true },
        message:
          "is a private key, which must never be in the stack config: put the public key here, e.g. " +
          `${example}; remove the private key from the file (and from version control, and replace it if it was ` +
          "shared), and store it with pulumi config set --secret k3s-sites:sshPrivateKey < ~/.ssh/id_ed25519",
      });
    } else if (BASE64.test(type) && type.startsWith("AAAA")) {
      ctx.addIssue({
        code: "custom",
        input: text,
        params: { hideInput: true },
        message: `"${type.slice(0, 12)}..." lacks its key type: write the whole line, starting with the type, e.g. ${example}`,
      });
    } else if (/^(~|\.{0,2}\/)|\.pub$/.test(text.trim()) && !/\s/.test(text.trim())) {
      // A path is no secret: named as received.
      ctx.addIssue({
        code: "custom",
        input: text,
        params: { hideInput: true },
        message:
          `${JSON.stringify(text.trim())} is a file path, but the stack file holds the key itself: paste the line the ` +
          `file holds (cat ${text.trim()}), e.g. ${example}`,
      });
    } else {
      // Not echoed either: what lands in the wrong field is often a token.
      ctx.addIssue({
        code: "custom",
        input: "[hidden]",
        params: { hideInput: true },
        message: `is not an OpenSSH public key line: expected one such as ${example}`,
      });
    }
  })
  // For editors: the JSON Schema keeps the plain pattern.
  .meta({ pattern: "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,3}( .*)?$" });
