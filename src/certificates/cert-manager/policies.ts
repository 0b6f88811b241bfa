/**
 * cert-manager's own policies under networkPolicies.defaultDeny, and its HTTP-01 solvers' in every app namespace
 * (its concern's `policies` hooks).
 */
import type { PolicyContext } from "../../concerns/contract";
import type { SiteConfig } from "../../config/site";
import { HETZNER_WEBHOOK, usesHetznerWebhook } from "../../edge/cert-manager";
import { CERT_MANAGER } from "../../edge/names";
import { NGINX_PEER, ipBlock, networkPolicy, tcp, type NetworkPolicy, type PolicyPeer } from "../../policy/objects";
import { apiServerRule, internet } from "../../policy/system";

/** Selects the pods of the cert-manager chart's deployment with this `app.kubernetes.io/name`. */
function certManagerPods(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": CERT_MANAGER.release };
}

/** Whether cert-manager solves challenges over HTTP-01 (through nginx) rather than DNS-01. */
export function usesHttp01(config: SiteConfig): boolean {
  return config.certificates.enabled && config.certificates.dns01 === undefined;
}

/**
 * Whether cert-manager's HTTP-01 self-check may reach nginx through its LoadBalancer Service: where the site's names
 * resolve, inside the LAN, to the Service's address (split-horizon DNS, common at home). The controller GETs
 * http://<domain>/.well-known/acme-challenge/<token> itself before it asks the ACME server to validate
 * (cert-manager/cert-manager pkg/issuer/acme/http/http.go, Check and testReachability, v1.21), and from a pod
 * that address is translated to nginx's pod before any policy applies: kube-proxy DNATs a LoadBalancer ingress IP
 * in nat OUTPUT/PREROUTING (kubernetes/kubernetes pkg/proxy/iptables/proxier.go), Cilium's kube-proxy replacement
 * does the same and applies policy after the translation (docs.cilium.io, Policy language, "Layer 4 Examples").
 * So the controller's egress names nginx's pods on port 80; the internet rule excludes the pod range.
 */
export function selfCheckThroughService(config: SiteConfig, ingressLoadBalancerService: boolean): boolean {
  return usesHttp01(config) && ingressLoadBalancerService;
}

/** HTTP-01 solver pods run in the namespace of their Certificate, i.e. an app's: nginx must reach them there. */
export function solverPolicy(namespace: string, ingress: PolicyPeer = NGINX_PEER): NetworkPolicy {
  return networkPolicy(namespace, "acme-http01-solver-from-nginx", CERT_MANAGER.solverLabel, {
    ingress: [{ from: [ingress], ports: [tcp(CERT_MANAGER.solverPort)] }],
  });
}

/** The port of an rfc2136 nameserver written host:port ([v6]:port), when it is not DNS's own 53. */
function rfc2136Port(nameserver: string | undefined): number | undefined {
  const port = nameserver?.match(/(?:^\[[^\]]+\]|^[^:]+):(\d+)$/)?.[1];
  return port !== undefined && Number(port) !== 53 ? Number(port) : undefined;
}

/** cert-manager: the API for all its pods, the webhook for the API server, ACME and DNS for the controller. */
export function certManagerPolicies(config: SiteConfig, context: PolicyContext): NetworkPolicy[] {
  const ns = CERT_MANAGER.namespace;
  const controller = certManagerPods(CERT_MANAGER.controllerName);
  // The controller, cainjector, webhook and the chart's startupapicheck Job all talk to the API.
  const api = networkPolicy(ns, "cert-manager-to-api-server", {}, { egress: [apiServerRule(config)] });
  // k3s runs kube-apiserver with enable-aggregator-routing (k3s pkg/daemons/control/server.go, with its egress
  // selector on, the default), so it calls the webhook on the pod's IP from the server's host network. From the
  // pod's own node that is always allowed (file comment). From another server the packet leaves through the CNI's
  // overlay device with that device's address, from the node's pod range (context.webhookCallers), so k3s.clusterCidr is
  // let in on this one port too (any pod may then reach the webhook's TLS port, which only answers admission
  // reviews; on Cilium, ipBlocks never match pods anyway). Under policyCIDRMatchMode nodes, Cilium matches the
  // servers' ipBlocks against node addresses.
  const webhookFrom = [...context.webhookCallers];
  const webhook = networkPolicy(ns, "cert-manager-webhook-from-api-server", certManagerPods(CERT_MANAGER.webhookName), {
    ingress: [{ from: webhookFrom, ports: [tcp(CERT_MANAGER.webhookPort)] }],
  });
  // ACME over HTTPS, and DNS providers' APIs (HTTPS too). With HTTP-01, cert-manager first fetches
  // http://<domain>/.well-known/acme-challenge/<token> itself (its self-check), through the public address: port 80.
  const acme = networkPolicy(ns, "cert-manager-to-acme", controller, {
    egress: [
      { to: internet(config), ports: usesHttp01(config) ? [tcp(80), tcp(443)] : [tcp(443)] },
      ...(selfCheckThroughService(config, context.ingressLoadBalancerService) ? [{ to: [context.ingress], ports: [tcp(context.ingressHttpPort)] }] : []),
    ],
  });
  const policies = [api, webhook, acme];
  if (usesHetznerWebhook(config)) {
    // Hetzner's DNS webhook: an APIService the API server calls like cert-manager's webhook, and Hetzner's API over
    // HTTPS to write the TXT records.
    policies.push(
      networkPolicy(ns, "hetzner-webhook", HETZNER_WEBHOOK.podLabels, {
        ingress: [{ from: webhookFrom, ports: [tcp(HETZNER_WEBHOOK.port)] }],
        egress: [{ to: internet(config), ports: [tcp(443)] }],
      }),
    );
  }
  const dns01 = config.certificates.dns01;
  if (dns01) {
    // DNS-01: cert-manager checks the TXT record at the zone's authoritative nameservers itself, wherever they are,
    // and rfc2136 sends its updates to the configured nameserver, on its port.
    const extra = rfc2136Port(dns01.rfc2136?.nameserver);
    policies.push(
      networkPolicy(ns, "cert-manager-to-dns", controller, {
        egress: [
          {
            to: [ipBlock("0.0.0.0/0"), ipBlock("::/0")],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
              ...(extra !== undefined ? [{ protocol: "UDP" as const, port: extra }, tcp(extra)] : []),
            ],
          },
        ],
      }),
    );
  }
  return policies;
}
