/**
 * Cross-field rules on the site's edge: certificates and their DNS-01 provider, the load balancer, public IPv4.
 */
import { containsIp, parseCidr, parseIp } from "../net/cidr";
import { type Problem } from "./problems";
import type { SiteConfig } from "./site";

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

/** Load-balancer ports are unique, and 80/443 belong to the ingress. */
export function checkLoadBalancer(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const lb = config.site.loadBalancer;
  const problems: Problem[] = [];
  const ports = new Map<number, string>([
    [80, "the ingress (http)"],
    [443, "the ingress (https)"],
  ]);
  const names = new Set(["http", "https"]);
  lb.services.forEach((service, i) => {
    const taken = ports.get(service.listenPort);
    if (taken) {
      problems.push({
        path: `site.loadBalancer.services[${i}].listenPort`,
        message: `${service.listenPort} is already used by ${taken}: each listen port can be forwarded once`,
      });
    } else ports.set(service.listenPort, `site.loadBalancer.services[${i}] (${service.name})`);
    if (names.has(service.name)) {
      problems.push({
        path: `site.loadBalancer.services[${i}].name`,
        message: `"${service.name}" is already used: give each port its own name`,
      });
    }
    names.add(service.name);
  });
  if (lb.healthCheck.timeoutSeconds > lb.healthCheck.intervalSeconds) {
    problems.push({
      path: "site.loadBalancer.healthCheck.timeoutSeconds",
      message: `${lb.healthCheck.timeoutSeconds} is longer than intervalSeconds ${lb.healthCheck.intervalSeconds}: a check must time out before the next one starts`,
    });
  }
  return problems;
}

/** Without a public IPv4, the nodes reach IPv4-only places (registries, ACME) through a NAT server in the network. */
export function checkPublicIpv4(config: SiteConfig): Problem[] {
  if (config.site.kind !== "hetzner") return [];
  const { publicIpv4, network } = config.site;
  if (publicIpv4 && network.natGateway !== undefined) {
    return [
      {
        path: "site.network.natGateway",
        message: `${network.natGateway} is set but site.publicIpv4 is true: remove it, or set site.publicIpv4: false to route outbound traffic through it`,
      },
    ];
  }
  if (publicIpv4) return [];
  if (network.natGateway === undefined) {
    return [
      {
        path: "site.network.natGateway",
        message:
          "is required when site.publicIpv4 is false: nodes without a public IPv4 need a NAT server in the network " +
          "(see docs/hetzner.md, 'Nodes without public IPv4'), e.g. 10.0.0.2",
      },
    ];
  }
  const cidr = parseCidr(network.cidr);
  const ip = parseIp(network.natGateway);
  if (cidr && ip && !containsIp(cidr, ip)) {
    return [
      {
        path: "site.network.natGateway",
        message: `${network.natGateway} is outside site.network.cidr ${network.cidr}: use the NAT server's private address`,
      },
    ];
  }
  const node = config.nodes.find((n) => n.privateIp === network.natGateway);
  if (node) {
    return [
      {
        path: "site.network.natGateway",
        message: `${network.natGateway} is node ${node.name}'s address: use the NAT server's own private address`,
      },
    ];
  }
  return [];
}
