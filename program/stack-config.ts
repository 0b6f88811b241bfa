/**
 * Reads the stack's config through Pulumi: the structured sections under `k3s-sites:` and the secrets. The only
 * place that turns a ConfigError into the RunError Pulumi shows without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { closest, setSecretCommand } from "../src/config/errors";
import { ConfigError, type Problem } from "../src/config/problems";
import { NAMESPACE, SECTION_KEYS, parseSiteConfig } from "../src/config/load";
import { SECRETS, SECRET_KEYS } from "../src/config/secrets";
import type { RuleContext } from "../src/config/rules";
import type { SiteConfig } from "../src/config/site";
import { dnsSecretName } from "../src/certificates/cert-manager/cert-manager";
import { needsEncryptionPassphrase } from "../src/storage/hcloud-csi/driver";
import type { SiteSecrets } from "../components/concerns";

export interface StackConfig {
  readonly config: SiteConfig;
  readonly secrets: SiteSecrets;
}

function requireSecretOutput(fullKey: string): pulumi.Output<string> {
  const [namespace, key] = fullKey.split(":") as [string, string];
  return new pulumi.Config(namespace).requireSecret(key);
}

/**
 * Whether Pulumi holds `key` encrypted: the CLI tells the program which config keys are secret (the language host's
 * PULUMI_CONFIG_SECRET_KEYS, read by @pulumi/pulumi runtime/config.ts isConfigSecret, marked internal).
 */
function isSecretInStackFile(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret?.(key) ?? false;
}

/**
 * Keys people write for the Hetzner API token (lower-cased): the provider reads only hcloud:token
 * (@pulumi/hcloud 1.41.0 config/vars.d.ts: endpoint, endpointHetzner, pollFunction, pollInterval, token).
 */
const TOKEN_LOOKALIKES: Readonly<Record<string, string>> = Object.fromEntries(
  [
    "k3s-sites:hcloudtoken",
    "k3s-sites:hcloud-token",
    "k3s-sites:hcloud_token",
    "k3s-sites:apitoken",
    "k3s-sites:hetznertoken",
    "hcloud:apitoken",
    "hcloud:api_token",
    "hcloud:api-token",
    "hcloud:hcloudtoken",
    "hcloud:hcloud_token",
    "hcloud:key",
    "hcloud:apikey",
    "hcloud:tokens",
    "hetzner:token",
    "hetzner:apitoken",
  ].map((k) => [k, SECRETS.hcloudToken.key]),
);

/**
 * Problems with the stack file's keys as a whole: a secret written in plain text, a k3s-sites key in another
 * namespace, a key k3s-sites does not know.
 */
export function stackKeyProblems(all: Readonly<Record<string, string>>, isSecret: (key: string) => boolean): Problem[] {
  const problems: Problem[] = [];
  const known = new Set(SECTION_KEYS.map((k) => `${NAMESPACE}:${k}`));
  const secretNames = new Map(SECRET_KEYS.map((k) => [k.slice(k.indexOf(":") + 1), k]));
  for (const key of Object.keys(all)) {
    const colon = key.indexOf(":");
    const namespace = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (SECRET_KEYS.includes(key)) {
      // Never the value: it is the secret.
      if (!isSecret(key)) {
        problems.push({
          path: key,
          message:
            `is written in plain text in the stack file, where anyone who reads the file or the repository sees it: ` +
            `delete that line, rotate the credential if the file was shared, and store it encrypted with ${setSecretCommand(key)}`,
        });
      }
      continue;
    }
    const lookalike = TOKEN_LOOKALIKES[key.toLowerCase()];
    if (lookalike !== undefined) {
      // Never the value: it is likely the token.
      problems.push({
        path: key,
        message:
          `is not read by anyone: the Hetzner API token belongs in ${lookalike}, the hcloud provider's key. Remove ${key} ` +
          `and run ${setSecretCommand(lookalike)}`,
      });
      continue;
    }
    if (namespace !== NAMESPACE) {
      // A k3s-sites key under another namespace is ignored by everyone: say where it belongs.
      const meant = SECTION_KEYS.includes(name as (typeof SECTION_KEYS)[number])
        ? `${NAMESPACE}:${name}`
        : secretNames.get(name)?.startsWith(`${NAMESPACE}:`)
          ? secretNames.get(name)
          : undefined;
      if (meant !== undefined) {
        problems.push({
          path: key,
          message: `is in the namespace ${namespace}, which k3s-sites does not read: rename it to ${meant}`,
        });
      }
      continue;
    }
    if (known.has(key)) continue;
    const secret = secretNames.get(name);
    const section = /^([A-Za-z0-9]+)[.[]/.exec(name)?.[1];
    let hint: string;
    if (secret !== undefined) {
      hint = `did you mean ${secret}? Set it with ${setSecretCommand(secret)}`;
    } else if (section !== undefined && SECTION_KEYS.includes(section as (typeof SECTION_KEYS)[number])) {
      hint =
        `it looks like a path inside ${NAMESPACE}:${section}: set nested values with --path, e.g. ` +
        `pulumi config set --path '${NAMESPACE}:${name}' <value>, or edit ${NAMESPACE}:${section} in the stack file`;
    } else {
      const near = closest(name, [...SECTION_KEYS, ...[...secretNames.keys()]]);
      hint = near !== undefined ? `did you mean ${secretNames.get(near) ?? `${NAMESPACE}:${near}`}?` : "";
      hint += `${hint ? " " : ""}the known keys are ${[...known].join(", ")}`;
    }
    problems.push({ path: key, message: `is not a k3s-sites key: ${hint}` });
  }
  return problems;
}

/** `context`: what the previous deployment says of the running cluster, for the rules' advice. */
export function loadStackConfig(context: RuleContext = {}): StackConfig {
  const cfg = new pulumi.Config(NAMESPACE);
  const raw: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const key of SECTION_KEYS) {
    try {
      raw[key] = cfg.getObject(key);
    } catch {
      problems.push({
        path: `${NAMESPACE}:${key}`,
        message: `is not valid YAML or JSON: write it as a mapping under ${NAMESPACE}:${key}`,
      });
    }
  }
  problems.push(...stackKeyProblems(pulumi.runtime.allConfig(), isSecretInStackFile));
  let config: SiteConfig | undefined;
  try {
    config = parseSiteConfig(raw, pulumi.getStack(), context);
  } catch (err) {
    // parseSiteConfig reports its own failures as problems; anything else is still no reason for a stack trace.
    if (err instanceof ConfigError) problems.push(...err.problems);
    else problems.push({ path: "", message: `the stack config could not be read: ${err instanceof Error ? err.message : String(err)}` });
  }
  if (problems.length > 0 || config === undefined) {
    throw new pulumi.RunError(new ConfigError(problems, pulumi.getStack()).message);
  }
  // Each secret the site needs, read as an Output; an empty one is refused below, once the config itself passed.
  const asked: string[] = [];
  const requireSecret = (key: string): pulumi.Output<string> => {
    asked.push(key);
    return requireSecretOutput(key);
  };
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
    ...(needsEncryptionPassphrase(config.storage)
      ? { volumeEncryptionPassphrase: requireSecret(SECRETS.volumeEncryptionPassphrase.key) }
      : {}),
    ...(config.site.kind === "ssh" && config.site.segments.some((s) => s.router?.password)
      ? { bgpPassword: requireSecret(SECRETS.bgpPassword.key) }
      : {}),
  };
  const dns = dnsSecretName(config);
  const all = dns ? { ...secrets, dnsSecret: requireSecret(SECRETS[dns].key) } : secrets;
  // Pulumi hands the program its config decrypted, so an empty secret is known now, before any resource but the
  // StackReference that reads the previous outputs: refused here, it never reaches the apply that would write it
  // into a Secret or a command.
  const values = pulumi.runtime.allConfig();
  const empty = asked.filter((key) => values[key] !== undefined && values[key]!.trim() === "");
  if (empty.length > 0) {
    const emptyProblems = empty.map((key): Problem => ({ path: key, message: `is set but empty: set it with ${setSecretCommand(key)}` }));
    throw new pulumi.RunError(new ConfigError(emptyProblems, pulumi.getStack()).message);
  }
  return { config, secrets: all };
}
