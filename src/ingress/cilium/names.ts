/** Names Cilium's ingress and Gateway API use, and the site's Gateway. */
export const CILIUM_INGRESS = {
  /** The IngressClass the chart renders with ingressController.enabled (templates/cilium-ingress-class.yaml). */
  ingressClass: "cilium",
  /** spec.controllerName of a GatewayClass Cilium serves (operator/pkg/gateway-api, the chart's GatewayClass). */
  gatewayController: "io.cilium/gateway-controller",
  gatewayClass: "cilium",
  /** The site's Gateway: apps' HTTPRoutes name it as their parentRef. */
  gateway: { name: "k3s-sites", namespace: "gateway" },
  /** Cilium runs Envoy inside its agent pods (kube-system, k8s-app: cilium), on the host network. */
  agentNamespace: "kube-system",
  agentLabels: { "k8s-app": "cilium" },
  httpPort: 80,
  httpsPort: 443,
} as const;
