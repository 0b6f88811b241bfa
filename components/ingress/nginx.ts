import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { nginxObjects } from "../../src/ingress/nginx/nginx";
import { TYPE } from "../../src/type-tokens";

export interface NginxIngressArgs {
  readonly config: SiteConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /**
   * The address Ingress status reports: the load balancer's public IPv4 on cloud sites.
   * @default - none reported (home sites report their LoadBalancer Service's address, if any)
   */
  readonly statusAddress?: pulumi.Input<string>;
  /** Whether the run does not wait for the DaemonSet (a switch from another controller on the nodes' ports). @default false */
  readonly skipAwait?: boolean;
  /** What must exist first: the CNI. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** NGINX Ingress Controller as a DaemonSet on every node, listening on the nodes' ports 80 and 443. */
export class NginxIngress extends pulumi.ComponentResource {
  constructor(name: string, args: NginxIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.nginxIngress, name, {}, opts);
    const objs = pulumi
      .output(args.statusAddress)
      .apply((statusAddress) => nginxObjects(args.config, statusAddress ? { statusAddress } : {}));
    new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs, ...(args.skipAwait ? { skipAwait: true } : {}) },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
