import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StorageConfig } from "../../src/storage/section";
import { volumeClaims } from "../../src/storage/volumes/claims";
import { TYPE } from "../../src/type-tokens";

export interface VolumesArgs {
  readonly storage: StorageConfig;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the storage driver and the apps' namespaces (the policies component creates them). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The claims of storage.volumes, one resource each, never deleted by Pulumi (retainOnDelete): a volume taken out of
 * the stack file, or the whole stack destroyed, leaves the claim, and with reclaimPolicy Retain the volume, in place.
 */
export class Volumes extends pulumi.ComponentResource {
  /** `<namespace>/<name>` of every declared claim, for the stack output that says what a destroy leaves. */
  readonly claims: string[];

  constructor(name: string, args: VolumesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.volumes, name, {}, opts);
    const claims = volumeClaims(args.storage);
    for (const claim of claims) {
      const meta = claim.metadata!;
      new k8s.core.v1.PersistentVolumeClaim(
        `${name}-${meta.namespace}-${meta.name}`,
        {
          // A claim with WaitForFirstConsumer stays Pending until a pod uses it: Pulumi must not wait for it to bind.
          metadata: { ...meta, name: meta.name!, namespace: meta.namespace!, annotations: { "pulumi.com/skipAwait": "true" } },
          spec: claim.spec as k8s.types.input.core.v1.PersistentVolumeClaimSpec,
        },
        // A claim's class is immutable and the provider replaces a claim whose class changes (delete first, as its
        // name is fixed): a change of the default class (storage.hcloudCsi.encryption) must leave existing claims on
        // the class they were made with, so only a new claim takes the new default.
        { parent: this, provider: args.provider, dependsOn: args.dependsOn, retainOnDelete: true, ignoreChanges: ["spec.storageClassName"] },
      );
    }
    this.claims = claims.map((c) => `${c.metadata!.namespace}/${c.metadata!.name}`);
    this.registerOutputs({ claims: this.claims });
  }
}
