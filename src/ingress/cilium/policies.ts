/**
 * What `from: [{ ingress: true }]` admits on a Cilium ingress site. Cilium's Envoy runs in the agents, on the host
 * network, and the connections it opens to backends carry the reserved identity `ingress` ("The ingress entity
 * represents the Cilium Envoy instance that handles ingress L7 traffic", Cilium docs, Policy language, "Entities"),
 * which no Kubernetes NetworkPolicy peer can name: the admission is a CiliumNetworkPolicy with `fromEntities:
 * [ingress]`, added to the app's NetworkPolicy (Cilium allows what either allows). The same for HTTP-01 solver pods,
 * which cert-manager reaches through the Gateway or the cilium IngressClass.
 */
import type { SiteConfig } from "../../config/site";
import { CERT_MANAGER } from "../../edge/names";
import { POLICY_LABELS, type Labels } from "../../policy/objects";

export interface CiliumNetworkPolicy {
  readonly apiVersion: "cilium.io/v2";
  readonly kind: "CiliumNetworkPolicy";
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Labels };
  readonly spec: {
    readonly endpointSelector: { readonly matchLabels: Labels };
    readonly ingress: readonly {
      readonly fromEntities: readonly "ingress"[];
      readonly toPorts: readonly { readonly ports: readonly { readonly port: string; readonly protocol: "TCP" | "UDP" }[] }[];
    }[];
  };
}

function fromIngress(namespace: string, name: string, selector: Labels, ports: readonly { port: number; protocol: "TCP" | "UDP" }[]): CiliumNetworkPolicy {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name, namespace, labels: { ...POLICY_LABELS } },
    spec: {
      endpointSelector: { matchLabels: { ...selector } },
      ingress: [{ fromEntities: ["ingress"], toPorts: [{ ports: ports.map((p) => ({ port: String(p.port), protocol: p.protocol })) }] }],
    },
  };
}

/** The name of an app's admission from Cilium's Envoy: `<app>-from-ingress`. */
export const fromIngressName = (app: string): string => `${app}-from-ingress`;

/**
 * One policy per app that lists the ingress among its callers, and, where certificates use HTTP-01, one per app
 * namespace for the solver pods (which only a default-deny namespace needs).
 */
export function ciliumIngressPolicies(config: SiteConfig): CiliumNetworkPolicy[] {
  const apps = config.networkPolicies.apps.filter((app) => app.from.some((peer) => peer.ingress));
  const policies = apps.map((app) => fromIngress(app.namespace, fromIngressName(app.name), app.podSelector, app.ports));
  const http01 = config.certificates.enabled && config.certificates.dns01 === undefined;
  if (http01 && config.networkPolicies.defaultDeny) {
    const namespaces = [...new Set(config.networkPolicies.apps.map((a) => a.namespace))];
    for (const ns of namespaces) {
      policies.push(fromIngress(ns, "acme-http01-solver-from-ingress", CERT_MANAGER.solverLabel, [{ port: CERT_MANAGER.solverPort, protocol: "TCP" }]));
    }
  }
  return policies;
}
