/**
 * The secrets a site reads. They are never part of the stack config object: Pulumi keeps them encrypted in the stack
 * file (`pulumi config set --secret`) and the program reads them with requireSecret, so they stay secret Outputs.
 */
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
  etcdS3AccessKey: {
    key: "k3s-sites:etcdS3AccessKey",
    description: "S3 access key for etcd snapshot uploads, when k3s.etcdSnapshots.s3 is set",
  },
  etcdS3SecretKey: {
    key: "k3s-sites:etcdS3SecretKey",
    description: "S3 secret key for etcd snapshot uploads, when k3s.etcdSnapshots.s3 is set",
  },
} as const satisfies Record<string, SecretSpec>;

/** Every secret the program may read, by full key. */
export const SECRET_KEYS: readonly string[] = Object.values(SECRETS).map((s) => s.key);
