import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { appNamespaces, networkPolicies } from "../../src/policy/network-policies";

export interface NetworkPoliciesArgs {
  readonly config: SiteConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the CNI, and the namespaces of nginx and cert-manager. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The declared apps' namespaces and every NetworkPolicy of the site: default-deny in each managed namespace, what
 * the system needs, and each app's declared traffic.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-sites:policy:NetworkPolicies", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const namespaces = appNamespaces(args.config).map(
      (ns) =>
        new k8s.core.v1.Namespace(
          `${name}-namespace-${ns}`,
          { metadata: { name: ns } },
          // Removing an app from the config must not delete its namespace and everything in it.
          { ...child, dependsOn: args.dependsOn, retainOnDelete: true },
        ),
    );
    new k8s.yaml.v2.ConfigGroup(
      `${name}-policies`,
      { objs: networkPolicies(args.config) },
      { ...child, dependsOn: [...args.dependsOn, ...namespaces] },
    );
    this.registerOutputs({});
  }
}
