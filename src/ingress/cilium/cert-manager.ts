/**
 * cert-manager on a Cilium ingress site: its Gateway API support on, so that its gateway-shim issues the
 * certificates the site's Gateway's HTTPS listeners name, and HTTP-01 challenges answered through the Gateway.
 *
 * cert-manager v1.21 runs the gateway-shim and the HTTP-01 Gateway solver when `gatewayAPI.enabled` is true in its
 * ControllerConfiguration (the chart's `config`; upstream/SOURCES.md, "gateway-api", with the flag and feature gate).
 * The solver's HTTPRoute attaches to the site's Gateway, whose HTTP listener takes routes from every namespace: a
 * name cert-manager issues for over HTTP-01 must resolve to the Gateway's address (not cilium-ingress's, the
 * Ingresses' Service).
 */
import { CILIUM_INGRESS } from "./names";

/** The chart's `config` value: a ControllerConfiguration with the Gateway API on. */
export const CERT_MANAGER_GATEWAY_CONFIG = {
  apiVersion: "controller.config.cert-manager.io/v1alpha1",
  kind: "ControllerConfiguration",
  gatewayAPI: { enabled: true },
} as const;

/** The HTTP-01 solver through the site's Gateway: the solver's `http01` (cert-manager wraps it, acmeSolver). */
export function gatewayHttp01Solver(): { gatewayHTTPRoute: { parentRefs: { name: string; namespace: string; kind: "Gateway" }[] } } {
  const { name, namespace } = CILIUM_INGRESS.gateway;
  return { gatewayHTTPRoute: { parentRefs: [{ name, namespace, kind: "Gateway" }] } };
}
