/**
 * The keys of the controller's ConfigMap that k3s-sites sets, and the rule that ingress.config adds to them but
 * never replaces one. The rule runs with the other config rules, before any resource; the builder (nginx.ts) asks
 * the same question again at deploy time, when the load balancer's address is known.
 */
import type { Problem } from "../../config/problems";
import { isHetzner, type SiteConfig } from "../../config/site";

/** A key k3s-sites sets: the value, why, and another way out than removing the user's key. */
export interface ManagedKey {
  readonly value: string;
  /** The value as a message shows it: quoted, or what it will be when known only at deploy time. */
  readonly shown: string;
  readonly because: string;
  readonly orElse: string;
}

/** ConfigMap keys must be valid as file names (Kubernetes validation: [-._a-zA-Z0-9]+). */
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * The keys k3s-sites sets. `status` is given when Ingress status reports the load balancer's address; its address
 * is unknown until deploy time, and only the key matters to the rule.
 */
export function managedConfigKeys(config: SiteConfig, status?: { readonly address?: string }): Map<string, ManagedKey> {
  const managed = new Map<string, ManagedKey>();
  if (config.ingress.proxyProtocol) {
    // NGINX Ingress Controller 5.x keys (internal/configs/configmaps.go; examples/shared-examples/proxy-protocol),
    // not the community ingress-nginx's use-proxy-protocol. The Hetzner load balancer reaches the nodes from its
    // private address (the hostPort's DNAT keeps it), so that one address is trusted to name the client: trusting
    // the node network would let any process on any node forge client addresses. A home site has no load balancer
    // k3s-sites knows of; a user who turns the PROXY protocol on there has their proxy somewhere on the LAN.
    const because = "ingress.proxyProtocol is true";
    const orElse = ", or set ingress.proxyProtocol: false and set all three PROXY protocol keys yourself";
    const trusted = isHetzner(config.site) ? `${config.site.plan.loadBalancerIp}/32` : config.nodeCidr;
    const key = (value: string): ManagedKey => ({ value, shown: JSON.stringify(value), because, orElse });
    managed.set("proxy-protocol", key("True"));
    managed.set("real-ip-header", key("proxy_protocol"));
    managed.set("set-real-ip-from", key(trusted));
  }
  if (status !== undefined) {
    managed.set("external-status-address", {
      value: status.address ?? "",
      shown: status.address !== undefined ? JSON.stringify(status.address) : "the load balancer's public IPv4",
      because: "Ingress status reports the load balancer's address",
      orElse: "",
    });
  }
  return managed;
}

/** ingress.config keys that are no ConfigMap key, or that would replace a key k3s-sites sets. */
export function ingressConfigProblems(config: SiteConfig, managed: ReadonlyMap<string, ManagedKey>): Problem[] {
  return Object.entries(config.ingress.config).flatMap(([key, value]): Problem[] => {
    const path = `ingress.config.${key}`;
    const ours = managed.get(key);
    if (!CONFIG_KEY.test(key)) {
      return [{ path, message: `${JSON.stringify(key)} is not a valid ConfigMap key: use letters, digits, '-', '_' and '.'` }];
    }
    if (!ours) return [];
    return [
      {
        path,
        message: `is ${JSON.stringify(value)}, but k3s-sites sets it to ${ours.shown} because ${ours.because}: remove ${path}${ours.orElse}`,
      },
    ];
  });
}

/**
 * ingress.config adds to the ConfigMap but never replaces a key k3s-sites sets. On a Hetzner site the component
 * always reports the load balancer's address (components/site.ts), so that key is taken even before it is known.
 */
export function checkIngressConfig(config: SiteConfig): Problem[] {
  return ingressConfigProblems(config, managedConfigKeys(config, isHetzner(config.site) ? {} : undefined));
}
