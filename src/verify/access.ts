/** Who may do what: the verify namespace's NetworkPolicies and the checks' RBAC, each the least a check needs. */
import type { SiteConfig } from "../config/site";
import { LETSENCRYPT } from "../certificates/cert-manager/cert-manager";
import { solverPolicy } from "../certificates/cert-manager/policies";
import { ingressOf } from "../concerns/registry";
import { NGINX } from "../edge/names";
import { API_PORT } from "../hetzner/model";
import { policyContext } from "../policy/context";
import { DNS_RULE, ipBlock, networkPolicy, podsIn, tcp, type EgressRule, type NetworkPolicy, type PolicyPeer } from "../policy/objects";
import { BASELINE_POLICY_NAMES } from "../policy/system";
import type { Announcement } from "./announcement";
import { DENIED_PORT, ECHO_LABELS, ECHO_PORT, VERIFY_CERTIFICATE, VERIFY_NAMESPACE, checkLabels, meta, type CheckName } from "./names";
import type { KubernetesObject } from "../kubernetes/object";

export const inVerify = (labels: Record<string, string>): PolicyPeer => podsIn(VERIFY_NAMESPACE, labels);

/** Default-deny, then exactly what each check needs. */
export function policies(
  config: SiteConfig,
  checks: readonly CheckName[],
  lbAddresses: readonly string[],
  usesApi: Record<CheckName, boolean>,
  certificate: boolean,
): NetworkPolicy[] {
  const ns = VERIFY_NAMESPACE;
  const has = (c: CheckName) => checks.includes(c);
  const out: NetworkPolicy[] = [networkPolicy(ns, BASELINE_POLICY_NAMES.defaultDeny, {}, { ingress: [], egress: [] })];
  // Every check resolves names (the API is reached as kubernetes.default.svc).
  for (const c of checks) out.push(networkPolicy(ns, `verify-${c}-dns`, checkLabels(c), { egress: [DNS_RULE] }));
  const echoClients = (["pods", "policies"] as const).filter(has);
  if (echoClients.length > 0) {
    // Clients may send to both ports; the echo servers accept ECHO_PORT only: the refusal is the ingress policy's.
    out.push(
      networkPolicy(ns, "verify-echo-from-clients", ECHO_LABELS, {
        ingress: [{ from: echoClients.map((c) => inVerify(checkLabels(c))), ports: [tcp(ECHO_PORT)] }],
      }),
    );
    for (const c of echoClients) {
      out.push(
        networkPolicy(ns, `verify-${c}-to-echo`, checkLabels(c), {
          egress: [{ to: [inVerify(ECHO_LABELS)], ports: [tcp(ECHO_PORT), tcp(DENIED_PORT)] }],
        }),
      );
    }
  }
  if (has("edge")) {
    const pods = ingressOf(config).edge.pods;
    const http = [tcp(pods?.httpPort ?? NGINX.httpPort)];
    // The pod calls the load balancer's addresses: the Hetzner load balancer's public ones (its packets come back
    // to nginx from the load balancer's private address, which nginx's own policy lets in), or the LoadBalancer
    // Service's, which kube-proxy or Cilium turns into nginx's pod before any policy applies.
    const to: PolicyPeer[] = [...(pods ? [podsIn(pods.namespace, pods.labels)] : []), ...lbAddresses.map(hostBlock)];
    out.push(
      networkPolicy(ns, "verify-edge-to-nginx", checkLabels("edge"), {
        egress: [{ to, ports: http }, ...(usesApi.edge ? [apiRule(config)] : [])],
      }),
    );
    // No policy lets the hostPort check in to nginx: each of its pods calls its own node (EDGE_HOST_JOB).
  }
  if (has("certificates")) {
    out.push(networkPolicy(ns, "verify-certificates-to-api-server", checkLabels("certificates"), { egress: [apiRule(config)] }));
    // HTTP-01 solver pods for the test certificate run in this namespace and are reached by nginx.
    const ingress = policyContext(config).ingress;
    if (certificate && !config.certificates.dns01 && ingress) out.push(solverPolicy(ns, ingress));
  }
  return out;
}

/**
 * The Kubernetes API after the Service's DNAT: the servers on 6443 (src/policy/system.ts explains why), as the node
 * network, so that adding a server does not change the checks' policies.
 */
export function apiRule(config: SiteConfig): EgressRule {
  return { to: [ipBlock(config.nodeCidr)], ports: [tcp(API_PORT)] };
}

export function hostBlock(address: string): PolicyPeer {
  return ipBlock(address.includes(":") ? `${address}/128` : `${address}/32`);
}

export interface RbacRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly resourceNames?: string[];
  readonly verbs: string[];
}

export function binding(kind: "Role" | "ClusterRole", name: string, namespace: string | null, check: CheckName, rules: RbacRule[]): KubernetesObject[] {
  return [
    { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: meta(name, namespace), rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: `${kind}Binding`,
      metadata: meta(name, namespace),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name },
      subjects: [{ kind: "ServiceAccount", name: `verify-${check}`, namespace: VERIFY_NAMESPACE }],
    },
  ];
}

/**
 * Least privilege: `get` on the named objects the checks read; for nginx's log, `list` on the pods of nginx's
 * namespace (DaemonSet pods have no names known in advance) and `get` on their logs, nothing else.
 */
export function rbac(checks: readonly CheckName[], lbService: string, certificate: boolean, logNamespace: string | undefined, announce?: Announcement): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  // Who announces nginx's address, where the concern that hands it out says it is read.
  if (announce) {
    const { namespace, rule } = announce.announcer.read;
    out.push(...binding("Role", "k3s-sites-verify-announcer-reader", namespace, "edge", [{ ...rule }]));
  }
  if (checks.includes("certificates")) {
    out.push(
      ...binding("ClusterRole", "k3s-sites-verify-issuers", null, "certificates", [
        {
          apiGroups: ["cert-manager.io"],
          resources: ["clusterissuers"],
          resourceNames: [LETSENCRYPT.staging.issuer, LETSENCRYPT.prod.issuer],
          verbs: ["get"],
        },
      ]),
    );
    if (certificate) {
      out.push(
        ...binding("Role", "verify-certificate-reader", VERIFY_NAMESPACE, "certificates", [
          { apiGroups: ["cert-manager.io"], resources: ["certificates"], resourceNames: [VERIFY_CERTIFICATE], verbs: ["get"] },
        ]),
      );
    }
  }
  if (checks.includes("edge") && logNamespace !== undefined) {
    out.push(
      ...binding("Role", "k3s-sites-verify-log-reader", logNamespace, "edge", [
        { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      ]),
    );
  }
  if (checks.includes("edge") && lbService !== "") {
    out.push(
      ...binding("Role", "k3s-sites-verify-service-reader", lbService.split("/")[0]!, "edge", [
        { apiGroups: [""], resources: ["services"], resourceNames: [lbService.split("/")[1]!], verbs: ["get"] },
      ]),
    );
  }
  return out;
}
