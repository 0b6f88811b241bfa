import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import {
  CERT_MANAGER_CHART,
  DNS_SECRETS,
  HETZNER_WEBHOOK,
  certManagerHookOverrides,
  certManagerValues,
  clusterIssuers as issuersWith,
  dnsSecretName,
  dnsSecretObjects,
  hetznerWebhookValues,
  usesHetznerWebhook,
} from "../../../src/certificates/cert-manager/cert-manager";
import { ingressOf } from "../../../src/concerns/registry";
import type { SiteConfig } from "../../../src/config/site";
import { CERT_MANAGER, NGINX } from "../../../src/edge/names";
import { networkPolicies } from "../../../src/policy/network-policies";
import { ROOT, clone, exampleSections, hetznerSections, homeCiliumIngressSections, parse1, sshSections } from "../../helpers";
import { validateBuiltin } from "../../support/schemas";

/** The issuers as the component makes them: HTTP-01 through the site's ingress controller, read from the registry. */
const clusterIssuers = (config: SiteConfig) => issuersWith(config, ingressOf(config).certManager.http01(config));

/** A Hetzner site whose certificates section is replaced by `certificates`. */
function siteWith(certificates: Record<string, unknown>) {
  const raw = clone(hetznerSections());
  raw.certificates = certificates;
  return parse1(raw);
}

const EMAIL = "ops@example.com";
const dns = (dns01: Record<string, unknown>) => siteWith({ email: EMAIL, dns01 });

/** One site per DNS-01 provider, with complete settings. */
const PROVIDERS = {
  cloudflare: dns({ provider: "cloudflare" }),
  route53: dns({
    provider: "route53",
    route53: { region: "eu-central-1", accessKeyID: "AKIAIOSFODNN7EXAMPLE", hostedZoneID: "Z2ABCDEF123456" },
  }),
  digitalocean: dns({ provider: "digitalocean" }),
  rfc2136: dns({ provider: "rfc2136", rfc2136: { nameserver: "192.0.2.53:53", tsigKeyName: "k3s-sites." } }),
  hetzner: dns({ provider: "hetzner" }),
};

/** Validates a ClusterIssuer against cert-manager's schema (npm @kubernetes-models/cert-manager); throws if invalid. */
async function validateIssuer(obj: unknown): Promise<void> {
  // The package is ESM-only: a dynamic import loads it from this CommonJS project.
  const { ClusterIssuer } = await import("@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer");
  new ClusterIssuer(obj as ConstructorParameters<typeof ClusterIssuer>[0]).validate();
}

const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

describe("cert-manager chart", () => {
  it("pins the jetstack chart", () => {
    assert.deepEqual(CERT_MANAGER_CHART, {
      chart: "cert-manager",
      repository: "https://charts.jetstack.io",
      version: "v1.21.2",
    });
  });

  it("installs the CRDs with the release and keeps them when it goes", () => {
    const values = certManagerValues() as unknown as Record<string, unknown>;
    assert.deepEqual(values.crds, { enabled: true, keep: true });
    // The deprecated switch together with crds.enabled makes the chart fail to render.
    assert.equal("installCRDs" in values, false);
  });

  it("keeps everything, leader-election leases included, in the cert-manager namespace", () => {
    assert.deepEqual(certManagerValues(), {
      namespace: "cert-manager",
      crds: { enabled: true, keep: true },
      global: { leaderElection: { namespace: "cert-manager" } },
      webhook: { securePort: 10250 },
    });
    assert.equal(certManagerValues().webhook.securePort, CERT_MANAGER.webhookPort);
  });
});

/** Helm's merge of user values over chart defaults: maps merge key by key, and null deletes a default key. */
function coalesce(defaults: any, user: any): any {
  if (user === undefined) return defaults;
  if (user === null || typeof user !== "object" || typeof defaults !== "object" || defaults === null) return user;
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === null) delete out[key];
    else out[key] = coalesce(defaults[key], value);
  }
  return out;
}

describe("cert-manager's startupapicheck", () => {
  // values.yaml of v1.21.1, lines 1575-1578, 1691-1694 and 1711-1714: the Job, its RBAC and its ServiceAccount are
  // post-install hooks, which Pulumi's Chart v4 leaves out.
  const hook = (weight: string) => ({
    "helm.sh/hook": "post-install",
    "helm.sh/hook-weight": weight,
    "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
  });
  const chartDefaults = {
    startupapicheck: {
      enabled: true,
      jobAnnotations: hook("1"),
      rbac: { annotations: hook("-5") },
      serviceAccount: { annotations: hook("-5"), automountServiceAccountToken: true },
    },
  };

  it("becomes an ordinary resource of the chart, which Pulumi waits for before the issuers", () => {
    const merged = coalesce(chartDefaults, parseYaml(certManagerHookOverrides())).startupapicheck;
    assert.deepEqual(merged.jobAnnotations, {});
    assert.deepEqual(merged.rbac.annotations, {});
    assert.deepEqual(merged.serviceAccount, { annotations: {}, automountServiceAccountToken: true });
    assert.equal(merged.enabled, true);
  });

  it("is a values file without YAML aliases, which some parsers would not expand", () => {
    assert.doesNotMatch(certManagerHookOverrides(), /[*&]/);
  });
});

describe("ClusterIssuers", () => {
  it("are letsencrypt-staging and letsencrypt-prod with the configured email", () => {
    const issuers = clusterIssuers(parse1(hetznerSections()));
    assert.deepEqual(
      issuers.map((i) => [i.metadata?.name, i.spec.acme?.server, i.spec.acme?.email, i.spec.acme?.privateKeySecretRef.name]),
      [
        ["letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory", EMAIL, "letsencrypt-staging-account-key"],
        ["letsencrypt-prod", "https://acme-v02.api.letsencrypt.org/directory", EMAIL, "letsencrypt-prod-account-key"],
      ],
    );
  });

  it("solve HTTP-01 through the nginx IngressClass unless DNS-01 is configured", () => {
    for (const issuer of clusterIssuers(parse1(sshSections()))) {
      assert.deepEqual(issuer.spec.acme?.solvers, [{ http01: { ingress: { ingressClassName: "nginx" } } }]);
    }
  });

  it("solve HTTP-01 through the site's controller: Traefik's class, or the Cilium site's Gateway", async () => {
    const traefik = clone(sshSections());
    traefik.ingress = { controller: "traefik" };
    for (const issuer of clusterIssuers(parse1(traefik))) {
      assert.deepEqual(issuer.spec.acme?.solvers, [{ http01: { ingress: { ingressClassName: "traefik" } } }]);
    }
    const issuers = clusterIssuers(parse1(homeCiliumIngressSections()));
    for (const issuer of issuers) {
      // Once nested twice ({ http01: { http01: ... } }), which cert-manager would have read as no solver at all.
      assert.deepEqual(issuer.spec.acme?.solvers, [{ http01: { gatewayHTTPRoute: { parentRefs: [{ name: "k3s-sites", namespace: "gateway", kind: "Gateway" }] } } }]);
      await validateIssuer(issuer);
    }
  });

  it("validate against cert-manager's schema, for HTTP-01 and every DNS-01 provider", async () => {
    const sites = [parse1(hetznerSections()), ...Object.values(PROVIDERS)];
    const issuers = sites.flatMap((site) => clusterIssuers(site));
    assert.equal(issuers.length, 12);
    for (const issuer of issuers) await validateIssuer(issuer);
  });

  it("fail the schema when broken, so the validation above can fail", async () => {
    const [issuer] = clusterIssuers(parse1(hetznerSections()));
    const noServer = structuredClone(issuer) as any;
    delete noServer.spec.acme.server;
    await assert.rejects(validateIssuer(noServer), /spec\/acme must have required property server/);
    const webhookWithoutSolver = structuredClone(issuer) as any;
    webhookWithoutSolver.spec.acme.solvers = [{ dns01: { webhook: { groupName: "acme.hetzner.com" } } }];
    await assert.rejects(validateIssuer(webhookWithoutSolver), /webhook must have required property solverName/);
  });

  it("are not built when certificates are off", () => {
    assert.deepEqual(clusterIssuers(siteWith({ enabled: false })), []);
  });

  it("refuse to build without a setting the config rules require, naming the key", () => {
    const site = parse1(hetznerSections());
    // certificates.email is optional (an ACME account needs no contact): the issuers then carry no email.
    const noEmail = { ...site, certificates: { ...site.certificates, email: undefined } };
    for (const issuer of clusterIssuers(noEmail)) assert.equal("email" in issuer.spec!.acme!, false);
    const route53 = PROVIDERS.route53;
    const noRegion = {
      ...route53,
      certificates: { ...route53.certificates, dns01: { provider: "route53" as const, route53: { accessKeyID: "AKIAIOSFODNN7EXAMPLE" } } },
    };
    assert.throws(() => clusterIssuers(noRegion), {
      message: "certificates.dns01.route53.region is not set: set it in the stack config",
    });
  });
});

describe("DNS-01 solvers", () => {
  const solverOf = (site: ReturnType<typeof parse1>) => {
    const issuers = clusterIssuers(site);
    // Both issuers solve the same way.
    assert.deepEqual(issuers[0]!.spec.acme?.solvers, issuers[1]!.spec.acme?.solvers);
    assert.equal(issuers[0]!.spec.acme?.solvers?.length, 1);
    return issuers[0]!.spec.acme!.solvers![0];
  };

  it("cloudflare reads an API token", () => {
    assert.deepEqual(solverOf(PROVIDERS.cloudflare), {
      dns01: { cloudflare: { apiTokenSecretRef: { name: "dns01-cloudflare", key: "api-token" } } },
    });
  });

  it("route53 uses region, access key ID and hosted zone from config and the secret key from a Secret", () => {
    assert.deepEqual(solverOf(PROVIDERS.route53), {
      dns01: {
        route53: {
          region: "eu-central-1",
          accessKeyID: "AKIAIOSFODNN7EXAMPLE",
          secretAccessKeySecretRef: { name: "dns01-route53", key: "secret-access-key" },
          hostedZoneID: "Z2ABCDEF123456",
        },
      },
    });
    const noZone = dns({ provider: "route53", route53: { region: "us-east-1", accessKeyID: "AKIAIOSFODNN7EXAMPLE" } });
    assert.equal("hostedZoneID" in solverOf(noZone).dns01!.route53!, false);
  });

  it("digitalocean reads a token", () => {
    assert.deepEqual(solverOf(PROVIDERS.digitalocean), {
      dns01: { digitalocean: { tokenSecretRef: { name: "dns01-digitalocean", key: "access-token" } } },
    });
  });

  it("rfc2136 uses the nameserver and TSIG key from config, HMACSHA256 unless told, and the TSIG secret", () => {
    assert.deepEqual(solverOf(PROVIDERS.rfc2136), {
      dns01: {
        rfc2136: {
          nameserver: "192.0.2.53:53",
          tsigKeyName: "k3s-sites.",
          tsigAlgorithm: "HMACSHA256",
          tsigSecretSecretRef: { name: "dns01-rfc2136", key: "tsig-secret" },
        },
      },
    });
    const sha512 = dns({
      provider: "rfc2136",
      rfc2136: { nameserver: "[2001:db8::53]:53", tsigKeyName: "k3s-sites.", tsigAlgorithm: "HMACSHA512" },
    });
    assert.equal(solverOf(sha512).dns01?.rfc2136?.tsigAlgorithm, "HMACSHA512");
  });

  it("hetzner goes through Hetzner's webhook with its group and solver name", () => {
    assert.deepEqual(solverOf(PROVIDERS.hetzner), {
      dns01: {
        webhook: {
          groupName: "acme.hetzner.com",
          solverName: "hetzner",
          config: { tokenSecretKeyRef: { name: "dns01-hetzner", key: "token" } },
        },
      },
    });
  });
});

describe("DNS provider Secrets", () => {
  const VALUES = { dnsApiToken: "tok-123", route53SecretAccessKey: "aws-456", rfc2136TsigSecret: "tsig-789" };

  /** The Secret reference in a provider's solver, wherever the provider keeps it. */
  function secretRefOf(site: ReturnType<typeof parse1>): { name: string; key: string } {
    const dns01 = clusterIssuers(site)[0]!.spec.acme!.solvers![0]!.dns01!;
    const ref =
      dns01.cloudflare?.apiTokenSecretRef ??
      dns01.route53?.secretAccessKeySecretRef ??
      dns01.digitalocean?.tokenSecretRef ??
      dns01.rfc2136?.tsigSecretSecretRef ??
      (dns01.webhook?.config as { tokenSecretKeyRef: { name: string; key: string } }).tokenSecretKeyRef;
    assert.ok(ref.key, `the solver of ${JSON.stringify(dns01)} names no key`);
    return { name: ref.name, key: ref.key };
  }

  for (const [provider, site] of Object.entries(PROVIDERS)) {
    it(`${provider}: one Secret in the cert-manager namespace holds the value under the key the solver reads`, async () => {
      const secrets = dnsSecretObjects(site, VALUES);
      assert.equal(secrets.length, 1);
      const secret = secrets[0]!;
      const ref = secretRefOf(site);
      assert.equal(secret.metadata?.name, ref.name);
      assert.equal(secret.metadata?.namespace, "cert-manager");
      assert.deepEqual(Object.keys(secret.data ?? {}), [ref.key]);
      const expected = VALUES[DNS_SECRETS[provider as keyof typeof DNS_SECRETS].secret];
      assert.equal(decode(secret.data![ref.key]!), expected);
      await validateBuiltin(secret);
    });
  }

  it("the API token serves cloudflare, digitalocean and hetzner; route53 and rfc2136 have their own secrets", () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(PROVIDERS).map(([p, site]) => [p, dnsSecretName(site)])),
      {
        cloudflare: "dnsApiToken",
        route53: "route53SecretAccessKey",
        digitalocean: "dnsApiToken",
        rfc2136: "rfc2136TsigSecret",
        hetzner: "dnsApiToken",
      },
    );
    assert.equal(dnsSecretName(parse1(hetznerSections())), undefined);
  });

  it("are none for HTTP-01 or with certificates off", () => {
    assert.deepEqual(dnsSecretObjects(parse1(hetznerSections()), VALUES), []);
    assert.deepEqual(dnsSecretObjects(siteWith({ enabled: false, dns01: { provider: "cloudflare" } }), VALUES), []);
    assert.equal(dnsSecretName(siteWith({ enabled: false, dns01: { provider: "cloudflare" } })), undefined);
  });

  it("refuse a missing or empty secret, naming the key and the fix but not any value", () => {
    assert.throws(() => dnsSecretObjects(PROVIDERS.route53, { dnsApiToken: "tok-123" }), {
      message:
        "the secret k3s-sites:route53SecretAccessKey is not set but certificates.dns01.provider is route53: " +
        "set it with pulumi config set --secret k3s-sites:route53SecretAccessKey",
    });
    assert.throws(() => dnsSecretObjects(PROVIDERS.hetzner, { dnsApiToken: "  " }), {
      message:
        "the secret k3s-sites:dnsApiToken is empty but certificates.dns01.provider is hetzner: " +
        "set it with pulumi config set --secret k3s-sites:dnsApiToken",
    });
  });
});

describe("Hetzner DNS webhook", () => {
  it("is needed only for the hetzner provider", () => {
    assert.deepEqual(
      Object.entries(PROVIDERS).filter(([, site]) => usesHetznerWebhook(site)).map(([p]) => p),
      ["hetzner"],
    );
    assert.equal(usesHetznerWebhook(parse1(hetznerSections())), false);
    assert.equal(usesHetznerWebhook(siteWith({ enabled: false, dns01: { provider: "hetzner" } })), false);
  });

  it("pins Hetzner's chart and lets cert-manager's service account use its API group", () => {
    assert.deepEqual(
      { chart: HETZNER_WEBHOOK.chart, repository: HETZNER_WEBHOOK.repository, version: HETZNER_WEBHOOK.version },
      { chart: "cert-manager-webhook-hetzner", repository: "https://charts.hetzner.cloud", version: "0.9.0" },
    );
    assert.deepEqual(hetznerWebhookValues(), {
      groupName: "acme.hetzner.com",
      certManager: { namespace: "cert-manager", serviceAccountName: "cert-manager" },
    });
  });
});

/** The first yaml code block of the section of docs/edge.md that starts with `heading`. */
function docYaml(heading: string): any {
  const doc = readFileSync(join(ROOT, "docs", "edge.md"), "utf8");
  const section = doc.slice(doc.indexOf(`\n${heading}\n`));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  assert.ok(section.length < doc.length && block, `docs/edge.md has no yaml block under ${heading}`);
  return parseYaml(block[1]!);
}

describe("the certificate example of docs/edge.md", () => {
  // NGINX Ingress Controller serves a host from its oldest Ingress only (internal/k8s/configuration.go of v5.5.4,
  // buildHostsAndResources), so cert-manager's own challenge Ingress for a host that already has one is ignored.
  // Editing the app's Ingress in place is what makes HTTP-01 work there.
  const ingress = docYaml("## Certificates");
  const site = parse1(exampleSections("prod"));

  it("is a valid Ingress of the nginx class", async () => {
    await validateBuiltin(ingress);
    assert.equal(ingress.kind, "Ingress");
    assert.equal(ingress.spec.ingressClassName, NGINX.ingressClass);
  });

  it("names an issuer the program creates and has cert-manager solve HTTP-01 in the Ingress itself", () => {
    const annotations = ingress.metadata.annotations;
    const issuers = clusterIssuers(site).map((i) => i.metadata?.name);
    assert.ok(issuers.includes(annotations["cert-manager.io/cluster-issuer"]), "unknown cluster-issuer");
    assert.equal(annotations["acme.cert-manager.io/http01-edit-in-place"], "true");
    const ruleHosts = ingress.spec.rules.map((r: { host: string }) => r.host);
    for (const tls of ingress.spec.tls) for (const host of tls.hosts) assert.ok(ruleHosts.includes(host), host);
  });

  it("routes to an app of the example stack that nginx may reach, in a namespace where solvers may answer", () => {
    const namespace = ingress.metadata.namespace;
    const backend = ingress.spec.rules[0].http.paths[0].backend.service.name;
    const app = site.networkPolicies.apps.find((a) => a.namespace === namespace && a.name === backend);
    assert.ok(app, `no app ${backend} in namespace ${namespace} in Pulumi.prod.yaml`);
    assert.ok(app.from.some((peer) => peer.ingress), `app ${backend} does not accept the ingress (from: [{ ingress: true }], or the older nginx: true)`);
    const solver = networkPolicies(site).find(
      (p) => p.metadata.namespace === namespace && p.metadata.name === "acme-http01-solver-from-nginx",
    );
    assert.ok(solver, `no HTTP-01 solver policy in namespace ${namespace}`);
  });
});
