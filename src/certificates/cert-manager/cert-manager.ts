/**
 * cert-manager: the pinned jetstack chart and its values, the Let's Encrypt ClusterIssuers, the Secrets the DNS-01
 * solvers read, and Hetzner's DNS webhook chart. Plain data only; the component installs the charts, creates the
 * Secrets from Pulumi secrets (inside apply, so the values stay secret Outputs) and creates the issuers once the
 * CRDs and the webhook are up.
 *
 * What the chart already does, checked against the templates and values.yaml of v1.21.1 (see below): every pod runs
 * as non-root with seccomp RuntimeDefault, no privilege escalation, ALL capabilities dropped and a read-only root
 * file system (controller, webhook, cainjector, startupapicheck); the HTTP-01 solver pods the controller creates get
 * the same settings and no service account token (pkg/issuer/acme/http/pod.go). The values below only set what the
 * chart does not default the way a site needs.
 */
import { stringify } from "yaml";
import type { IClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer" with {
  "resolution-mode": "import",
};
import type { IACMEChallengeSolver } from "@kubernetes-models/cert-manager/acme.cert-manager.io/v1/ACMEChallengeSolver" with {
  "resolution-mode": "import",
};
import type { ISecret } from "kubernetes-models/v1/Secret" with { "resolution-mode": "import" };
import type { Dns01Provider } from "./schema";
import type { SECRETS } from "../../config/secrets";
import type { SiteConfig } from "../../config/site";
import { CERT_MANAGER } from "../../edge/names";

/**
 * The cert-manager chart k3s-sites installs: v1.21.2, the newest release found (cert-manager/cert-manager#9237
 * tracks its release, closed; cert-manager/website#2261 of 2026-09-03 publishes its notes; downstream bumps to its
 * images followed from 2026-09-11). It is a patch release of 1.21 with no validation tightening (#9237 left those
 * for v1.22). Its chart was read at the v1.21.1 tag and on the release-1.21 branch of cert-manager/cert-manager as
 * of 2026-08-21, where deploy/charts/cert-manager had not changed since v1.21.1; the values below validate against
 * v1.21.1's values.schema.json. The chart version is the release tag, v included.
 */
export const CERT_MANAGER_CHART = {
  chart: "cert-manager",
  repository: "https://charts.jetstack.io",
  version: "v1.21.2",
} as const;

/**
 * Hetzner's official DNS-01 webhook (github.com/hetzner/cert-manager-webhook-hetzner), the only way to reach Hetzner
 * DNS now that its old DNS API is gone. Chart coordinates from the repository's docs/guides/quickstart.md and
 * chart/Chart.yaml at tag v0.9.0 (2026-08-19); the chart is published to hetznercloud/helm-charts, served as
 * charts.hetzner.cloud. Pod labels and port from chart/templates/deployment.yaml of that tag.
 */
export const HETZNER_WEBHOOK = {
  chart: "cert-manager-webhook-hetzner",
  repository: "https://charts.hetzner.cloud",
  version: "0.9.0",
  /** Helm release name; its resources are named after it. */
  release: "cert-manager-webhook-hetzner",
  /** The chart's default groupName, which Hetzner's docs tell every issuer to use. */
  groupName: "acme.hetzner.com",
  solverName: "hetzner",
  /** Labels on the webhook's pods (`app` is the chart name, `release` the release name). */
  podLabels: { app: "cert-manager-webhook-hetzner", release: "cert-manager-webhook-hetzner" },
  /** The API server calls the webhook's APIService on this port of the pod (https). */
  port: 8443,
} as const;

/** Let's Encrypt's ACME directories, and the ClusterIssuer for each. */
export const LETSENCRYPT = {
  staging: { issuer: "letsencrypt-staging", server: "https://acme-staging-v02.api.letsencrypt.org/directory" },
  prod: { issuer: "letsencrypt-prod", server: "https://acme-v02.api.letsencrypt.org/directory" },
} as const;

/** Names of the SECRETS entries the DNS providers read. */
export type DnsSecretName = keyof Pick<typeof SECRETS, "dnsApiToken" | "route53SecretAccessKey" | "rfc2136TsigSecret">;

/**
 * The Kubernetes Secret (in the cert-manager namespace, where cert-manager reads ClusterIssuer secrets) and key each
 * DNS provider's solver reads, and the Pulumi secret (an entry of SECRETS) its value comes from.
 */
export const DNS_SECRETS = {
  cloudflare: { name: "dns01-cloudflare", key: "api-token", secret: "dnsApiToken" },
  route53: { name: "dns01-route53", key: "secret-access-key", secret: "route53SecretAccessKey" },
  digitalocean: { name: "dns01-digitalocean", key: "access-token", secret: "dnsApiToken" },
  rfc2136: { name: "dns01-rfc2136", key: "tsig-secret", secret: "rfc2136TsigSecret" },
  hetzner: { name: "dns01-hetzner", key: "token", secret: "dnsApiToken" },
} as const satisfies Record<Dns01Provider, { name: string; key: string; secret: DnsSecretName }>;

/** The values k3s-sites sets on the cert-manager chart; every other value keeps the chart's default. */
export interface CertManagerValues {
  /** Where the chart puts its namespaced resources; the same as the release namespace. */
  readonly namespace: string;
  /**
   * The chart installs and upgrades the CRDs (`installCRDs` is deprecated since v1.15). keep adds
   * `helm.sh/resource-policy: keep`, so removing the release does not delete every Certificate with the CRDs.
   */
  readonly crds: { readonly enabled: true; readonly keep: true };
  /**
   * The controller's and cainjector's leader-election leases. The chart defaults to kube-system, which gives
   * cert-manager a Role there; in its own namespace it needs no rights outside it.
   */
  readonly global: { readonly leaderElection: { readonly namespace: string } };
  /** The controller's ControllerConfiguration, when the site's ingress needs one. @default - the chart's, none */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Stated although it is the chart's default: the NetworkPolicies open this port (names.ts CERT_MANAGER). */
  readonly webhook: { readonly securePort: number };
}

/** Values of the cert-manager chart. Nothing in them depends on the site. */
export function certManagerValues(controllerConfig?: Readonly<Record<string, unknown>>): CertManagerValues {
  return {
    // The ControllerConfiguration the site's ingress needs (Cilium's: Gateway API support on).
    ...(controllerConfig !== undefined ? { config: structuredClone(controllerConfig) } : {}),
    namespace: CERT_MANAGER.namespace,
    crds: { enabled: true, keep: true },
    global: { leaderElection: { namespace: CERT_MANAGER.namespace } },
    webhook: { securePort: CERT_MANAGER.webhookPort },
  };
}

/** The Helm hook annotations the chart puts on its startupapicheck Job, its ServiceAccount and its RBAC. */
const HELM_HOOK_ANNOTATIONS = ["helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy"] as const;

/**
 * A values file for the cert-manager chart that turns its startupapicheck Job into an ordinary resource. The chart
 * marks the Job (values.yaml `startupapicheck.jobAnnotations`), its ServiceAccount (`.serviceAccount.annotations`)
 * and its Role and RoleBinding (`.rbac.annotations`) as post-install hooks, and Pulumi's Chart v4 leaves hook
 * resources out. Without the Job nothing waits for what it checks: that the webhook answers with the CA that
 * cainjector writes into the webhook configurations, some time after the webhook's pods are ready. With it, Pulumi
 * waits for the Job to complete, and the ClusterIssuers, which wait for the chart, are created only then.
 *
 * Helm deletes a default key set to null; that needs a values file, since Pulumi's SDKs may drop null in `values`.
 */
export function certManagerHookOverrides(): string {
  const none = () => Object.fromEntries(HELM_HOOK_ANNOTATIONS.map((key) => [key, null]));
  return stringify({
    startupapicheck: { jobAnnotations: none(), serviceAccount: { annotations: none() }, rbac: { annotations: none() } },
  });
}

/** Whether the site needs Hetzner's webhook chart (DNS-01 through Hetzner DNS). */
export function usesHetznerWebhook(config: SiteConfig): boolean {
  return config.certificates.enabled && config.certificates.dns01?.provider === "hetzner";
}

/** Values of Hetzner's webhook chart, installed as release HETZNER_WEBHOOK.release in the cert-manager namespace. */
export function hetznerWebhookValues(): {
  readonly groupName: string;
  readonly certManager: { readonly namespace: string; readonly serviceAccountName: string };
} {
  return {
    groupName: HETZNER_WEBHOOK.groupName,
    // The chart lets this service account create challenge payloads in groupName. cert-manager's chart names its
    // controller's service account after the release when the release name contains "cert-manager", as ours does.
    certManager: { namespace: CERT_MANAGER.namespace, serviceAccountName: CERT_MANAGER.release },
  };
}

/** The SECRETS entry the site's DNS-01 provider reads, or undefined when it solves challenges over HTTP. */
export function dnsSecretName(config: SiteConfig): DnsSecretName | undefined {
  const dns01 = config.certificates.enabled ? config.certificates.dns01 : undefined;
  return dns01 ? DNS_SECRETS[dns01.provider].secret : undefined;
}

/** Values of the Pulumi secrets the DNS providers read, by SECRETS entry. Only the provider's own one is needed. */
export type DnsSecretValues = Readonly<Partial<Record<DnsSecretName, string>>>;

/**
 * The Secret the site's DNS-01 solver reads, holding the given secret value ([] when challenges go over HTTP). Call
 * it inside apply with the secret's plain value; the value is never part of an error message.
 */
export function dnsSecretObjects(config: SiteConfig, secrets: DnsSecretValues): ISecret[] {
  const dns01 = config.certificates.enabled ? config.certificates.dns01 : undefined;
  if (!dns01) return [];
  const ref = DNS_SECRETS[dns01.provider];
  const value = secrets[ref.secret];
  if (value === undefined || value.trim() === "") {
    const key = `k3s-sites:${ref.secret}`;
    throw new Error(
      `the secret ${key} is ${value === undefined ? "not set" : "empty"} but certificates.dns01.provider is ` +
        `${dns01.provider}: set it with pulumi config set --secret ${key}`,
    );
  }
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: ref.name, namespace: CERT_MANAGER.namespace, labels: { ...LABELS } },
      type: "Opaque",
      data: { [ref.key]: Buffer.from(value, "utf8").toString("base64") },
    },
  ];
}

const LABELS = { "app.kubernetes.io/part-of": "k3s-sites" } as const;

/** A setting the config rules require (checkCertificates); reaching here without it is a bug in the rules. */
function need<T>(value: T | undefined, key: string): T {
  if (value === undefined) throw new Error(`certificates.${key} is not set: set it in the stack config`);
  return value;
}

/** cert-manager's HTTP-01 solver through the site's ingress controller (its concern's certManager.http01). */
export type Http01Solver = NonNullable<IACMEChallengeSolver["http01"]>;

/**
 * The challenge solver of the site: DNS-01 through the configured provider, or HTTP-01 through the site's ingress
 * controller, whose solver the caller reads from the registry (components/certificates/cert-manager.ts:
 * ingressOf(config).certManager.http01): no controller is assumed here. NGINX Ingress Controller serves a host from
 * its oldest Ingress only, so for a host that already has an Ingress the challenge must go into that Ingress:
 * docs/edge.md tells users to annotate it `acme.cert-manager.io/http01-edit-in-place`.
 */
export function acmeSolver(config: SiteConfig, http01: Http01Solver): IACMEChallengeSolver {
  const dns01 = config.certificates.dns01;
  if (!dns01) return { http01: structuredClone(http01) };
  const ref = DNS_SECRETS[dns01.provider];
  const secretRef = { name: ref.name, key: ref.key };
  switch (dns01.provider) {
    case "cloudflare":
      return { dns01: { cloudflare: { apiTokenSecretRef: secretRef } } };
    case "digitalocean":
      return { dns01: { digitalocean: { tokenSecretRef: secretRef } } };
    case "route53": {
      const route53 = dns01.route53;
      return {
        dns01: {
          route53: {
            region: need(route53?.region, "dns01.route53.region"),
            accessKeyID: need(route53?.accessKeyID, "dns01.route53.accessKeyID"),
            secretAccessKeySecretRef: secretRef,
            ...(route53?.hostedZoneID !== undefined ? { hostedZoneID: route53.hostedZoneID } : {}),
          },
        },
      };
    }
    case "rfc2136": {
      const rfc2136 = dns01.rfc2136;
      return {
        dns01: {
          rfc2136: {
            nameserver: need(rfc2136?.nameserver, "dns01.rfc2136.nameserver"),
            tsigKeyName: need(rfc2136?.tsigKeyName, "dns01.rfc2136.tsigKeyName"),
            // The schema defaults it; cert-manager's own default would be HMACMD5.
            tsigAlgorithm: rfc2136?.tsigAlgorithm ?? "HMACSHA256",
            tsigSecretSecretRef: secretRef,
          },
        },
      };
    }
    case "hetzner":
      return {
        dns01: {
          webhook: {
            groupName: HETZNER_WEBHOOK.groupName,
            solverName: HETZNER_WEBHOOK.solverName,
            // The webhook's config (internal/hetzner/config.go): the Secret in the ClusterIssuer's resource namespace.
            config: { tokenSecretKeyRef: secretRef },
          },
        },
      };
  }
}

/**
 * ClusterIssuers letsencrypt-staging and letsencrypt-prod with the configured email and the site's solver ([] when
 * certificates are off). Each keeps its ACME account key in the Secret `<issuer>-account-key`, which cert-manager
 * creates in its namespace.
 */
export function clusterIssuers(config: SiteConfig, http01: Http01Solver): IClusterIssuer[] {
  if (!config.certificates.enabled) return [];
  // Optional: an ACME account needs no contact, and Let's Encrypt no longer sends expiry emails (rules.ts).
  const email = config.certificates.email;
  const solver = acmeSolver(config, http01);
  return [LETSENCRYPT.staging, LETSENCRYPT.prod].map(({ issuer, server }) => ({
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: issuer, labels: { ...LABELS } },
    spec: {
      acme: {
        server,
        ...(email !== undefined ? { email } : {}),
        privateKeySecretRef: { name: `${issuer}-account-key` },
        solvers: [structuredClone(solver)],
      },
    },
  }));
}
