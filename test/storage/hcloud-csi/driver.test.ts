import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findHelm } from "../../../plan/charts/helm";
import { renderChart } from "../../../plan/charts/render";
import {
  HCLOUD_CLASSES,
  HCLOUD_CSI,
  defaultHcloudClass,
  hcloudCsiValues,
  hcloudStorageClasses,
  passphraseSecret,
  type HcloudCsiSite,
} from "../../../src/storage/hcloud-csi/driver";
import { HCLOUD_CSI_CHART, hcloudCsiSchema } from "../../../src/storage/hcloud-csi/schema";
import { validateBuiltin } from "../../support/schemas";
import { ofKind, type KubernetesObject } from "../../../src/kubernetes/object";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment" with { "resolution-mode": "import" };
import { serverSecretFilesOf } from "../../../src/concerns/registry";
import { CONTROL_PLANE_LABEL } from "../../../src/k3s/names";
import { SERVER_SECRETS_DIR } from "../../../src/k3s/secret-files";
import { exampleSections, parse1 } from "../../helpers";

const site = (settings: Partial<HcloudCsiSite["settings"]> = {}): HcloudCsiSite => ({
  siteName: "prod",
  location: "nbg1",
  settings: { ...hcloudCsiSchema.parse({}), ...settings },
});

describe("Hetzner CSI StorageClasses", () => {
  it("defaults to Retain: deleting a claim keeps the volume", () => {
    assert.equal(hcloudCsiSchema.parse({}).reclaimPolicy, "Retain");
    const [plain] = hcloudStorageClasses(site());
    assert.equal(plain?.metadata?.name, HCLOUD_CLASSES.plain);
    assert.equal(plain?.reclaimPolicy, "Retain");
    assert.equal(plain?.allowVolumeExpansion, true);
    assert.equal(plain?.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"], "true");
  });

  it("pins every class to the site's location", () => {
    for (const c of hcloudStorageClasses(site({ encryption: true }))) {
      assert.deepEqual(c.allowedTopologies, [{ matchLabelExpressions: [{ key: "csi.hetzner.cloud/location", values: ["nbg1"] }] }]);
    }
  });

  it("has exactly one default class, the encrypted one with encryption on", () => {
    for (const encryption of [false, true]) {
      const defaults = hcloudStorageClasses(site({ encryption })).filter(
        (c) => c.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
      );
      assert.deepEqual(defaults.map((c) => c.metadata?.name), [encryption ? HCLOUD_CLASSES.encrypted : HCLOUD_CLASSES.plain]);
      assert.equal(defaultHcloudClass(site({ encryption }).settings), defaults[0]?.metadata?.name);
    }
  });

  it("points the encrypted class at the passphrase Secret in the driver's namespace", () => {
    const encrypted = hcloudStorageClasses(site({ encryption: true })).find((c) => c.metadata?.name === HCLOUD_CLASSES.encrypted);
    assert.deepEqual(encrypted?.parameters, {
      "csi.storage.k8s.io/node-publish-secret-name": HCLOUD_CSI.passphraseSecret.name,
      "csi.storage.k8s.io/node-publish-secret-namespace": HCLOUD_CSI.namespace,
    });
    assert.equal(encrypted?.reclaimPolicy, "Retain");
  });

  it("keeps the scratch class on Delete whatever the default's policy", () => {
    const scratch = hcloudStorageClasses(site({ reclaimPolicy: "Retain" })).find((c) => c.metadata?.name === HCLOUD_CLASSES.scratch);
    assert.equal(scratch?.reclaimPolicy, "Delete");
    assert.equal(scratch?.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"], "false");
  });

  it("writes classes and Secrets the Kubernetes schema accepts", async () => {
    for (const c of hcloudStorageClasses(site({ encryption: true }))) await validateBuiltin(c as never);
    await validateBuiltin(passphraseSecret("correct horse") as never);
  });
});

describe("Hetzner CSI Secrets", () => {
  it("keeps the passphrase in the Secret the node plugin's kubelet reads, in the driver's namespace", () => {
    const secret = passphraseSecret("correct horse");
    assert.equal(secret.metadata?.namespace, HCLOUD_CSI.namespace);
    assert.equal(secret.metadata?.name, HCLOUD_CSI.passphraseSecret.name);
    assert.equal(Buffer.from(secret.data?.[HCLOUD_CSI.passphraseSecret.key] ?? "", "base64").toString(), "correct horse");
  });

  it("refuses an empty passphrase without printing anything of it", () => {
    assert.throws(() => passphraseSecret(""), /volumeEncryptionPassphrase is empty but storage.hcloudCsi.encryption is true/);
  });
});

const helm = findHelm();

describe("Hetzner CSI chart, rendered by helm", { skip: "skipped" in helm ? helm.skipped : false }, () => {
  const render = (): readonly KubernetesObject[] => {
    if (!("helm" in helm)) throw new Error("no helm");
    return renderChart(
      helm.helm,
      {
        resource: "test",
        release: HCLOUD_CSI.release,
        chart: HCLOUD_CSI_CHART.chart,
        version: HCLOUD_CSI_CHART.version,
        namespace: HCLOUD_CSI.namespace,
        values: hcloudCsiValues(site()) as unknown as Record<string, unknown>,
        valuesFiles: [],
        skipCrds: false,
      },
      { kubeVersion: "v1.33.5+k3s1", apiVersions: [] },
    ).objects;
  };
  const objects = render();
  const controller = ofKind<IDeployment>(objects.find((o) => o.kind === "Deployment"), "Deployment")!;
  const pod = controller.spec!.template.spec!;
  const driver = pod.containers.find((c) => c.name === "hcloud-csi-driver")!;

  it("reads the token from the servers' root-only file, mounted read-only on a server: no Secret, no value", () => {
    assert.equal(objects.filter((o) => o.kind === "Secret").length, 0);
    const env = driver.env ?? [];
    assert.equal(env.find((e) => e.name === "HCLOUD_TOKEN"), undefined);
    const { folder, file, mountPath, volume } = HCLOUD_CSI.tokenFile;
    assert.equal(env.find((e) => e.name === "HCLOUD_TOKEN_FILE")?.value, `${mountPath}/${file}`);
    assert.deepEqual(pod.volumes?.find((v) => v.name === volume)?.hostPath, { path: `${SERVER_SECRETS_DIR}/${folder}`, type: "Directory" });
    assert.deepEqual(driver.volumeMounts?.find((m) => m.name === volume), { name: volume, mountPath, readOnly: true });
    // Only the driver's container mounts it: the sidecars never see the token.
    for (const c of pod.containers.filter((c) => c !== driver)) assert.equal(c.volumeMounts?.some((m) => m.name === volume) ?? false, false, c.name);
    assert.deepEqual(pod.nodeSelector, { [CONTROL_PLANE_LABEL]: "true" });
  });

  it("keeps the token's folder the one the servers write (serverSecretFiles of the concern)", () => {
    const files = serverSecretFilesOf(parse1(exampleSections("prod")));
    assert.deepEqual(files, [{ secret: "hcloudToken", path: `${HCLOUD_CSI.tokenFile.folder}/${HCLOUD_CSI.tokenFile.file}` }]);
  });

  it("creates volumes in the site's location, labelled with the site", () => {
    const env = driver.env ?? [];
    assert.equal(env.find((e) => e.name === "HCLOUD_VOLUME_DEFAULT_LOCATION")?.value, "nbg1");
    assert.equal(env.find((e) => e.name === "HCLOUD_VOLUME_EXTRA_LABELS")?.value, "k3s-sites/site=prod");
  });

  it("leaves the StorageClasses to the program and runs no metrics Service", () => {
    assert.deepEqual(objects.filter((o) => o.kind === "StorageClass" || o.kind === "Service").map((o) => o.metadata.name), []);
  });

  it("labels the pods as the NetworkPolicies select them", () => {
    const labels = controller.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(HCLOUD_CSI.controllerLabels)) assert.equal(labels[k], v, k);
    const node = objects.find((o) => o.kind === "DaemonSet") as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } };
    for (const [k, v] of Object.entries(HCLOUD_CSI.nodeLabels)) assert.equal(node.spec.template.metadata.labels[k], v, k);
  });
});
