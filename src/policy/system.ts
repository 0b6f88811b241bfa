/**
 * The policies the system itself needs once every managed namespace denies all traffic: DNS, the ingress
 * controller, cert-manager and its HTTP-01 solvers. App traffic is in network-policies.ts.
 *
 * Where the traffic comes from, and why some of it needs no rule:
 *
 * - Kubelet probes need no rule with either CNI. They come from the pod's own node, and "traffic to and from the
 *   node where a Pod is running is always allowed" (kubernetes.io, Network Policies). Calico does not police
 *   host-to-local-workload traffic at all (felix/rules/static.go, filterOutputChain: "We don't currently police
 *   host -> endpoint according to the endpoint's ingress policy"); Cilium lets the local host in unless the agent
 *   runs with --allow-localhost=policy (docs.cilium.io, Policy language, "Access to/from local host"; the chart keeps
 *   the default). The same holds for the API server calling a webhook pod on its own node.
 * - The Kubernetes API is reached through the `kubernetes` Service (ClusterIP, port 443), but both CNIs apply egress
 *   policy after the Service's address is translated: kube-proxy (Canal) DNATs in the nat table's PREROUTING, before
 *   Calico's filter chains; Cilium applies "Layer 4 policies ... to ports after service port mapping has been
 *   applied" (Policy language, "Layer 4 Examples"). The endpoints are the servers' advertise-address, their private
 *   IP (src/k3s/config.ts), on 6443. So the rule names each server's private IP on 6443, and no ClusterIP rule is
 *   needed.
 * - Cilium: ipBlock peers match no node unless Cilium runs with `policyCIDRMatchMode: [nodes]` ("By default,
 *   CIDR-based selectors do not match in-cluster entities (pods or nodes)", Policy language, "Selecting nodes with
 *   CIDR / ipBlock"). The rules below that name servers need that value on Cilium sites.
 */
import { ciliumValues } from "../cni/cilium";
import { flannelOverlaySource } from "../cni/flannel/flannel";
import { HETZNER_WEBHOOK, usesHetznerWebhook } from "../edge/cert-manager";
import { CERT_MANAGER, NGINX } from "../edge/names";
import { hasLoadBalancerService } from "../edge/nginx";
import { API_PORT } from "../hetzner/model";
import type { SiteConfig } from "../config/site";
import { isHetzner } from "../config/site";
import { METALLB } from "../lb/metallb/metallb";
import {
  DNS_RULE,
  NGINX_PEER,
  ipBlock,
  networkPolicy,
  podsIn,
  tcp,
  type EgressRule,
  type NetworkPolicy,
  type PolicyPeer,
} from "./objects";

/** Selects the pods of the cert-manager chart's deployment with this `app.kubernetes.io/name`. */
function certManagerPods(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": CERT_MANAGER.release };
}

/** Every server's private IP: where the API server listens (6443) and where it calls webhooks from. */
export function apiServerPeers(config: SiteConfig): PolicyPeer[] {
  return config.nodes.filter((n) => n.role === "server").map((n) => ipBlock(`${n.privateIp}/32`));
}

/** Egress to the Kubernetes API, post-DNAT (see the file comment). */
export function apiServerRule(config: SiteConfig): EgressRule {
  return { to: apiServerPeers(config), ports: [tcp(API_PORT)] };
}

/** Names of the two policies every managed namespace gets. */
export const BASELINE_POLICY_NAMES = { defaultDeny: "default-deny", dns: "allow-dns" } as const;

/** Default-deny both ways, and DNS, for every pod of a managed namespace. */
export function namespaceBaseline(namespace: string): NetworkPolicy[] {
  return [
    networkPolicy(namespace, BASELINE_POLICY_NAMES.defaultDeny, {}, { ingress: [], egress: [] }),
    networkPolicy(namespace, BASELINE_POLICY_NAMES.dns, {}, { egress: [DNS_RULE] }),
  ];
}

/**
 * The addresses a packet from a node's host network to a pod on another node leaves with, besides the node's own
 * address: what the API server's calls to webhook pods come from when the webhook runs on another node. Both CNIs
 * send it through an overlay device whose address is the first of that node's pod range, inside k3s.clusterCidr
 * (the node pod ranges are not known before the nodes exist, so the whole range stands in for them):
 * - Canal: flannel.1, whose address Flannel takes from the node's pod range (its first address).
 * - k3s's own Flannel (cni.plugin flannel): the same flannel.1 with vxlan, flannel-wg with wireguard-native; host-gw
 *   sends with the node's address (flannelOverlaySource in src/cni/flannel/flannel.ts).
 * - Cilium in tunnel mode: the route to every remote pod range is `<range> via <router IP> dev cilium_host src
 *   <router IP>` for IPv4 (pkg/datapath/linux/node.go, createNodeRouteSpec: the IPv4 `local`, the route's source, is
 *   the router address, CiliumInternalIPv4 in recent versions, Router() in old ones). Read in the stored versions of
 *   that file, from an old one (commit 005d3ed35c13) to a recent one with netip, slog and hybrid routing, the same in
 *   all; the v1.19.6 tree itself could not be fetched here (too large), so it is not read at the tag. The router
 *   (cilium_host) address comes from the node's pod range (IPAM kubernetes). For IPv6 the source is the node's own
 *   address, and with native routing the packet leaves with the node's address: both are the servers' addresses,
 *   already allowed.
 * - Calico with IPIP or VXLAN(CrossSubnet) on the IPv4 pool: calico-node gives each node a tunnel address from an
 *   enabled pool whose ipipMode or vxlanMode is Always or CrossSubnet (node/pkg/allocateip/allocateip.go,
 *   reconcileTunnelAddrs and determineEnabledPoolCIDRs, v3.31.7 and v3.32.1), and Felix puts it on tunl0 or
 *   vxlan.calico, which the tunnelled routes leave by: a pod-range source. With encapsulation None there is no
 *   tunnel device, and the routes BIRD programs carry no preferred source (no krt_prefsrc in confd/etc templates at
 *   both tags), so the packet leaves with the node's own address. With VXLANCrossSubnet inside one segment too.
 * Webhook Services are single-stack IPv4 (the first family of a dual-stack site), so IPv4 is what matters.
 */
export function remoteNodeSources(config: SiteConfig): PolicyPeer[] {
  const overlay =
    config.cni.plugin === "canal" ||
    flannelOverlaySource(config) ||
    (config.cni.plugin === "cilium" && ciliumValues(config).routingMode === "tunnel") ||
    (config.cni.plugin === "calico" && config.cni.calico.encapsulation !== "None");
  return overlay ? [ipBlock(config.k3s.clusterCidr)] : [];
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
export function selfCheckThroughService(config: SiteConfig): boolean {
  return usesHttp01(config) && hasLoadBalancerService(config);
}

/** Whether cert-manager solves challenges over HTTP-01 (through nginx) rather than DNS-01. */
export function usesHttp01(config: SiteConfig): boolean {
  return config.certificates.enabled && config.certificates.dns01 === undefined;
}

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
    .filter((app) => app.from.some((peer) => peer.ingress))
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

/** HTTP-01 solver pods run in the namespace of their Certificate, i.e. an app's: nginx must reach them there. */
export function solverPolicy(namespace: string): NetworkPolicy {
  return networkPolicy(namespace, "acme-http01-solver-from-nginx", CERT_MANAGER.solverLabel, {
    ingress: [{ from: [NGINX_PEER], ports: [tcp(CERT_MANAGER.solverPort)] }],
  });
}

/** Everything on the internet except the cluster's own pod and Service ranges, in both families. */
function internet(config: SiteConfig): PolicyPeer[] {
  const k3s = config.k3s;
  const v6 = [k3s.clusterCidrV6, k3s.serviceCidrV6].filter((c): c is string => c !== undefined);
  return [ipBlock("0.0.0.0/0", [k3s.clusterCidr, k3s.serviceCidr]), ipBlock("::/0", v6)];
}

/** The port of an rfc2136 nameserver written host:port ([v6]:port), when it is not DNS's own 53. */
function rfc2136Port(nameserver: string | undefined): number | undefined {
  const port = nameserver?.match(/(?:^\[[^\]]+\]|^[^:]+):(\d+)$/)?.[1];
  return port !== undefined && Number(port) !== 53 ? Number(port) : undefined;
}

/** cert-manager: the API for all its pods, the webhook for the API server, ACME and DNS for the controller. */
export function certManagerPolicies(config: SiteConfig): NetworkPolicy[] {
  const ns = CERT_MANAGER.namespace;
  const controller = certManagerPods(CERT_MANAGER.controllerName);
  // The controller, cainjector, webhook and the chart's startupapicheck Job all talk to the API.
  const api = networkPolicy(ns, "cert-manager-to-api-server", {}, { egress: [apiServerRule(config)] });
  // k3s runs kube-apiserver with enable-aggregator-routing (k3s pkg/daemons/control/server.go, with its egress
  // selector on, the default), so it calls the webhook on the pod's IP from the server's host network. From the
  // pod's own node that is always allowed (file comment). From another server the packet leaves through the CNI's
  // overlay device with that device's address, from the node's pod range (remoteNodeSources), so k3s.clusterCidr is
  // let in on this one port too (any pod may then reach the webhook's TLS port, which only answers admission
  // reviews; on Cilium, ipBlocks never match pods anyway). Under policyCIDRMatchMode nodes, Cilium matches the
  // servers' ipBlocks against node addresses.
  const webhookFrom = [...apiServerPeers(config), ...remoteNodeSources(config)];
  const webhook = networkPolicy(ns, "cert-manager-webhook-from-api-server", certManagerPods(CERT_MANAGER.webhookName), {
    ingress: [{ from: webhookFrom, ports: [tcp(CERT_MANAGER.webhookPort)] }],
  });
  // ACME over HTTPS, and DNS providers' APIs (HTTPS too). With HTTP-01, cert-manager first fetches
  // http://<domain>/.well-known/acme-challenge/<token> itself (its self-check), through the public address: port 80.
  const acme = networkPolicy(ns, "cert-manager-to-acme", controller, {
    egress: [
      { to: internet(config), ports: usesHttp01(config) ? [tcp(80), tcp(443)] : [tcp(443)] },
      ...(selfCheckThroughService(config) ? [{ to: [NGINX_PEER], ports: [tcp(NGINX.httpPort)] }] : []),
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

/**
 * MetalLB's namespace, on sites that run it: its controller talks to the API and answers the API server's webhook
 * calls (as cert-manager's webhook does, from the servers and through the overlay); nothing else reaches it or
 * leaves it. The speakers run on the host network (templates/speaker.yaml, hostNetwork: true), where
 * NetworkPolicies do not apply.
 */
export function metallbPolicies(config: SiteConfig): NetworkPolicy[] {
  const ns = METALLB.namespace;
  const controller = { ...METALLB.controllerLabels };
  return [
    ...namespaceBaseline(ns),
    networkPolicy(ns, "metallb-controller-to-api-server", controller, { egress: [apiServerRule(config)] }),
    networkPolicy(ns, "metallb-webhook-from-api-server", controller, {
      ingress: [{ from: [...apiServerPeers(config), ...remoteNodeSources(config)], ports: [tcp(METALLB.webhookPort)] }],
    }),
  ];
}
