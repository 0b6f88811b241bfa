import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AppManifest } from "../../src/apps/manifests";
import type { AppConfig } from "../../src/policy/schema";
import { TYPE } from "../../src/type-tokens";

export interface AppWorkloadsArgs {
  /** The apps with a manifest or secrets (networkPolicies.apps). */
  readonly apps: readonly AppConfig[];
  /** Their objects, read and checked before any resource (src/apps/manifests.ts). */
  readonly manifests: readonly AppManifest[];
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the apps' namespaces and policies, the storage driver and the declared claims. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The apps' own objects: each app's generated Secrets (a random value per key, made once and kept in the state),
 * then its manifest's objects, which Pulumi applies and waits for as it does any Kubernetes object.
 */
export class AppWorkloads extends pulumi.ComponentResource {
  constructor(name: string, args: AppWorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.appWorkloads, name, {}, opts);
    const child = { parent: this, provider: args.provider };
    for (const app of args.apps) {
      const secrets = app.secrets.map((secret) => {
        const values = secret.keys.map(
          (key) => [key, new random.RandomPassword(`${name}-${app.name}-${secret.name}-${key}`, { length: 32, special: false }, { parent: this }).result] as const,
        );
        const data = pulumi
          .all(values.map(([, value]) => value))
          .apply((plain) => Object.fromEntries(values.map(([key], i) => [key, Buffer.from(plain[i]!, "utf8").toString("base64")])));
        return new k8s.core.v1.Secret(
          `${name}-${app.name}-${secret.name}`,
          {
            metadata: { name: secret.name, namespace: app.namespace, labels: { "app.kubernetes.io/part-of": "k3s-sites" } },
            type: "Opaque",
            data: pulumi.secret(data),
          },
          // A generated value never changes by itself: a new key adds a value, the others stay.
          { ...child, dependsOn: args.dependsOn, additionalSecretOutputs: ["data", "stringData"] },
        );
      });
      const manifest = args.manifests.find((m) => m.app === app.name);
      if (!manifest) continue;
      new k8s.yaml.v2.ConfigGroup(
        `${name}-${app.name}`,
        { objs: manifest.objects.map((o) => ({ ...o })) },
        { ...child, dependsOn: [...args.dependsOn, ...secrets] },
      );
    }
    this.registerOutputs({});
  }
}
