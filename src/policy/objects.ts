/**
 * Typed networking.k8s.io/v1 NetworkPolicy objects and the peers and ports k3s-sites builds them from. Plain data;
 * tests validate every object against the Kubernetes OpenAPI schema (kubernetes-models).
 */
import { COREDNS, NGINX } from "../edge/names";

export type Protocol = "TCP" | "UDP";
export type Labels = Readonly<Record<string, string>>;

export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    readonly values?: readonly string[];
  }[];
}

export interface PolicyPort {
  readonly protocol: Protocol;
  readonly port: number;
}

export interface IpBlock {
  readonly cidr: string;
  readonly except?: readonly string[];
}

/** One peer: pods (in some namespaces) or an address block, never both. */
export interface PolicyPeer {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
  readonly ipBlock?: IpBlock;
}

/** A rule allows traffic that matches one of its peers and one of its ports; no peers means any, no ports any port. */
export interface IngressRule {
  readonly from?: readonly PolicyPeer[];
  readonly ports?: readonly PolicyPort[];
}

export interface EgressRule {
  readonly to?: readonly PolicyPeer[];
  readonly ports?: readonly PolicyPort[];
}

// A type, not an interface: only a type has the implicit index signature that makes it a KubernetesObject.
export type NetworkPolicy = {
  readonly apiVersion: "networking.k8s.io/v1";
  readonly kind: "NetworkPolicy";
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Labels };
  readonly spec: {
    readonly podSelector: LabelSelector;
    /** Always explicit: without Egress here, a policy with no egress rules would leave egress open. */
    readonly policyTypes: readonly ("Ingress" | "Egress")[];
    readonly ingress?: readonly IngressRule[];
    readonly egress?: readonly EgressRule[];
  };
};

/** Labels on every policy k3s-sites writes, so `kubectl get netpol -A -l ...` lists them. */
export const POLICY_LABELS: Labels = { "app.kubernetes.io/managed-by": "k3s-sites" };

/** The label Kubernetes puts on every namespace with the namespace's name (since 1.21, always on). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * The label on a Namespace the program creates but does not isolate: networkPolicies.defaultDeny is false. The
 * policy pack's default-deny rule (policy/rules.ts) accepts a namespace without default-deny only when it carries
 * this label and the site isolates no other namespace (nginx's has no default-deny), so a namespace the program
 * meant to isolate and did not is still refused.
 */
export const DEFAULT_DENY_LABEL = "k3s-sites/default-deny";

/** The labels that say whether the program isolates a namespace it creates ({} when it does). */
export function isolationLabels(isolated: boolean): Record<string, string> {
  return isolated ? {} : { [DEFAULT_DENY_LABEL]: "off" };
}

export function networkPolicy(
  namespace: string,
  name: string,
  podSelector: Labels,
  rules: { readonly ingress?: readonly IngressRule[]; readonly egress?: readonly EgressRule[] },
): NetworkPolicy {
  const policyTypes: ("Ingress" | "Egress")[] = [];
  if (rules.ingress) policyTypes.push("Ingress");
  if (rules.egress) policyTypes.push("Egress");
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...POLICY_LABELS } },
    spec: {
      podSelector: Object.keys(podSelector).length > 0 ? { matchLabels: { ...podSelector } } : {},
      policyTypes,
      ...(rules.ingress ? { ingress: rules.ingress } : {}),
      ...(rules.egress ? { egress: rules.egress } : {}),
    },
  };
}

/** Pods with `labels` in one namespace (a podSelector alone would mean the policy's own namespace). */
export function podsIn(namespace: string, labels: Labels): PolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    podSelector: { matchLabels: { ...labels } },
  };
}

export function ipBlock(cidr: string, except: readonly string[] = []): PolicyPeer {
  return { ipBlock: except.length > 0 ? { cidr, except: [...except] } : { cidr } };
}

export const tcp = (port: number): PolicyPort => ({ protocol: "TCP", port });

export const NGINX_PEER: PolicyPeer = podsIn(NGINX.namespace, NGINX.podLabels);

/** CoreDNS answers on 53 over UDP, and over TCP for large answers (truncated UDP replies). */
export const DNS_RULE: EgressRule = {
  to: [podsIn(COREDNS.namespace, COREDNS.podLabels)],
  ports: [
    { protocol: "UDP", port: COREDNS.port },
    { protocol: "TCP", port: COREDNS.port },
  ],
};
