/**
 * The secrets a site reads. They are never part of the stack config object: Pulumi keeps them encrypted in the stack
 * file (`pulumi config set --secret`) and the program reads them with requireSecret, so they stay secret Outputs.
 */
import type { StackConfig } from "./schema";

export interface SecretSpec {
  /** Full config key, namespace included: `hcloud:token`. */
  readonly key: string;
  readonly description: string;
}

export const SECRETS = {
  sshPrivateKey: {
    key: "k3s-sites:sshPrivateKey",
    description: "OpenSSH private key that reaches every node (pulumi config set --secret k3s-sites:sshPrivateKey < ~/.ssh/id_ed25519)",
  },
  hcloudToken: {
    key: "hcloud:token",
    description: "Hetzner Cloud API token with read/write access to the project (pulumi config set --secret hcloud:token)",
  },
} as const satisfies Record<string, SecretSpec>;

/** The secrets a site of this kind cannot deploy without. */
export function requiredSecrets(kind: StackConfig["site"]["kind"]): SecretSpec[] {
  return kind === "hetzner" ? [SECRETS.hcloudToken, SECRETS.sshPrivateKey] : [SECRETS.sshPrivateKey];
}
