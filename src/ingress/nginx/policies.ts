/** NGINX Ingress Controller's own policies under networkPolicies.defaultDeny (its concern's `policies.system`). */
import { CERT_MANAGER, NGINX } from "../../edge/names";
import { isHetzner, type SiteConfig } from "../../config/site";
import { ipBlock, networkPolicy, podsIn, tcp, type EgressRule, type NetworkPolicy } from "../../policy/objects";
import { apiServerRule } from "../../policy/system";
import { usesHttp01 } from "../../certificates/cert-manager/policies";

/**
 * The ingress controller: clients on 80/443, the API, and the backends its Ingresses name (apps that list
 * `from: nginx`, on their ports) plus HTTP-01 solver pods in every namespace.
 */
export function nginxPolicies(config: SiteConfig): NetworkPolicy[] {
  // Traffic arrives on the hostPort and is DNATed to the pod with its source kept. On a Hetzner site it comes from
  // the load balancer, over the private network, from the load balancer's private address (its health checks too),
  // so only that address is let in. On a home site clients arrive from the LAN or, through the router, from the
  // internet, and behind a Cilium LoadBalancer Service the source may be a node after SNAT: anyone may connect.
  const from = isHetzner(config.site) ? [ipBlock(`${config.site.plan.loadBalancerIp}/32`)] : undefined;
  const clients = networkPolicy(NGINX.namespace, `${NGINX.name}-from-clients`, NGINX.podLabels, {
    ingress: [{ ...(from ? { from } : {}), ports: [tcp(NGINX.httpPort), tcp(NGINX.httpsPort)] }],
  });
  const api = networkPolicy(NGINX.namespace, `${NGINX.name}-to-api-server`, NGINX.podLabels, {
    egress: [apiServerRule(config)],
  });
  // NGINX Ingress Controller proxies to the endpoints (pod IP and container port) itself, not to the Service.
  const backends: EgressRule[] = config.networkPolicies.apps
    .filter((app) => app.from.some((peer) => peer.nginx))
    .map((app) => ({
      to: [podsIn(app.namespace, app.podSelector)],
      ports: app.ports.map((p) => ({ protocol: p.protocol, port: p.port })),
    }));
  if (usesHttp01(config)) {
    // A solver pod runs in the namespace of its Certificate, which is any namespace with an Ingress, declared as an
    // app or not: the first certificate of a site is often issued before any app is declared.
    backends.push({
      to: [{ namespaceSelector: {}, podSelector: { matchLabels: { ...CERT_MANAGER.solverLabel } } }],
      ports: [tcp(CERT_MANAGER.solverPort)],
    });
  }
  return [
    clients,
    api,
    ...(backends.length > 0
      ? [networkPolicy(NGINX.namespace, `${NGINX.name}-to-backends`, NGINX.podLabels, { egress: backends })]
      : []),
  ];
}
