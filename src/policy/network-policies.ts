/**
 * NetworkPolicies from declared app traffic (networkPolicies.apps), on top of what the system needs (system.ts).
 *
 * An app's declaration is complete: its pods accept calls only from its `from` peers, on its ports, and reach only
 * its `to` peers, whether or not networkPolicies.defaultDeny is on. defaultDeny adds default-deny (and DNS) to every
 * managed namespace, and the rules the ingress controller and cert-manager then need. checkApps (config rules) has
 * already made sure every name, port and pair of ends agrees.
 */
import { concernsInUse } from "../concerns/registry";
import type { AppConfig } from "./schema";
import { isHetzner, type SiteConfig } from "../config/site";
import {
  DNS_RULE,
  ipBlock,
  networkPolicy,
  podsIn,
  type EgressRule,
  type NetworkPolicy,
  type PolicyPeer,
  type PolicyPort,
} from "./objects";
import { policyContext } from "./context";
import { BASELINE_POLICY_NAMES, namespaceBaseline } from "./system";

export type { NetworkPolicy } from "./objects";

/** Name of an app's policy in its namespace. */
export function appPolicyName(app: Pick<AppConfig, "name">): string {
  return `app-${app.name}`;
}

/** App namespaces, in the order the apps first name them. */
export function appNamespaces(config: SiteConfig): string[] {
  return [...new Set(config.networkPolicies.apps.map((a) => a.namespace))];
}

/** Every namespace k3s-sites puts policies in: the concerns' own (the ingress controller's, ...), then the apps'. */
export function managedNamespaces(config: SiteConfig): string[] {
  return [...concernsInUse(config).flatMap((concern) => concern.policies.namespaces(config)), ...appNamespaces(config)];
}

function portsOf(app: AppConfig): PolicyPort[] {
  return app.ports.map((p) => ({ protocol: p.protocol, port: p.port }));
}

/** The policy of one app: ingress from its `from` peers on its ports, egress to its `to` peers. */
export function appPolicy(config: SiteConfig, app: AppConfig): NetworkPolicy {
  const apps = new Map(config.networkPolicies.apps.map((a) => [a.name, a]));
  const ingress = policyContext(config).ingress;
  const callers: PolicyPeer[] = app.from.flatMap((peer): PolicyPeer[] => {
    if (peer.app !== undefined) {
      const caller = apps.get(peer.app)!;
      return [podsIn(caller.namespace, caller.podSelector)];
    }
    // The site's ingress pods; Cilium's Envoy has none and is admitted by a CiliumNetworkPolicy of its own.
    if (peer.ingress) return ingress ? [ingress.peer] : [];
    if (peer.loadBalancer) {
      // The Hetzner load balancer forwards over the private network from its own private address, and the hostPort's
      // DNAT keeps that source. checkApps refuses loadBalancer on other sites.
      if (!isHetzner(config.site)) throw new Error(`app ${app.name}: from loadBalancer needs a hetzner site`);
      return [ipBlock(`${config.site.plan.loadBalancerIp}/32`)];
    }
    return [ipBlock(peer.cidr!)];
  });
  const egress = app.to.map((peer): EgressRule => {
    if (peer.dns) return DNS_RULE;
    if (peer.app !== undefined) {
      const target = apps.get(peer.app)!;
      return {
        to: [podsIn(target.namespace, target.podSelector)],
        ports: peer.ports ? peer.ports.map((p) => ({ protocol: p.protocol, port: p.port })) : portsOf(target),
      };
    }
    return { to: [ipBlock(peer.cidr!)], ports: peer.ports!.map((p) => ({ protocol: p.protocol, port: p.port })) };
  });
  return networkPolicy(app.namespace, appPolicyName(app), app.podSelector, {
    ingress: callers.length > 0 ? [{ from: callers, ports: portsOf(app) }] : [],
    egress,
  });
}

/**
 * Every NetworkPolicy of a site. With defaultDeny: each concern in use its namespaces' default-deny and DNS and its
 * own rules (the ingress controller's, cert-manager's, MetalLB's); per app namespace, default-deny and DNS and what
 * the concerns need there (HTTP-01 solvers reachable from the ingress). Always: one policy per app.
 */
export function networkPolicies(config: SiteConfig): NetworkPolicy[] {
  const namespaces = appNamespaces(config);
  const apps = config.networkPolicies.apps;
  if (!config.networkPolicies.defaultDeny) return apps.map((app) => appPolicy(config, app));
  const concerns = concernsInUse(config);
  const context = policyContext(config);
  return [
    ...concerns.flatMap((concern) => [
      ...concern.policies.namespaces(config).flatMap(namespaceBaseline),
      ...concern.policies.system(config, context),
    ]),
    ...namespaces.flatMap((ns) => [
      ...namespaceBaseline(ns),
      ...concerns.flatMap((concern) => concern.policies.inAppNamespace(config, ns, context)),
      ...apps.filter((app) => app.namespace === ns).map((app) => appPolicy(config, app)),
    ]),
  ];
}

/**
 * The site's policies by how long they live. `withNamespace`: the default-deny and DNS policies of each app namespace,
 * which must stay for as long as the namespace does. The namespace outlives its last declared app (the component
 * retains it), and a namespace without them would silently open, so the component deletes these only when they
 * leave the program while their namespace stays in it (networkPolicies.defaultDeny turned off), never along with
 * their namespace. `rest`: every other policy, deleted when the program no longer makes it.
 */
export function policiesByLifetime(config: SiteConfig): {
  withNamespace: ReadonlyMap<string, NetworkPolicy[]>;
  rest: NetworkPolicy[];
} {
  const namespaces = new Set(appNamespaces(config));
  const baseline = new Set<string>(Object.values(BASELINE_POLICY_NAMES));
  const withNamespace = new Map<string, NetworkPolicy[]>();
  const rest: NetworkPolicy[] = [];
  for (const policy of networkPolicies(config)) {
    const { namespace, name } = policy.metadata;
    if (namespaces.has(namespace) && baseline.has(name)) {
      withNamespace.set(namespace, [...(withNamespace.get(namespace) ?? []), policy]);
    } else {
      rest.push(policy);
    }
  }
  return { withNamespace, rest };
}
