/** MetalLB's own policies under networkPolicies.defaultDeny (its concern's `policies.system`). */
import type { PolicyContext } from "../../concerns/contract";
import type { SiteConfig } from "../../config/site";
import { networkPolicy, tcp, type NetworkPolicy } from "../../policy/objects";
import { apiServerRule, namespaceBaseline } from "../../policy/system";
import { METALLB } from "./metallb";

/**
 * MetalLB's namespace, on sites that run it: its controller talks to the API and answers the API server's webhook
 * calls (as cert-manager's webhook does, from the servers and through the overlay); nothing else reaches it or
 * leaves it. The speakers run on the host network (templates/speaker.yaml, hostNetwork: true), where
 * NetworkPolicies do not apply.
 */
export function metallbPolicies(config: SiteConfig, context: PolicyContext): NetworkPolicy[] {
  const ns = METALLB.namespace;
  const controller = { ...METALLB.controllerLabels };
  return [
    ...namespaceBaseline(ns),
    networkPolicy(ns, "metallb-controller-to-api-server", controller, { egress: [apiServerRule(config)] }),
    networkPolicy(ns, "metallb-webhook-from-api-server", controller, {
      ingress: [{ from: [...context.webhookCallers], ports: [tcp(METALLB.webhookPort)] }],
    }),
  ];
}
