/**
 * Reads the stack's config through Pulumi: the structured sections under `k3s-sites:` and the secrets. The only
 * place that turns a ConfigError into the RunError Pulumi shows without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../src/config/errors";
import { NAMESPACE, SECTION_KEYS, parseSiteConfig } from "../src/config/load";
import { SECRETS, SECRET_KEYS } from "../src/config/secrets";
import type { SiteConfig } from "../src/config/site";
import { dnsSecretName } from "../src/edge/cert-manager";

export interface SiteSecrets {
  /** The SSH private key that reaches every node. */
  readonly sshPrivateKey: pulumi.Output<string>;
  /** Hetzner sites only: the API token. */
  readonly hcloudToken?: pulumi.Output<string>;
  /** With k3s.etcdSnapshots.s3 only: the S3 credentials for snapshot uploads. */
  readonly etcdS3?: { readonly accessKey: pulumi.Output<string>; readonly secretKey: pulumi.Output<string> };
  /** With certificates.dns01 only: the DNS provider's API secret. */
  readonly dnsSecret?: pulumi.Output<string>;
}

export interface StackConfig {
  readonly config: SiteConfig;
  readonly secrets: SiteSecrets;
}

function requireSecret(fullKey: string): pulumi.Output<string> {
  const [namespace, key] = fullKey.split(":") as [string, string];
  return new pulumi.Config(namespace).requireSecret(key);
}

export function loadStackConfig(): StackConfig {
  const cfg = new pulumi.Config(NAMESPACE);
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of SECTION_KEYS) {
    try {
      raw[key] = cfg.getObject(key);
    } catch {
      problems.push(`${key} is not valid YAML or JSON: write it as a mapping under ${NAMESPACE}:${key}`);
    }
  }
  // Keys the program does not know are typos more often than not: report them with the rest.
  const known = new Set(SECTION_KEYS.map((k) => `${NAMESPACE}:${k}`));
  for (const key of Object.keys(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${NAMESPACE}:`) && !known.has(key) && !SECRET_KEYS.includes(key)) {
      raw[key.slice(NAMESPACE.length + 1)] = "(unknown key)";
    }
  }
  let config: SiteConfig;
  try {
    if (problems.length > 0) throw new ConfigError(problems.map((message) => ({ path: "", message })), pulumi.getStack());
    config = parseSiteConfig(raw, pulumi.getStack());
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const secrets: SiteSecrets = {
    sshPrivateKey: requireSecret(SECRETS.sshPrivateKey.key),
    ...(config.site.kind === "hetzner" ? { hcloudToken: requireSecret(SECRETS.hcloudToken.key) } : {}),
    ...(config.k3s.etcdSnapshots.s3
      ? {
          etcdS3: {
            accessKey: requireSecret(SECRETS.etcdS3AccessKey.key),
            secretKey: requireSecret(SECRETS.etcdS3SecretKey.key),
          },
        }
      : {}),
  };
  const dns = dnsSecretName(config);
  return { config, secrets: dns ? { ...secrets, dnsSecret: requireSecret(SECRETS[dns].key) } : secrets };
}
