import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { canalSettingsOf, customizeCanal, splitCrds } from "../../src/cni/canal";
import { parseManifest } from "../../src/kubernetes/object";
import { TYPE } from "../../src/type-tokens";

export interface CanalArgs {
  readonly config: SiteConfig;
  /** The text of the pinned canal.yaml, its digest checked (loadCanal). */
  readonly manifest: string;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist before the CNI: the nodes' k3s. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Canal from the official canal.yaml of the pinned Calico version, checked against its sha256 and customized for
 * the site by customizeCanal: bumping cni.canal.version is the whole upgrade, and every customization comes along.
 * The CRDs are applied first, then everything else.
 */
export class Canal extends pulumi.ComponentResource {
  constructor(name: string, args: CanalArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.canal, name, {}, opts);
    const { config } = args;
    const settings = canalSettingsOf(config);
    let objects: { crds: object[]; rest: object[] };
    try {
      objects = splitCrds(customizeCanal(parseManifest(args.manifest), settings));
    } catch (err) {
      throw new pulumi.ResourceError((err as Error).message, this, true);
    }

    const child = { parent: this, provider: args.provider };
    const crds = new k8s.yaml.v2.ConfigGroup(
      `${name}-crds`,
      { objs: objects.crds },
      { ...child, dependsOn: args.dependsOn },
    );
    new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { objs: objects.rest }, { ...child, dependsOn: [crds] });
    this.registerOutputs({});
  }
}
