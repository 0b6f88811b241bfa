/**
 * The path each check's packets take on a site, as plain data: who sends, what each hop looks like to the
 * NetworkPolicies on its way (the sender's egress, the receiver's ingress, after any address translation), the
 * source address the packets arrive with, whether they must be admitted or refused, and the upstream fact behind
 * each step. test/verify/paths.test.ts walks these rows against the plan of every site shape with the program's
 * NetworkPolicy evaluator (plan/charts/reach.ts) and against the Jobs the plan registers; docs/checks.md shows
 * them, generated from here.
 *
 * The facts the steps rest on (read upstream; the tests hold the program to them):
 */
import { cniOf } from "../concerns/registry";
import type { SiteConfig } from "../config/site";
import { isHetzner } from "../config/site";
import { CERT_MANAGER, COREDNS, NGINX } from "../edge/names";
import { hasLoadBalancerService } from "../ingress/nginx/nginx";
import { API_PORT } from "../hetzner/model";
import { selfCheckThroughService, usesHttp01 } from "../certificates/cert-manager/policies";
import { announcementOf } from "./announcement";
import { appRuleOf } from "./app-rule";
import { checksOf } from "./jobs";
import { DENIED_PORT, ECHO_PORT, OUTSIDE, PROBE_PORT, VERIFY_NAMESPACE, type JobName } from "./names";

export const UPSTREAM = {
  // flannel-io/flannel pkg/trafficmngr/iptables/iptables.go (masqRules); Calico IPPool natOutgoing; docs.cilium.io,
  // Masquerading.
  podToPod:
    "pod-to-pod keeps the pod's address: flannel returns before masquerading traffic to the cluster range, Calico's " +
    "natOutgoing leaves pool destinations alone, Cilium masquerades only traffic leaving the cluster",
  // flannel-io/flannel pkg/trafficmngr/iptables/iptables.go, masqRules: `-s <cluster cidr> ! -d 224.0.0.0/4 -j MASQUERADE`.
  masquerade:
    "a pod's packet to a node address leaves as its node: flannel masquerades the cluster range's traffic leaving it, " +
    "as do Calico's natOutgoing and Cilium's masquerading",
  // containernetworking/plugins plugins/meta/portmap.
  hostSource:
    "from the host network the packet leaves with the node's own private address, and the portmap plugin's hostPort " +
    "DNAT keeps the source",
  // kubernetes.io, Network Policies, ipBlock.
  ownNode: "traffic from a pod's own node is always allowed",
  // containernetworking/plugins plugins/meta/portmap/portmap.go: CNI-HOSTPORT-DNAT from nat OUTPUT with
  // `-m addrtype --dst-type LOCAL`; Cilium's socket LB with kubeProxyReplacement.
  portmapOutput:
    "a node's own connection to its hostPort is translated to the pod: the portmap plugin catches the node's own " +
    "connections to its local addresses; Cilium with kubeProxyReplacement serves hostPorts itself and translates " +
    "the host's own connect at the socket",
  // docs.cilium.io, Policy language, Selecting nodes with CIDR / ipBlock.
  ciliumNodes: "Cilium matches ipBlocks against node addresses only with policyCIDRMatchMode: [nodes], which the site sets",
  // kubernetes/kubernetes pkg/proxy/iptables/proxier.go, "Capture load-balancer ingress": per load-balancer IP,
  // `-d <lb ip> -p <protocol> --dport <service port>` in KUBE-SERVICES from nat OUTPUT and PREROUTING; docs.cilium.io,
  // Policy language, Layer 4 Examples.
  serviceCapture:
    "a Service or LoadBalancer address is translated to a pod before policy applies: kube-proxy captures the " +
    "Service's ports only, so a connection to another port leaves the node; Cilium's kube-proxy replacement " +
    "translates the same and applies policy after it",
  apiPostDnat: "the kubernetes Service is translated to the servers' advertise address on 6443 before policy (src/policy/system.ts)",
  hetznerLb:
    "the Hetzner load balancer forwards to the targets' private addresses from its own private address " +
    "(src/policy/system.ts nginxPolicies), adding the PROXY header when the service has proxyprotocol",
  // nginx/kubernetes-ingress v5.5.4 internal/configs/version1/nginx.ingress.tmpl, listen ... proxy_protocol.
  proxyListener:
    "with ingress.proxyProtocol nginx listens with proxy_protocol on port 80 and refuses a request without the header",
  // cloudnativelabs/kube-router pkg/controllers/netpol, embedded by k3s pkg/agent/netpol: each pod's KUBE-POD-FW
  // chain ends with `-m mark ! --mark 0x10000/0x10000 -j REJECT --reject-with icmp-port-unreachable`.
  kubeRouterReject:
    "k3s's policy controller rejects a pod's traffic that no policy admits, and admits a peer only once the peer's " +
    "address is in its sets, filled from the API after the pod has an IP: until then a new pod's connection is " +
    "refused at once, so the checks retry",
  neighbour:
    "an address announced in L2 mode is answered by one node's ARP/NDP responder, the one the load-balancing " +
    "concern elects (the check reads which); its own requests never reach it",
  // cert-manager/cert-manager pkg/issuer/acme/http/http.go, testReachability.
  selfCheck: "cert-manager GETs http://<domain>/.well-known/acme-challenge/<token> itself before validation",
  solver: "nginx proxies to the solver pod's address and port itself (NGINX Ingress Controller upstreams are endpoints)",
  coredns: "CoreDNS runs in kube-system, which the site does not isolate",
} as const;
export type UpstreamKey = keyof typeof UPSTREAM;

/** One end of a hop as NetworkPolicies see it: a pod, or an address (a node's host network, the load balancer, the internet). */
export type PathEnd =
  | { readonly pod: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> }; readonly ip?: undefined; readonly name: string }
  | { readonly ip: string; readonly pod?: undefined; readonly name: string };

/** One hop: a packet from `from` to `to` on `port`; egress is judged where `from` is a pod, ingress where `to` is. */
export interface Hop {
  readonly from: PathEnd;
  readonly to: PathEnd;
  readonly protocol: "TCP" | "UDP";
  readonly port: number;
  readonly because: readonly UpstreamKey[];
  /** A node to a pod on itself: no NetworkPolicy refuses it (ownNode), so the walk admits it without rules. */
  readonly sameNode?: boolean;
  /**
   * A request that reaches nginx without a PROXY header (a client that sends none, with no load balancer adding one):
   * with ingress.proxyProtocol nginx's port 80 refuses it (proxyListener), and the walk judges that too. Hops without
   * it carry the header exactly when nginx expects one (the checks' PROXY_PROTOCOL and LB_PROXY, the Hetzner load
   * balancer's own).
   */
  readonly bare?: boolean;
}

export interface CheckPath {
  /** The check and what it tries: `edge: hostPort of every node`. */
  readonly check: string;
  /** The Job that sends it. */
  readonly job: JobName;
  readonly hops: readonly Hop[];
  /** Admitted: the check passes only if it is; refused: the check proves a rule holds by its refusal. */
  readonly expect: "admitted" | "refused";
  /** A port the check connects to that must not be one of nginx's Service's, so no datapath captures it. */
  readonly notServicePort?: number;
}

const verifyPod = (check: JobName): PathEnd => ({
  pod: { namespace: VERIFY_NAMESPACE, labels: { "k3s-sites/check": check } },
  name: `pod of Job verify-${check}`,
});
const nginxPod: PathEnd = { pod: { namespace: NGINX.namespace, labels: { ...NGINX.podLabels } }, name: "nginx's pod (on another node)" };
const corednsPod: PathEnd = { pod: { namespace: COREDNS.namespace, labels: { ...COREDNS.podLabels } }, name: "CoreDNS" };

function dnsHops(from: PathEnd): Hop[] {
  return (["UDP", "TCP"] as const).map((protocol) => ({ from, to: corednsPod, protocol, port: COREDNS.port, because: ["coredns"] as const }));
}

/** Every path of every check the site runs. `lbAddresses`: the Hetzner load balancer's public addresses. */
export function checkPaths(config: SiteConfig, lbAddresses: readonly string[] = []): CheckPath[] {
  const checks = checksOf(config);
  const out: CheckPath[] = [];
  const servers = config.nodes.filter((n) => n.role === "server");
  const api = (from: PathEnd): Hop => ({
    from,
    to: { ip: servers[0]!.privateIp, name: `the API server on ${servers[0]!.name}` },
    protocol: "TCP",
    port: API_PORT,
    because: ["apiPostDnat"],
  });
  if (checks.includes("dns")) out.push({ check: "dns: CoreDNS answers", job: "dns", hops: dnsHops(verifyPod("dns")), expect: "admitted" });
  if (checks.includes("pods")) {
    const echo: PathEnd = { pod: { namespace: VERIFY_NAMESPACE, labels: { "k3s-sites/check": "echo" } }, name: "an echo pod on another node" };
    out.push({
      check: "pods: every node's echo server answers",
      job: "pods",
      hops: [{ from: verifyPod("pods"), to: echo, protocol: "TCP", port: ECHO_PORT, because: ["podToPod", "kubeRouterReject"] }],
      expect: "admitted",
    });
  }
  if (checks.includes("policies")) {
    const from = verifyPod("policies");
    const echo: PathEnd = { pod: { namespace: VERIFY_NAMESPACE, labels: { "k3s-sites/check": "echo" } }, name: "an echo pod" };
    out.push(
      { check: "policies: the allowed port connects", job: "policies", hops: [{ from, to: echo, protocol: "TCP", port: ECHO_PORT, because: ["podToPod", "kubeRouterReject"] }], expect: "admitted" },
      { check: "policies: a port without a rule is refused", job: "policies", hops: [{ from, to: echo, protocol: "TCP", port: DENIED_PORT, because: ["podToPod"] }], expect: "refused" },
      {
        check: "policies: egress without a rule is refused",
        job: "policies",
        hops: [{ from, to: { ip: OUTSIDE.address, name: "an internet address" }, protocol: "TCP", port: OUTSIDE.port, because: ["masquerade"] }],
        expect: "refused",
      },
      { check: "policies: DNS under default-deny", job: "policies", hops: dnsHops(from), expect: "admitted" },
    );
    const rule = appRuleOf(config);
    if ("app" in rule) {
      const standIn: PathEnd = { pod: { namespace: NGINX.namespace, labels: { "k3s-sites/check": "policies-app", ...NGINX.podLabels } }, name: "the stand-in for nginx" };
      const app: PathEnd = {
        pod: { namespace: rule.app.namespace, labels: { "k3s-sites/check": "policies-app-server", ...rule.app.podSelector } },
        name: `the stand-in for app ${rule.app.name}`,
      };
      out.push(
        { check: `policies: nginx reaches app ${rule.app.name}`, job: "policies-app", hops: [{ from: standIn, to: app, protocol: "TCP", port: rule.port, because: ["podToPod", "solver"] }], expect: "admitted" },
        {
          check: `policies: nginx cannot reach app ${rule.app.name} on a port it does not declare`,
          job: "policies-app",
          hops: [{ from: standIn, to: app, protocol: "TCP", port: rule.deniedPort, because: ["podToPod"] }],
          expect: "refused",
        },
      );
    }
  }
  if (checks.includes("edge")) {
    // One pod on every node's host network calls its own node's address: nginx's pod on that node, from the node.
    const node = config.nodes[0]!;
    out.push({
      check: "edge: every node's hostPort answers, called from that node's own host network",
      job: "edge-host",
      hops: [
        {
          from: { ip: node.privateIp, name: `${node.name}'s host network (and each node's, to itself)` },
          to: { ...nginxPod, name: `nginx's pod on ${node.name}` },
          protocol: "TCP",
          port: NGINX.httpPort,
          because: ["portmapOutput", "ownNode"],
          sameNode: true,
        },
      ],
      expect: "admitted",
    });
    // What the check must not open: a pod's request to another node's hostPort leaves masqueraded as its own node,
    // so a policy letting a node's address in would let every pod of that node past the load balancer. (Only where
    // nginx admits the load balancer alone: at home, with defaultDeny, nginx's port 80 is open to the LAN anyway.)
    const other = config.nodes.find((n) => n !== node);
    if (isHetzner(config.site) && config.networkPolicies.defaultDeny && other !== undefined) {
      out.push({
        check: `edge: a pod on ${node.name} calling ${other.name}'s hostPort (masqueraded as ${node.name}) is refused`,
        job: "edge-host",
        hops: [
          {
            from: { ip: node.privateIp, name: `a pod on ${node.name}, masqueraded as ${node.name}` },
            to: { ...nginxPod, name: `nginx's pod on ${other.name}` },
            protocol: "TCP",
            port: NGINX.httpPort,
            // Not bare: a pod can send a PROXY header of its own; the policy must refuse it.
            because: ["masquerade", ...nodeMatchingReason(config)],
          },
        ],
        expect: "refused",
      });
    }
    if (isHetzner(config.site)) {
      const lbPrivate: PathEnd = { ip: config.site.plan.loadBalancerIp, name: "the load balancer's private address" };
      for (const address of lbAddresses.filter((a) => !a.includes(":"))) {
        out.push({
          check: "edge: the load balancer's public IPv4 answers",
          job: "edge",
          hops: [
            { from: verifyPod("edge"), to: { ip: address, name: "the load balancer's public address" }, protocol: "TCP", port: NGINX.httpPort, because: ["masquerade"] },
            { from: lbPrivate, to: nginxPod, protocol: "TCP", port: NGINX.httpPort, because: ["hetznerLb", "proxyListener"] },
          ],
          expect: "admitted",
        });
      }
    }
    if (hasLoadBalancerService(config)) {
      out.push(
        {
          check: "edge: the LoadBalancer Service's address answers (inside the cluster)",
          job: "edge",
          hops: [{ from: verifyPod("edge"), to: nginxPod, protocol: "TCP", port: NGINX.httpPort, because: ["serviceCapture", "proxyListener"] }],
          expect: "admitted",
        },
        { check: "edge: the Service's address and its announcer, read from the API", job: "edge", hops: [api(verifyPod("edge"))], expect: "admitted" },
      );
      const announce = announcementOf(config);
      if (announce !== undefined && "service" in announce) {
        out.push({ check: "edge: the address is announced on the LAN (neighbour reply)", job: "edge-announce", hops: [], expect: "admitted", notServicePort: PROBE_PORT });
      }
    }
  }
  if (checks.includes("certificates")) {
    out.push({ check: "certificates: the issuers and the certificate, read from the API", job: "certificates", hops: [api(verifyPod("certificates"))], expect: "admitted" });
    if (config.certificates.verifyHost !== undefined && usesHttp01(config)) {
      const solver: PathEnd = { pod: { namespace: VERIFY_NAMESPACE, labels: { ...CERT_MANAGER.solverLabel } }, name: "the HTTP-01 solver pod" };
      const controller: PathEnd = {
        pod: { namespace: CERT_MANAGER.namespace, labels: { "app.kubernetes.io/name": CERT_MANAGER.controllerName, "app.kubernetes.io/instance": CERT_MANAGER.release } },
        name: "cert-manager's controller",
      };
      out.push({ check: "certificates: nginx reaches the HTTP-01 solver", job: "certificates", hops: [{ from: nginxPod, to: solver, protocol: "TCP", port: CERT_MANAGER.solverPort, because: ["solver"] }], expect: "admitted" });
      // With ingress.proxyProtocol, nginx's port 80 refuses the self-check's bare request to the Service's address: a
      // name that resolves there only works with a proxy in front that adds the header, so the certificate check
      // fails there, rightly (docs/checks.md). The row says so, and the walk judges nginx's listener.
      const refusedByNginx = selfCheckThroughService(config, hasLoadBalancerService(config)) && config.ingress.proxyProtocol;
      out.push({
        check: refusedByNginx
          ? "certificates: cert-manager's self-check through the Service's address is refused by nginx (no PROXY header; the certificate check fails)"
          : "certificates: cert-manager's self-check reaches nginx",
        job: "certificates",
        hops: selfCheckThroughService(config, hasLoadBalancerService(config))
          ? [{ from: controller, to: nginxPod, protocol: "TCP", port: NGINX.httpPort, because: ["selfCheck", "serviceCapture", ...(config.ingress.proxyProtocol ? (["proxyListener"] as const) : [])], bare: true }]
          : // Through the internet: the load balancer's public address on Hetzner, the router's at home (any public address).
            [{ from: controller, to: { ip: lbAddresses.find((a) => !a.includes(":")) ?? "203.0.113.80", name: "the site's public address" }, protocol: "TCP", port: NGINX.httpPort, because: ["selfCheck", "masquerade"] }],
        expect: refusedByNginx ? "refused" : "admitted",
      });
    }
  }
  return out;
}

/** Whether the CNI matches ipBlocks against node addresses on this site, which the host-network rows rely on. */
export function cniMatchesNodes(config: SiteConfig): boolean {
  return cniOf(config).traits.ipBlocksMatchNodes(config);
}

/** The reason to cite when node matching is a setting of the CNI's own (Cilium's policyCIDRMatchMode). */
function nodeMatchingReason(config: SiteConfig): UpstreamKey[] {
  const key = cniOf(config).traits.nodeMatchingSetting;
  return key !== undefined && isUpstreamKey(key) ? [key] : [];
}

function isUpstreamKey(key: string): key is UpstreamKey {
  return key in UPSTREAM;
}
