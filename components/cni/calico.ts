import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import {
  CALICO_NAMES,
  calicoPasswordRbac,
  calicoResources,
  calicoSettingsOf,
  customizeCalico,
  passwordSegments,
} from "../../src/cni/calico";
import { splitCrds } from "../../src/cni/customize";
import { parseManifest } from "../../src/kubernetes/object";
import { TYPE } from "../../src/type-tokens";

export interface CalicoArgs {
  readonly config: SiteConfig;
  /** The text of the pinned calico.yaml, its digest checked (loadCalico). */
  readonly manifest: string;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist before the CNI: the nodes' k3s. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** The secret k3s-sites:bgpPassword. @default - no session passwords */
  readonly bgpPassword?: pulumi.Output<string>;
}

/**
 * Calico from the official calico.yaml of the pinned version, customized by customizeCalico, and its custom
 * resources (IP pools, BGP configuration, the routers as BGP peers). The CRDs go first. The custom resources depend
 * on the CRDs only, not on the manifest: calico-node creates no pool itself (NO_DEFAULT_POOLS), and its readiness
 * check waits for BIRD's sessions, so pools and peers must be there while Pulumi waits for the DaemonSet.
 */
export class Calico extends pulumi.ComponentResource {
  constructor(name: string, args: CalicoArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.calico, name, {}, opts);
    const { config } = args;
    let objects: { crds: object[]; rest: object[] };
    try {
      objects = splitCrds(customizeCalico(parseManifest(args.manifest), calicoSettingsOf(config)));
    } catch (err) {
      throw new pulumi.ResourceError((err as Error).message, this, true);
    }
    const segments = passwordSegments(config);
    if (segments.length > 0 && args.bgpPassword === undefined) {
      throw new pulumi.ResourceError("routers with password: true need the secret k3s-sites:bgpPassword", this, true);
    }

    const child = { parent: this, provider: args.provider };
    const crds = new k8s.yaml.v2.ConfigGroup(`${name}-crds`, { objs: objects.crds }, { ...child, dependsOn: args.dependsOn });
    const before: pulumi.Resource[] = [crds];
    if (segments.length > 0 && args.bgpPassword !== undefined) {
      const stringData = { [CALICO_NAMES.passwordKey]: args.bgpPassword };
      before.push(
        new k8s.core.v1.Secret(
          `${name}-bgp-passwords`,
          { metadata: { name: CALICO_NAMES.passwords, namespace: CALICO_NAMES.namespace }, type: "Opaque", stringData },
          { ...child, dependsOn: args.dependsOn },
        ),
        new k8s.yaml.v2.ConfigGroup(`${name}-bgp-passwords-rbac`, { objs: calicoPasswordRbac() }, { ...child, dependsOn: args.dependsOn }),
      );
    }
    new k8s.yaml.v2.ConfigGroup(`${name}-resources`, { objs: calicoResources(config) }, { ...child, dependsOn: before });
    new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { objs: objects.rest }, { ...child, dependsOn: before });
    this.registerOutputs({});
  }
}
