/** The `certificates` section: cert-manager's fragment of the stack config (its concern's `fragment`). */
import { z } from "zod";

/** DNS providers that can solve ACME DNS-01 challenges: four built into cert-manager, and Hetzner through its webhook. */
export const DNS01_PROVIDERS = ["cloudflare", "route53", "digitalocean", "rfc2136", "hetzner"] as const;
export type Dns01Provider = (typeof DNS01_PROVIDERS)[number];

/** The TSIG algorithms cert-manager's RFC 2136 solver accepts (pkg/issuer/acme/dns/rfc2136, supportedAlgorithms). */
export const TSIG_ALGORITHMS = ["HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"] as const;

// Provider settings are optional here so that checkCertificates (rules.ts) can name the provider that needs them.
const route53 = z.strictObject({
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: "expected an AWS region such as eu-central-1" })
    .optional()
    .meta({ description: "AWS region of the Route 53 API, e.g. eu-central-1. Required for route53." }),
  accessKeyID: z
    .string()
    .regex(/^[A-Z0-9]{16,128}$/, { message: "expected an AWS access key ID such as AKIAIOSFODNN7EXAMPLE" })
    .optional()
    .meta({
      description:
        "Access key ID of an IAM user allowed to change the zone's records; its secret key is the secret " +
        "k3s-sites:route53SecretAccessKey. Required for route53.",
    }),
  hostedZoneID: z
    .string()
    .regex(/^[A-Z0-9]{1,32}$/, { message: "expected a Route 53 hosted zone ID such as Z2ABCDEF123456, without /hostedzone/" })
    .optional()
    .meta({ description: "Hosted zone to update. Default: the zone Route 53 finds for the name." }),
});

const rfc2136 = z.strictObject({
  nameserver: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, {
      message: "expected host:port such as 192.0.2.53:53 or ns1.example.com:53, with an IPv6 address in brackets: [2001:db8::53]:53",
    })
    .optional()
    .meta({ description: "Authoritative DNS server that accepts dynamic updates, host:port. Required for rfc2136." }),
  tsigKeyName: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        "Name of the TSIG key the server accepts updates with; the key itself is the secret " +
        "k3s-sites:rfc2136TsigSecret. Required for rfc2136.",
    }),
  tsigAlgorithm: z
    .enum(TSIG_ALGORITHMS, { message: `expected ${TSIG_ALGORITHMS.join(", ")}` })
    .default("HMACSHA256")
    .meta({ description: "Algorithm of the TSIG key. cert-manager's own default is HMACMD5." }),
});

export const certificatesSchema = z.strictObject({
  enabled: z.boolean().default(true),
  email: z
    .email({ message: "expected an email address such as ops@example.com" })
    .optional()
    .meta({
      description:
        "Contact of the ACME account. Optional: Let's Encrypt stopped sending expiry emails in 2025. Default: none.",
    }),
  dns01: z
    .strictObject({
      provider: z
        .enum(DNS01_PROVIDERS, { message: "expected cloudflare, route53, digitalocean, rfc2136 or hetzner" })
        .meta({
          description:
            "cloudflare, digitalocean and hetzner read an API token from the secret k3s-sites:dnsApiToken; " +
            "route53 and rfc2136 need their settings below.",
        }),
      route53: route53.optional().meta({ description: "Route 53 settings (provider route53)." }),
      rfc2136: rfc2136.optional().meta({ description: "RFC 2136 dynamic update settings (provider rfc2136)." }),
    })
    .optional()
    .meta({ description: "Solve ACME challenges through DNS instead of HTTP." }),
  verifyHost: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/, {
      message: "expected a fully qualified DNS name that resolves to the site, e.g. verify.example.com",
    })
    .optional()
    .meta({
      description:
        "A name that resolves to the site: the verification checks have the staging issuer issue a certificate " +
        "for it. Default: none (the checks only see the ClusterIssuers report Ready).",
    }),
});
