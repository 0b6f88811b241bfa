import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  HCLOUD_CSI,
  driverSecretMetadata,
  hcloudCsiNamespace,
  hcloudCsiValues,
  hcloudStorageClasses,
  passphraseSecret,
} from "../../src/storage/hcloud-csi/driver";
import { HCLOUD_CSI_CHART, type HcloudCsiSettings } from "../../src/storage/hcloud-csi/schema";
import type { StorageCheckInput } from "../../src/storage/verify";
import { StorageCheck } from "./check";
import { TYPE } from "../../src/type-tokens";

export interface HcloudCsiArgs {
  /** The stack's name: labels every volume the driver creates. */
  readonly siteName: string;
  /** The site's Hetzner location: where its volumes are created. */
  readonly location: string;
  readonly settings: HcloudCsiSettings;
  /** What the storage check reads: the storage section and whether the checks run. */
  readonly check: StorageCheckInput;
  /** networkPolicies.defaultDeny: whether the site's policies isolate the driver's namespace. */
  readonly isolated: boolean;
  /**
   * The LUKS passphrase (a Pulumi secret), with storage.hcloudCsi.encryption.
   * @default - none: no encrypted class
   */
  readonly passphrase?: pulumi.Input<string>;
  /** The site's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** What must exist first: the CNI. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Hetzner's CSI driver from its chart at the pinned version, in a namespace of its own: the passphrase Secret with
 * encryption, the chart (its controller reads the API token from the servers' file), then the StorageClasses and the
 * storage check. The Secret is built inside apply from a secret Output: its value stays secret in the state and never
 * reaches a log, an output or the plan's files.
 */
export class HcloudCsi extends pulumi.ComponentResource {
  constructor(name: string, args: HcloudCsiArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.hcloudCsi, name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const site = { siteName: args.siteName, location: args.location, settings: args.settings };
    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: hcloudCsiNamespace(args.isolated).metadata! }, { ...child, dependsOn: args.dependsOn });
    // The API token is no Secret: the servers keep it as a root-only file the controller mounts (src/k3s/secret-files.ts).
    const secrets: pulumi.Resource[] = [];
    if (args.settings.encryption) {
      if (args.passphrase === undefined) {
        throw new pulumi.ResourceError("storage.hcloudCsi.encryption needs the secret k3s-sites:volumeEncryptionPassphrase", this, true);
      }
      // Ignoring later changes: a new passphrase would no longer open the volumes made with the old one, so the
      // cluster keeps the first (docs/storage.md says how to change it on purpose).
      const data = pulumi.secret(args.passphrase).apply((p) => passphraseSecret(p).data!);
      secrets.push(
        new k8s.core.v1.Secret(
          `${name}-passphrase`,
          { metadata: driverSecretMetadata(HCLOUD_CSI.passphraseSecret.name), type: "Opaque", data },
          { ...child, dependsOn: [namespace], ignoreChanges: ["data", "stringData"], additionalSecretOutputs: ["data", "stringData"] },
        ),
      );
    }
    const chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        name: HCLOUD_CSI.release,
        chart: HCLOUD_CSI_CHART.chart,
        version: HCLOUD_CSI_CHART.version,
        repositoryOpts: { repo: HCLOUD_CSI_CHART.repository },
        namespace: HCLOUD_CSI.namespace,
        values: hcloudCsiValues(site),
      },
      { ...child, dependsOn: [namespace, ...secrets] },
    );
    // The API server refuses any change of a class's provisioner, parameters, reclaimPolicy or volumeBindingMode
    // (ValidateStorageClassUpdate, pkg/apis/storage/validation), and the provider would update reclaimPolicy in place:
    // replaced instead, delete first as the name stays. A volume keeps the reclaim policy it was provisioned with.
    const classes = hcloudStorageClasses(site).map(
      (cls) =>
        new k8s.storage.v1.StorageClass(`${name}-class-${cls.metadata!.name}`, cls as k8s.storage.v1.StorageClassArgs, {
          ...child,
          dependsOn: [chart],
          replaceOnChanges: ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"],
          deleteBeforeReplace: true,
        }),
    );
    new StorageCheck(`${name}-check`, { config: args.check, isolated: args.isolated, provider: args.provider, dependsOn: classes }, { parent: this });
    this.registerOutputs({});
  }
}
