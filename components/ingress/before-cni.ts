import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TYPE } from "../../src/type-tokens";

export interface BeforeCniArgs {
  /** The ingress's beforeCni objects, read and checked before any resource. */
  readonly objects: readonly Record<string, unknown>[];
  readonly provider: k8s.Provider;
  /** What must exist first: the API server. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Objects the site's ingress needs before the CNI starts (src/concerns/contract.ts, beforeCni), for whichever
 * controller asks: today Cilium's, the Gateway API CRDs its operator looks for when it starts. Site installs it for
 * any controller, so it names none.
 */
export class BeforeCni extends pulumi.ComponentResource {
  constructor(name: string, args: BeforeCniArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.beforeCni, name, {}, opts);
    new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs: args.objects.map((o) => structuredClone(o)) },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
