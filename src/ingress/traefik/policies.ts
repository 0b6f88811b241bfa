/**
 * Traefik's NetworkPolicies: clients on its entry points, the API, and the backends its routes name (apps that list
 * `from: [{ ingress: true }]`, on their ports) plus HTTP-01 solver pods in every namespace. As nginx's, on the pod's
 * ports: the hostPort's DNAT rewrites 80 and 443 to 8000 and 8443 before any policy applies.
 */
import { usesHttp01 } from "../../certificates/cert-manager/policies";
import { isHetzner, type SiteConfig } from "../../config/site";
import { CERT_MANAGER } from "../../edge/names";
import { ipBlock, networkPolicy, podsIn, tcp, type EgressRule, type NetworkPolicy } from "../../policy/objects";
import { apiServerRule } from "../../policy/system";
import { TRAEFIK } from "./names";
import type { TraefikSettings } from "./schema";
import { extraEntryPoints } from "./values";

export function traefikPolicies(config: SiteConfig, settings: TraefikSettings): NetworkPolicy[] {
  // On a Hetzner site everything comes from the load balancer's private address (its health checks too); at home,
  // from the LAN or the internet, and behind a LoadBalancer Service perhaps from a node after SNAT: anyone.
  const from = isHetzner(config.site) ? [ipBlock(`${config.site.plan.loadBalancerIp}/32`)] : undefined;
  const extra = Object.values(extraEntryPoints(config, settings)).flatMap((p) => (p.port !== undefined ? [tcp(p.port)] : []));
  const clients = networkPolicy(TRAEFIK.namespace, `${TRAEFIK.name}-from-clients`, TRAEFIK.podLabels, {
    ingress: [{ ...(from ? { from } : {}), ports: [tcp(TRAEFIK.httpPort), tcp(TRAEFIK.httpsPort), ...extra] }],
  });
  const api = networkPolicy(TRAEFIK.namespace, `${TRAEFIK.name}-to-api-server`, TRAEFIK.podLabels, { egress: [apiServerRule(config)] });
  // Traefik proxies to the endpoints (pod address and port) itself, not to the Service.
  const backends: EgressRule[] = config.networkPolicies.apps
    .filter((app) => app.from.some((peer) => peer.ingress))
    .map((app) => ({ to: [podsIn(app.namespace, app.podSelector)], ports: app.ports.map((p) => ({ protocol: p.protocol, port: p.port })) }));
  if (usesHttp01(config)) {
    backends.push({
      to: [{ namespaceSelector: {}, podSelector: { matchLabels: { ...CERT_MANAGER.solverLabel } } }],
      ports: [tcp(CERT_MANAGER.solverPort)],
    });
  }
  return [
    clients,
    api,
    ...(backends.length > 0 ? [networkPolicy(TRAEFIK.namespace, `${TRAEFIK.name}-to-backends`, TRAEFIK.podLabels, { egress: backends })] : []),
  ];
}
