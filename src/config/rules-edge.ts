/**
 * Cross-field rules on the site's edge: certificates and their DNS-01 provider, the load balancer, public IPv4.
 */
import { containsIp, parseCidr, parseIp } from "../net/cidr";
import { type Problem } from "./problems";
import type { SiteConfig } from "./site";

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
