import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../src/config/site";
import { appNamespaces, policiesByLifetime } from "../../src/policy/network-policies";
import { isolationLabels } from "../../src/policy/objects";
import { TYPE } from "../../src/type-tokens";

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
    super(TYPE.networkPolicies, name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const namespaces = new Map(
      appNamespaces(args.config).map((ns) => [
        ns,
        new k8s.core.v1.Namespace(
          `${name}-namespace-${ns}`,
          { metadata: { name: ns, labels: isolationLabels(args.config.networkPolicies.defaultDeny) } },
          // Removing an app from the config must not delete its namespace and everything in it.
          { ...child, dependsOn: args.dependsOn, retainOnDelete: true },
        ),
      ]),
    );
    const { withNamespace, rest } = policiesByLifetime(args.config);
    const group = new k8s.yaml.v2.ConfigGroup(
      `${name}-policies`,
      { objs: rest },
      { ...child, dependsOn: [...args.dependsOn, ...namespaces.values()] },
    );
    for (const [ns, policies] of withNamespace) {
      const namespace = namespaces.get(ns);
      if (!namespace) throw new pulumi.ResourceError(`policies for namespace ${ns}, which no app declares`, this, true);
      for (const policy of policies) {
        const policyName = policy.metadata.name;
        new k8s.networking.v1.NetworkPolicy(
          `${name}-${ns}-${policyName}`,
          // The same object: only its arrays are readonly here, which Pulumi's input types do not accept.
          policy as unknown as k8s.networking.v1.NetworkPolicyArgs,
          {
            ...child,
            dependsOn: [...args.dependsOn, namespace],
            // When the namespace leaves the program (its last app is removed), it is retained and so are these: the
            // engine skips the delete of a resource whose deletedWith is deleted in the same update (pulumi
            // pkg/resource/deploy/step.go, DeleteStep.Apply, isDeletedWith; a retained resource's delete still
            // counts). Removed alone (networkPolicies.defaultDeny off), they are deleted.
            deletedWith: namespace,
            // They were children of the ConfigGroup, named `<group name>:<namespace>/<name>` (pulumi-kubernetes
            // provider/pkg/provider/yaml/v2: configgroup.go defaults resourcePrefix to the group's name, yaml.go
            // joins prefix and namespace/name; read at v4.32.0, the newest tag in the mirror).
            aliases: [{ name: `${name}-policies:${ns}/${policyName}`, parent: group }],
          },
        );
      }
    }
    this.registerOutputs({});
  }
}
