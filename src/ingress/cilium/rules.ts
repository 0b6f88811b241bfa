/**
 * When `ingress.controller: cilium` holds, and why not otherwise. Cilium's ingress and Gateway API run in its agent
 * (Envoy), so they need Cilium as the CNI; they are reached through a LoadBalancer Service; and the PROXY protocol
 * they speak trusts every sender (values.ts), so a site whose load balancer names the client only in a PROXY header
 * (Hetzner) is refused rather than served with forgeable addresses or with the load balancer's own.
 */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";
import { cilium } from "../../cni/cilium/concern";
import { ciliumChart } from "../../cni/cilium/values";
import { GATEWAY_API_OF_CILIUM, gatewayApiOfCilium } from "./gateway-api";

export function ciliumIngressProblems(config: SiteConfig): Problem[] {
  if (config.cni.plugin !== "cilium") {
    return [
      {
        path: "ingress.controller",
        message: `cilium: Cilium's ingress and Gateway API run in the Cilium agent, and cni.plugin is ${config.cni.plugin}; set cni.plugin: cilium, or choose ingress.controller: nginx or traefik`,
      },
    ];
  }
  const problems: Problem[] = [];
  if (config.site.kind === "hetzner") {
    problems.push({
      path: "ingress.controller",
      message:
        "cilium: on a Hetzner site the load balancer names the client only in a PROXY protocol header, and Cilium's Envoy " +
        "accepts that header from any sender (ingressController.enableProxyProtocol has no list of trusted addresses, " +
        "unlike nginx's set-real-ip-from or Traefik's trustedIPs), so any pod or node could forge a client's address; " +
        "choose ingress.controller: nginx or traefik on Hetzner sites",
    });
  }
  const version = ciliumChart(config).version;
  if (gatewayApiOfCilium(version) === undefined) {
    const minors = Object.keys(GATEWAY_API_OF_CILIUM);
    problems.push({
      path: config.cni.cilium.version !== undefined ? "cni.cilium.version" : "ingress.controller",
      message: `${config.cni.cilium.version !== undefined ? version : `cilium (with the pinned Cilium ${version})`}: Cilium's Gateway API support needs the Gateway API CRDs of its release, and k3s-sites vendors them for Cilium ${minors.join(", ")} only; set cni.cilium.version: ${minors.at(-1)}.0`,
    });
  }
  if (config.site.kind !== "hetzner" && !cilium.loadBalancerAddresses(config)) {
    problems.push({
      path: "cni.cilium.loadBalancerPools",
      message:
        "is empty but ingress.controller is cilium, whose ingress and Gateway are reached through LoadBalancer Services; " +
        "add a LAN range, e.g. 192.168.1.240/28, with cni.cilium.l2Announcements",
    });
  }
  if (config.ingress.proxyProtocol && config.site.kind !== "hetzner") {
    problems.push({
      path: "ingress.proxyProtocol",
      message: "true: Cilium's Envoy would accept a PROXY header from any sender; set ingress.proxyProtocol: false (the client's address is kept by externalTrafficPolicy Local)",
    });
  }
  for (const [key, value] of Object.entries(config.ingress.config)) {
    problems.push({
      path: `ingress.config.${key}`,
      message: `${JSON.stringify(value)}: ingress.config holds keys of nginx's ConfigMap, and ingress.controller is cilium; remove it`,
    });
  }
  return problems;
}
