import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { gatewayObjects } from "../../src/ingress/cilium/gateway";
import type { CiliumIngressSettings } from "../../src/ingress/cilium/schema";

export interface CiliumGatewayArgs {
  readonly config: SiteConfig;
  /** The site's ingress.cilium section. */
  readonly settings: CiliumIngressSettings;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the CNI, whose operator serves the Gateway. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The site's GatewayClass and Gateway for Cilium's Gateway API support. Cilium itself (ingress controller and
 * Gateway API in its agents and operator) is the CNI's chart, with the ingress's values; the Gateway API CRDs go in
 * before it (CiliumGatewayCrds), since the operator looks for them when it starts.
 */
export class CiliumGateway extends pulumi.ComponentResource {
  constructor(name: string, args: CiliumGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-sites:ingress:CiliumGateway", name, {}, opts);
    new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs: gatewayObjects(args.config, args.settings) },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}

export interface CiliumGatewayCrdsArgs {
  /** The objects of the Gateway API release the site's Cilium needs, read and checked before any resource. */
  readonly objects: readonly Record<string, unknown>[];
  readonly provider: k8s.Provider;
  /** What must exist first: the API server. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The Gateway API CRDs (and their safe-upgrades admission policy), before Cilium's operator starts. */
export class CiliumGatewayCrds extends pulumi.ComponentResource {
  constructor(name: string, args: CiliumGatewayCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-sites:ingress:GatewayApiCrds", name, {}, opts);
    new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs: args.objects.map((o) => structuredClone(o)) },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
