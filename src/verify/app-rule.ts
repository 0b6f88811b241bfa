/**
 * The policies check's app rule: two stand-ins, one with the ingress controller's labels in its namespace and one
 * with a declared app's, prove that the program's policies let the controller reach the app on its port and on no
 * other.
 */
import type { AppConfig } from "../config/schema";
import type { SiteConfig } from "../config/site";
import { ingressOf } from "../concerns/registry";
import type { EdgePods } from "../ingress/edge";
import { APP_RULE_SCRIPTS, APP_RULE_SERVICE, APP_RULE_TIMEOUT, DENIED_PORT, checkLabels, meta, type JobName } from "./names";
import { job } from "./workloads";
import type { KubernetesObject } from "../kubernetes/object";

/** The app rule the policies check exercises: a declared app the ingress calls, its port and one it does not declare. */
export interface AppRule {
  readonly app: AppConfig;
  readonly port: number;
  readonly deniedPort: number;
}

/**
 * The first declared app that takes calls from the ingress controller on a TCP port from 1024 up (the stand-ins run
 * as non-root and cannot bind lower ports), or why there is none. The check stands in for the controller, which it
 * can do with its namespace and labels; an app, cidr or loadBalancer caller it cannot soundly impersonate (an app caller without
 * defaultDeny may have no DNS, a cidr or the load balancer is an address no pod has).
 */
export function appRuleOf(config: SiteConfig): AppRule | { readonly skip: string } {
  const apps = config.networkPolicies.apps;
  const edge = ingressOf(config).edge;
  if (!edge.pods) return { skip: `${edge.controller}'s ingress runs in no pod of its own that a stand-in could impersonate` };
  if (apps.length === 0) return { skip: "the site declares no app (networkPolicies.apps)" };
  for (const app of apps) {
    const port = app.ports.find((p) => p.protocol === "TCP" && p.port >= 1024);
    if (!app.from.some((peer) => peer.ingress) || port === undefined) continue;
    let deniedPort = DENIED_PORT;
    while (app.ports.some((p) => p.port === deniedPort)) deniedPort++;
    return { app, port: port.port, deniedPort };
  }
  return {
    skip:
      `no declared app takes calls from ${edge.controller} (from: [{ingress: true}]) on a TCP port from 1024 up; ` +
      `the check stands in for ${edge.controller} only`,
  };
}

export function appRuleObjects(rule: AppRule, scripts: Readonly<Record<string, string>>, edgeNamespace: string): KubernetesObject[] {
  const { app } = rule;
  const configMap = (namespace: string, script: string): KubernetesObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(APP_RULE_SCRIPTS, namespace),
    data: { "lib.sh": scripts["lib.sh"]!, [script]: scripts[script]! },
  });
  return [
    configMap(edgeNamespace, "policies-app.sh"),
    configMap(app.namespace, "policies-app-server.sh"),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(APP_RULE_SERVICE, app.namespace),
      spec: {
        // Resolves to the stand-in although it is never Ready; the app's own Services skip it for that reason.
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: checkLabels("policies-app-server"),
        ports: [{ name: "app", port: rule.port, targetPort: rule.port, protocol: "TCP" }],
      },
    },
  ];
}

/**
 * The two stand-ins. Each carries the labels of what it stands in for (nginx's pods; the app's podSelector), so the
 * program's real policies for the app select it, and a readiness probe that never passes, so no Service of nginx
 * or of the app sends it traffic. Neither has a service account token.
 */
export function appRuleJobs(config: SiteConfig, rule: AppRule, digest: string): Partial<Record<JobName, KubernetesObject>> {
  const server = `${APP_RULE_SERVICE}.${rule.app.namespace}.svc.${config.k3s.clusterDomain}`;
  const client = job("policies-app", digest, {
    EDGE_NAME: ingressOf(config).edge.controller,
    EDGE_NAMESPACE: edgePods(config).namespace,
    APP: rule.app.name,
    SERVER: server,
    APP_PORT: String(rule.port),
    DENIED_PORT: String(rule.deniedPort),
    TIMEOUT: String(APP_RULE_TIMEOUT),
    INTERVAL: "5",
    DENY_WAIT: "20",
  }, false, { namespace: edgePods(config).namespace, podLabels: edgePods(config).labels });
  const stand = job("policies-app-server", digest, {
    APP: rule.app.name,
    APP_PORT: String(rule.port),
    DENIED_PORT: String(rule.deniedPort),
  }, false, { namespace: rule.app.namespace, podLabels: rule.app.podSelector, ports: [rule.port, rule.deniedPort] });
  return { "policies-app": client, "policies-app-server": stand };
}

/** The site's ingress pods, for the checks that need them (the log and the app rule run only where there are). */
export function edgePods(config: SiteConfig): EdgePods {
  const pods = ingressOf(config).edge.pods;
  if (!pods) throw new Error(`${config.ingress.controller}'s ingress has no pods: the checks that need them are skipped before this`);
  return pods;
}
