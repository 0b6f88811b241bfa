/**
 * Hetzner's CSI driver: the chart's values, the StorageClasses and the Secrets it reads. Plain data; the component
 * installs the chart and creates the Secrets from Pulumi secrets inside apply, so the token and the passphrase stay
 * secret Outputs and never reach a log, an output or a plan file.
 *
 * Facts (upstream/SOURCES.md, "hcloud-csi", chart and driver at tag v2.22.1):
 * - the controller alone reads the token, from the env HCLOUD_TOKEN filled by secretKeyRef
 *   `controller.hcloudToken.existingSecret` (templates/controller/deployment.yaml); its ClusterRole grants nothing
 *   on Secrets, and the node plugin has no token. Other controllers that read Secrets cluster-wide (nginx,
 *   cert-manager) can read it through the API: test/storage/hcloud-csi/token-readers.test.ts pins who;
 * - with `WaitForFirstConsumer` (fixed in templates/core/storageclass.yaml) a volume is created in the location of
 *   the node its pod is scheduled to; HCLOUD_VOLUME_DEFAULT_LOCATION (`controller.hcloudVolumeDefaultLocation`)
 *   covers a claim created without one (cmd/main.go; docs/kubernetes/explanation/volume-location.md);
 * - the driver's topology key is `csi.hetzner.cloud/location` (internal/driver/driver.go TopologySegmentLocation),
 *   which allowedTopologies below pins to the site's location as well;
 * - LUKS encryption: the node plugin reads the key `encryption-passphrase` of the Secret named by the class's
 *   `csi.storage.k8s.io/node-publish-secret-name`/`-namespace` parameters (internal/driver/node.go;
 *   docs/kubernetes/guides/volumes-encrypted-with-luks.md).
 */
import type { ISecret } from "kubernetes-models/v1/Secret" with { "resolution-mode": "import" };
import type { IStorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass" with { "resolution-mode": "import" };
import type { INamespace } from "kubernetes-models/v1/Namespace" with { "resolution-mode": "import" };
import type { IVolume } from "kubernetes-models/v1/Volume" with { "resolution-mode": "import" };
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount" with { "resolution-mode": "import" };
import { siteLabels } from "../../hetzner/model";
import { CONTROL_PLANE_LABEL } from "../../k3s/names";
import { serverSecretFolder } from "../../k3s/secret-files";
import { isolationLabels } from "../../policy/objects";
import type { HcloudCsiSettings } from "./schema";

/** Where the driver runs and what it is called: its own namespace, so that its Secrets are the only ones there. */
export const HCLOUD_CSI = {
  release: "hcloud-csi",
  namespace: "hcloud-csi",
  /**
   * The token, kept by every server as a root-only file (src/k3s/secret-files.ts) in `folder`, which the controller
   * mounts read-only at `mountPath` and reads through HCLOUD_TOKEN_FILE (the chart's controller.hcloudToken.file;
   * csi-driver v2.22.1 internal/app/app.go reads the file's content when HCLOUD_TOKEN is unset).
   */
  tokenFile: { folder: "hcloud-csi", file: "token", mountPath: "/run/k3s-sites/hcloud-csi", volume: "hcloud-token" },
  /** The Secret the node plugin reads the LUKS passphrase from (its key is fixed by the driver). */
  passphraseSecret: { name: "hcloud-csi-encryption", key: "encryption-passphrase" },
  provisioner: "csi.hetzner.cloud",
  topologyKey: "csi.hetzner.cloud/location",
  /** Pod labels the chart sets (templates/_common_labels.tpl, matchLabels, plus the component). */
  controllerLabels: { "app.kubernetes.io/name": "hcloud-csi", "app.kubernetes.io/instance": "hcloud-csi", "app.kubernetes.io/component": "controller" },
  nodeLabels: { "app.kubernetes.io/name": "hcloud-csi", "app.kubernetes.io/instance": "hcloud-csi", "app.kubernetes.io/component": "node" },
  /** Hetzner's metadata service, where the node plugin learns its server ID and location (cmd/main.go). */
  metadataService: { cidr: "169.254.169.254/32", port: 80 },
} as const;

/**
 * The driver's namespace. Privileged for Pod Security: the node plugin runs privileged, with /dev and the kubelet's
 * directory mounted from the host (templates/node/daemonset.yaml). `isolated`: networkPolicies.defaultDeny, under
 * which hcloudCsiPolicies isolate it.
 */
export function hcloudCsiNamespace(isolated: boolean): INamespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: HCLOUD_CSI.namespace,
      labels: {
        ...Object.fromEntries(["enforce", "audit", "warn"].map((l) => [`pod-security.kubernetes.io/${l}`, "privileged"])),
        ...isolationLabels(isolated),
      },
    },
  };
}

/** The StorageClasses: the default one, and one whose volumes go with their claims (for data that may be lost). */
export const HCLOUD_CLASSES = {
  plain: "hcloud-volumes",
  encrypted: "hcloud-volumes-encrypted",
  scratch: "hcloud-volumes-delete",
} as const;

/** What the driver needs of the site. */
export interface HcloudCsiSite {
  /** The stack's name: labels every volume, as it labels the servers (`k3s-sites/site`). */
  readonly siteName: string;
  /** The site's Hetzner location: volumes attach only to servers of their own location. */
  readonly location: string;
  readonly settings: HcloudCsiSettings;
}

/** The name of the site's default StorageClass on Hetzner. */
export function defaultHcloudClass(settings: HcloudCsiSettings): string {
  return settings.encryption ? HCLOUD_CLASSES.encrypted : HCLOUD_CLASSES.plain;
}

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

function storageClass(name: string, site: HcloudCsiSite, reclaimPolicy: "Retain" | "Delete", extra: Record<string, string>): IStorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      labels: { "app.kubernetes.io/part-of": "k3s-sites" },
      annotations: { [DEFAULT_CLASS_ANNOTATION]: String(name === defaultHcloudClass(site.settings)) },
    },
    provisioner: HCLOUD_CSI.provisioner,
    reclaimPolicy,
    allowVolumeExpansion: true,
    volumeBindingMode: "WaitForFirstConsumer",
    allowedTopologies: [{ matchLabelExpressions: [{ key: HCLOUD_CSI.topologyKey, values: [site.location] }] }],
    ...(Object.keys(extra).length > 0 ? { parameters: extra } : {}),
  };
}

/**
 * The site's StorageClasses. The program writes them itself instead of the chart's `storageClasses` list, whose
 * template cannot set allowedTopologies: every class pins volumes to the site's location. StorageClass parameters
 * and reclaimPolicy cannot change in place, so a change of storage.hcloudCsi replaces the class, never the volumes
 * (a PersistentVolume keeps the reclaim policy it was created with).
 */
export function hcloudStorageClasses(site: HcloudCsiSite): IStorageClass[] {
  const { settings } = site;
  const classes = [
    storageClass(HCLOUD_CLASSES.plain, site, settings.reclaimPolicy, {}),
    // Scratch data, and the verification check's claim: gone with its claim, so a destroyed stack leaves no volume.
    storageClass(HCLOUD_CLASSES.scratch, site, "Delete", {}),
  ];
  if (settings.encryption) {
    classes.splice(
      1,
      0,
      storageClass(HCLOUD_CLASSES.encrypted, site, settings.reclaimPolicy, {
        "csi.storage.k8s.io/node-publish-secret-name": HCLOUD_CSI.passphraseSecret.name,
        "csi.storage.k8s.io/node-publish-secret-namespace": HCLOUD_CSI.namespace,
      }),
    );
  }
  return classes;
}

/** The values k3s-sites sets on Hetzner's chart; every other value keeps the chart's default. */
export interface HcloudCsiValues {
  readonly controller: {
    readonly hcloudToken: { readonly file: string };
    readonly extraVolumes: readonly IVolume[];
    readonly extraVolumeMounts: readonly IVolumeMount[];
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly hcloudVolumeDefaultLocation: string;
    readonly volumeExtraLabels: Readonly<Record<string, string>>;
    readonly priorityClassName: string;
  };
  readonly node: { readonly priorityClassName: string };
  readonly metrics: { readonly enabled: false };
  /** None from the chart: hcloudStorageClasses writes them. */
  readonly storageClasses: readonly never[];
}

export function hcloudCsiValues(site: HcloudCsiSite): HcloudCsiValues {
  const tokenFile = HCLOUD_CSI.tokenFile;
  return {
    controller: {
      // The token from the servers' root-only file: no Secret holds it, so no controller that reads every
      // namespace's Secrets can read it. The controller runs on a server, where the file is.
      hcloudToken: { file: `${tokenFile.mountPath}/${tokenFile.file}` },
      extraVolumes: [{ name: tokenFile.volume, hostPath: { path: serverSecretFolder(tokenFile.folder), type: "Directory" } }],
      extraVolumeMounts: [{ name: tokenFile.volume, mountPath: tokenFile.mountPath, readOnly: true }],
      nodeSelector: { [CONTROL_PLANE_LABEL]: "true" },
      hcloudVolumeDefaultLocation: site.location,
      // `hcloud volume list -l k3s-sites/site=<stack>` then lists the site's volumes, also after a destroy.
      volumeExtraLabels: siteLabels(site.siteName),
      // Without the controller no volume is created, attached or grown; without the node plugin none is mounted.
      priorityClassName: "system-cluster-critical",
    },
    node: { priorityClassName: "system-node-critical" },
    // Off (the chart's default): no Service and no open port for a scraper the site does not run.
    metrics: { enabled: false },
    storageClasses: [],
  };
}

const LABELS = { "app.kubernetes.io/part-of": "k3s-sites" } as const;

/** The metadata of the driver's Secrets: known before their values, so a component can name them outside apply. */
export function driverSecretMetadata(name: string): { name: string; namespace: string; labels: Record<string, string> } {
  return { name, namespace: HCLOUD_CSI.namespace, labels: { ...LABELS } };
}

function opaqueSecret(name: string, key: string, value: string): ISecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: driverSecretMetadata(name),
    type: "Opaque",
    data: { [key]: Buffer.from(value, "utf8").toString("base64") },
  };
}

/**
 * The Secret holding the LUKS passphrase (storage.hcloudCsi.encryption), in the driver's namespace: the kubelet reads
 * it through the API for the node plugin, so it cannot be a file. Call it inside apply with the secret's plain value;
 * the value is never part of an error message.
 */
export function passphraseSecret(passphrase: string): ISecret {
  if (passphrase.trim() === "") {
    throw new Error(
      "the secret k3s-sites:volumeEncryptionPassphrase is empty but storage.hcloudCsi.encryption is true: set it with " +
        "pulumi config set --secret k3s-sites:volumeEncryptionPassphrase",
    );
  }
  return opaqueSecret(HCLOUD_CSI.passphraseSecret.name, HCLOUD_CSI.passphraseSecret.key, passphrase);
}

/** Whether the site needs the LUKS passphrase secret: Hetzner's volumes with storage.hcloudCsi.encryption on. */
export function needsEncryptionPassphrase(storage: { readonly driver: string; readonly hcloudCsi: { readonly encryption: boolean } }): boolean {
  return storage.driver === "hcloud-csi" && storage.hcloudCsi.encryption;
}
