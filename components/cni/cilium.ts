import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ingressOf } from "../../src/concerns/registry";
import type { SiteConfig } from "../../src/config/site";
import { CILIUM_NAMESPACE, ciliumChart, ciliumResources, ciliumValues } from "../../src/cni/cilium";
import { TYPE } from "../../src/type-tokens";

export interface CiliumArgs {
  readonly config: SiteConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist before the CNI: the nodes' k3s. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Cilium from its Helm chart at the pinned version, with values built from the site config; LB-IPAM pools and L2
 * announcement policies once the chart (whose operator registers Cilium's CRDs) is up.
 */
export class Cilium extends pulumi.ComponentResource {
  constructor(name: string, args: CiliumArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.cilium, name, {}, opts);
    const { config } = args;
    const chart = ciliumChart(config);
    const child = { parent: this, provider: args.provider };
    const release = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        chart: chart.chart,
        version: chart.version,
        repositoryOpts: { repo: chart.repository },
        namespace: CILIUM_NAMESPACE,
        // With the site's ingress's additions: Cilium's ingress controller and Gateway API when it is the ingress.
        values: { ...ciliumValues(config), ...ingressOf(config).cniValues(config) },
      },
      { ...child, dependsOn: args.dependsOn },
    );
    const resources = ciliumResources(config);
    if (resources.length > 0) {
      new k8s.yaml.v2.ConfigGroup(`${name}-lb-ipam`, { objs: resources }, { ...child, dependsOn: [release] });
    }
    this.registerOutputs({});
  }
}
