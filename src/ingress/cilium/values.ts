/**
 * What `ingress.controller: cilium` adds to the Cilium chart's values: its ingress controller and its Gateway API
 * support (charts/cilium/1.20.0/values.yaml, `ingressController` and `gatewayAPI`; upstream/SOURCES.md,
 * "gateway-api"). Merged into the CNI's values by the Cilium component.
 *
 * The client's address: Cilium's Envoy runs in the agent on the node that receives the connection and, with
 * `useRemoteAddress` (the chart's default, true), puts the connection's source into X-Forwarded-For. Envoy's
 * PROXY protocol (`enableProxyProtocol`) has no list of trusted senders (values.yaml: "_only_ Proxy protocol
 * traffic will be accepted", for every listener; no source setting next to it), so it is not used: a home site's
 * LoadBalancer Service is given externalTrafficPolicy Local instead, which keeps the source on the way in, and
 * Hetzner sites are refused (rules.ts).
 */
export interface CiliumIngressValues {
  readonly ingressController: {
    readonly enabled: true;
    /** The site's only ingress controller: Ingresses without a class get this one. */
    readonly default: true;
    /** One LoadBalancer Service (cilium-ingress) for every Ingress, as the nginx and Traefik sites have one address. */
    readonly loadbalancerMode: "shared";
    readonly service: { readonly externalTrafficPolicy: "Local" };
  };
  readonly gatewayAPI: {
    readonly enabled: true;
    readonly externalTrafficPolicy: "Local";
    /** The program creates the GatewayClass after the CRDs (gateway.ts); the chart's would race them. */
    readonly gatewayClass: { readonly create: "false" };
  };
}

export function ciliumIngressValues(): CiliumIngressValues {
  return {
    ingressController: { enabled: true, default: true, loadbalancerMode: "shared", service: { externalTrafficPolicy: "Local" } },
    gatewayAPI: { enabled: true, externalTrafficPolicy: "Local", gatewayClass: { create: "false" } },
  };
}
