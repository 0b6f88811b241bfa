import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { splitCrds } from "../../src/cni/canal";
import type { SiteConfig } from "../../src/config/site";
import { multusObjects } from "../../src/multus/manifest";
import { multusNamespaces, multusWarnings, networkAttachmentDefinition } from "../../src/multus/networks";
import { TYPE } from "../../src/type-tokens";

export interface MultusArgs {
  readonly config: SiteConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the CNI Multus delegates to. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Multus (thick plugin) from the pinned, digest-checked manifest with its k3s customizations, then one
 * NetworkAttachmentDefinition per network once the CRD is in. Warns for every app attached to a network: no
 * NetworkPolicy applies to those interfaces.
 */
export class Multus extends pulumi.ComponentResource {
  constructor(name: string, args: MultusArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.multus, name, {}, opts);
    const { config } = args;
    let objects: { crds: object[]; rest: object[] };
    try {
      objects = splitCrds(multusObjects(config));
    } catch (err) {
      throw new pulumi.ResourceError((err as Error).message, this, true);
    }
    const child = { parent: this, provider: args.provider };
    const crds = new k8s.yaml.v2.ConfigGroup(`${name}-crds`, { objs: objects.crds }, { ...child, dependsOn: args.dependsOn });
    const daemon = new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { objs: objects.rest }, { ...child, dependsOn: [crds] });
    // The NADs' namespaces may be an app's, created by the policies component: Namespaces the program does not
    // create otherwise are created here, with the baseline policies of the site (multusNamespaces).
    const namespaces = multusNamespaces(config).map(({ namespace, policies }) => {
      const ns = new k8s.core.v1.Namespace(`${name}-namespace-${namespace.metadata.name}`, namespace, { ...child, dependsOn: args.dependsOn });
      for (const policy of policies) {
        new k8s.networking.v1.NetworkPolicy(`${name}-policy-${namespace.metadata.name}-${policy.metadata.name}`, policy as k8s.types.input.networking.v1.NetworkPolicy, {
          ...child,
          dependsOn: [ns],
        });
      }
      return ns;
    });
    new k8s.yaml.v2.ConfigGroup(
      `${name}-networks`,
      { objs: config.networks.map(networkAttachmentDefinition) },
      { ...child, dependsOn: [crds, daemon, ...namespaces] },
    );
    for (const warning of multusWarnings(config)) pulumi.log.warn(warning, this);
    this.registerOutputs({});
  }
}
