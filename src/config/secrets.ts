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
  dnsApiToken: {
    key: "k3s-sites:dnsApiToken",
    description:
      "DNS provider API token for ACME DNS-01, when certificates.dns01.provider is cloudflare (a token with Zone:DNS:Edit " +
      "and Zone:Zone:Read), digitalocean (a token with write access) or hetzner (a read/write Hetzner Cloud API token " +
      "of the project that holds the zone) (pulumi config set --secret k3s-sites:dnsApiToken)",
  },
  route53SecretAccessKey: {
    key: "k3s-sites:route53SecretAccessKey",
    description:
      "AWS secret access key of certificates.dns01.route53.accessKeyID, when certificates.dns01.provider is route53 " +
      "(pulumi config set --secret k3s-sites:route53SecretAccessKey)",
  },
  rfc2136TsigSecret: {
    key: "k3s-sites:rfc2136TsigSecret",
    description:
      "Secret of the TSIG key certificates.dns01.rfc2136.tsigKeyName (base64, as in the key file), when " +
      "certificates.dns01.provider is rfc2136 (pulumi config set --secret k3s-sites:rfc2136TsigSecret)",
  },
  bgpPassword: {
    key: "k3s-sites:bgpPassword",
    description:
      "Password of the BGP sessions with the routers whose site.segments[].router sets password: true (TCP MD5, " +
      "the same on each of those routers) (pulumi config set --secret k3s-sites:bgpPassword)",
  },
  volumeEncryptionPassphrase: {
    key: "k3s-sites:volumeEncryptionPassphrase",
    description:
      "LUKS passphrase of the encrypted Hetzner volumes, when storage.hcloudCsi.encryption is true; losing it loses " +
      "their data, and a changed one no longer opens the volumes made with the old one " +
      "(pulumi config set --secret k3s-sites:volumeEncryptionPassphrase)",
  },
} as const satisfies Record<string, SecretSpec>;

/** Every secret the program may read, by full key. */
export const SECRET_KEYS: readonly string[] = Object.values(SECRETS).map((s) => s.key);

/** A secret's name in SECRETS. */
export type SecretName = keyof typeof SECRETS;
