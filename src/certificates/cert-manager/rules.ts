/** cert-manager's rules: the certificates section, checked before any resource. */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";

/**
 * A DNS-01 provider needs its settings, and only its own. certificates.email is optional: an ACME account needs no
 * contact (RFC 8555 section 7.3, "contact" is optional; cert-manager's ACMEIssuer.email is optional), and Let's
 * Encrypt stopped sending expiry emails on 2025-06-04 (letsencrypt.org/2025/01/22/ending-expiration-emails).
 */
export function checkCertificates(config: SiteConfig): Problem[] {
  const certificates = config.certificates;
  if (!certificates.enabled) return [];
  const problems: Problem[] = [];
  const dns01 = certificates.dns01;
  if (!dns01) return problems;
  const required = (key: string, fix: string): Problem => ({
    path: `certificates.dns01.${key}`,
    message: `is required when certificates.dns01.provider is ${dns01.provider}: ${fix}`,
  });
  if (dns01.provider === "route53") {
    if (dns01.route53?.region === undefined) {
      problems.push(required("route53.region", "set the AWS region of the Route 53 API, e.g. eu-central-1"));
    }
    if (dns01.route53?.accessKeyID === undefined) {
      problems.push(
        required(
          "route53.accessKeyID",
          "set the access key ID of an IAM user allowed to change the zone's records, and its secret key with " +
            "pulumi config set --secret k3s-sites:route53SecretAccessKey",
        ),
      );
    }
  }
  if (dns01.provider === "rfc2136") {
    if (dns01.rfc2136?.nameserver === undefined) {
      problems.push(required("rfc2136.nameserver", "set the DNS server that accepts dynamic updates, e.g. 192.0.2.53:53"));
    }
    if (dns01.rfc2136?.tsigKeyName === undefined) {
      problems.push(
        required(
          "rfc2136.tsigKeyName",
          "set the name of the TSIG key the server accepts updates with, and its secret with " +
            "pulumi config set --secret k3s-sites:rfc2136TsigSecret",
        ),
      );
    }
  }
  for (const provider of ["route53", "rfc2136"] as const) {
    if (dns01[provider] !== undefined && dns01.provider !== provider) {
      problems.push({
        path: `certificates.dns01.${provider}`,
        message: `is set but certificates.dns01.provider is ${dns01.provider}: remove it, or set the provider to ${provider}`,
      });
    }
  }
  return problems;
}
