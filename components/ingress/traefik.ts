import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ingressLoadBalancerService } from "../../src/concerns/registry";
import type { SiteConfig } from "../../src/config/site";
import { TRAEFIK } from "../../src/ingress/traefik/names";
import { tcpRoutes } from "../../src/ingress/traefik/routes";
import type { TraefikSettings } from "../../src/ingress/traefik/schema";
import { TRAEFIK_CHART, traefikValues } from "../../src/ingress/traefik/values";
import { isolationLabels } from "../../src/policy/objects";
import { TYPE } from "../../src/type-tokens";

export interface TraefikIngressArgs {
  readonly config: SiteConfig;
  /** The site's ingress.traefik section. */
  readonly settings: TraefikSettings;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /**
   * The address Ingress status reports: the load balancer's public IPv4 on cloud sites.
   * @default - none (home sites report their LoadBalancer Service's address, if any)
   */
  readonly statusAddress?: pulumi.Input<string>;
  /** Whether the run does not wait for the DaemonSet (a switch from another controller on the nodes' ports). @default false */
  readonly skipAwait?: boolean;
  /** What must exist first: the CNI (and MetalLB, whose pools the Service takes its address from). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Traefik from its chart at the pinned version, as a DaemonSet on every node's 80 and 443, with its CRDs; the
 * IngressRouteTCP objects of ingress.traefik.tcpRoutes once the CRDs are in.
 */
export class TraefikIngress extends pulumi.ComponentResource {
  constructor(name: string, args: TraefikIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.traefik, name, {}, opts);
    const { config } = args;
    const child = { parent: this, provider: args.provider };
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: TRAEFIK.namespace, labels: { ...TRAEFIK.podLabels, ...isolationLabels(config.networkPolicies.defaultDeny) } } },
      { ...child, dependsOn: args.dependsOn },
    );
    const values = pulumi
      .output(args.statusAddress)
      .apply((statusAddress) => traefikValues(config, args.settings, {
            ...(statusAddress ? { statusAddress } : {}),
            loadBalancerService: ingressLoadBalancerService(config),
          }));
    const chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        name: TRAEFIK.release,
        chart: TRAEFIK_CHART.chart,
        version: TRAEFIK_CHART.version,
        repositoryOpts: { repo: TRAEFIK_CHART.repository },
        namespace: TRAEFIK.namespace,
        values,
        ...(args.skipAwait ? { skipAwait: true } : {}),
      },
      { ...child, dependsOn: [namespace] },
    );
    const routes = tcpRoutes(config, args.settings);
    if (routes.length > 0) new k8s.yaml.v2.ConfigGroup(`${name}-tcp-routes`, { objs: routes }, { ...child, dependsOn: [chart] });
    this.registerOutputs({});
  }
}
