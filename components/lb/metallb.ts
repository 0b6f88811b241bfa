import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { METALLB, metallbNamespace, metallbResources, metallbValues } from "../../src/lb/metallb/metallb";
import { METALLB_CHART, type MetallbConfig } from "../../src/lb/metallb/schema";
import { TYPE } from "../../src/type-tokens";

export interface MetallbArgs {
  readonly metallb: MetallbConfig;
  /** networkPolicies.defaultDeny: whether the site's policies isolate MetalLB's namespace. @default true */
  readonly isolated?: boolean;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the CNI. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * MetalLB from its chart at the pinned version: its namespace, the memberlist Secret (generated once here, so the
 * controller never makes its own and the key is a Pulumi secret), the chart, then the pools and advertisements once
 * the chart's CRDs and webhook are up.
 */
export class Metallb extends pulumi.ComponentResource {
  constructor(name: string, args: MetallbArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.metallb, name, {}, opts);
    const { metallb } = args;
    const child = { parent: this, provider: args.provider };
    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: metallbNamespace(args.isolated ?? true).metadata }, {
      ...child,
      dependsOn: args.dependsOn,
    });
    // Every argument of a RandomPassword replaces it: nothing here changes after creation.
    const key = new random.RandomPassword(`${name}-memberlist-key`, { length: 32, special: false }, { parent: this });
    const secret = new k8s.core.v1.Secret(
      `${name}-memberlist`,
      {
        metadata: { name: METALLB.memberlistSecret, namespace: METALLB.namespace },
        type: "Opaque",
        stringData: { [METALLB.memberlistKey]: pulumi.secret(key.result) },
      },
      { ...child, dependsOn: [namespace], additionalSecretOutputs: ["stringData", "data"] },
    );
    const release = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        name: METALLB.release,
        chart: METALLB_CHART.chart,
        version: metallb.version,
        repositoryOpts: { repo: METALLB_CHART.repository },
        namespace: METALLB.namespace,
        values: metallbValues(metallb),
      },
      { ...child, dependsOn: [namespace, secret] },
    );
    new k8s.yaml.v2.ConfigGroup(`${name}-pools`, { objs: metallbResources(metallb) }, { ...child, dependsOn: [release] });
    this.registerOutputs({});
  }
}
