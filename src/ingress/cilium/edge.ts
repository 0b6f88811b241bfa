/** Cilium's ingress as the site's ingress (src/ingress/edge.ts). */
import type { IngressEdge } from "../edge";
import { CILIUM_INGRESS } from "./names";

export const CILIUM_EDGE: IngressEdge = {
  controller: "cilium",
  ingressClass: CILIUM_INGRESS.ingressClass,
  namespace: CILIUM_INGRESS.gateway.namespace,
  // Cilium's Envoy answers with Server: envoy.
  answers: "envoy*",
  hostPorts: false,
  // The shared Service of ingressController.loadbalancerMode shared (values.yaml ingressController.service.name).
  loadBalancerService: `${CILIUM_INGRESS.agentNamespace}/cilium-ingress`,
};
