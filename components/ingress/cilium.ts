import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { gatewayObjects } from "../../src/ingress/cilium/gateway";
import { CILIUM_INGRESS } from "../../src/ingress/cilium/names";
import { ciliumIngressPolicies } from "../../src/ingress/cilium/policies";
import { namespaceBaseline } from "../../src/policy/system";
import type { CiliumIngressSettings } from "../../src/ingress/cilium/schema";
import { TYPE } from "../../src/type-tokens";

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
 * before it (BeforeCni, components/ingress/before-cni.ts), since the operator looks for them when it starts.
 */
export class CiliumGateway extends pulumi.ComponentResource {
  constructor(name: string, args: CiliumGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.ciliumGateway, name, {}, opts);
    const { config } = args;
    // The Gateway's namespace runs no pod; on an isolating site it still gets its baseline, like every namespace.
    const baseline = config.networkPolicies.defaultDeny ? namespaceBaseline(CILIUM_INGRESS.gateway.namespace) : [];
    new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs: [...gatewayObjects(config, args.settings), ...baseline, ...ciliumIngressPolicies(config)] },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
