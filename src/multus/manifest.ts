/**
 * Multus, thick plugin: the official deployments/multus-daemonset-thick.yml of k8snetworkplumbingwg/multus-cni
 * v4.3.0 (commit db30741512795c258b3ba383a571a66850e8baac), vendored unmodified under upstream/multus/v4.3.0/,
 * checked against its sha256 before it is read, and customized for k3s by customizeMultus (the kept
 * customizations, re-applied on every version).
 *
 * k3s's CNI directories (k3s-io/k3s, read in the stored files of the search index, not at the v1.33.5+k3s1 tag: the
 * repository is too large to fetch here):
 * - conf: pkg/daemons/agent (Bootstrap), `CNIConfDir = filepath.Join(DataDir, "agent", "etc", "cni", "net.d")`, so
 *   /var/lib/rancher/k3s/agent/etc/cni/net.d with the default data dir;
 * - bin: `CNIBinDir = filepath.Dir(hostLocal)`, host-local looked up on a PATH that cmd/k3s/main.go (stageAndRun)
 *   starts with `<data-dir>/data/cni`, the "stable CNI bin dir" extract() creates for "users ... to drop their own
 *   CNI plugin binaries": /var/lib/rancher/k3s/data/cni.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseManifest } from "../cni/canal";
import type { SiteConfig } from "../config/site";

export const MULTUS = {
  version: "v4.3.0",
  file: "multus-daemonset-thick.yml",
  sha256: "2d622f697809644a12704497bbf5c3256adc1e7f5b5504655e4993743651b585",
  /**
   * The release image: .github/workflows/image-push-release.yml at v4.3.0 tags the thick image
   * `<docker/metadata-action tag>-thick`, the git tag on a release; the manifest itself names `snapshot-thick`, the
   * moving tag of master builds (image-push-master.yml).
   */
  image: "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.3.0-thick",
  daemonSet: "kube-multus-ds",
  namespace: "kube-system",
} as const;

export const K3S_CNI_DIRS = {
  conf: "/var/lib/rancher/k3s/agent/etc/cni/net.d",
  bin: "/var/lib/rancher/k3s/data/cni",
} as const;

/** The kept customizations, as the README lists them. */
export const MULTUS_CUSTOMIZED = {
  /** hostPath of the `cni` volume: upstream /etc/cni/net.d. */
  confDir: K3S_CNI_DIRS.conf,
  /** hostPath of the `cnibin` volume, and the daemon's mount of it ("must be identical between pod and host"). */
  binDir: K3S_CNI_DIRS.bin,
  image: MULTUS.image,
} as const;

export const UPSTREAM_DIR = join(__dirname, "..", "..", "upstream");

/** Reads the vendored manifest and checks its digest; throws naming the file and both digests. */
export function loadMultusManifest(root = UPSTREAM_DIR): string {
  const path = join(root, "multus", MULTUS.version, MULTUS.file);
  const text = readFileSync(path, "utf8");
  const digest = createHash("sha256").update(text).digest("hex");
  if (digest !== MULTUS.sha256) {
    throw new Error(
      `${path} has sha256 ${digest}, not the pinned ${MULTUS.sha256}: restore the file from multus-cni ${MULTUS.version} ` +
        "(deployments/multus-daemonset-thick.yml), or pin the digest of a version you have checked",
    );
  }
  return text;
}

interface Volume {
  name: string;
  hostPath?: { path: string };
}
interface Container {
  name: string;
  image?: string;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface DaemonSet {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { volumes: Volume[]; containers: Container[]; initContainers?: Container[] } } };
}

function fail(what: string): never {
  throw new Error(`multus-cni ${MULTUS.version} ${MULTUS.file}: ${what}; the customizations in src/multus/manifest.ts need updating`);
}

/**
 * The manifest's objects for k3s: the release image, and k3s's own CNI directories where k3s's Flannel runs (k3s
 * sets CNIConfDir and CNIBinDir only in its embedded-Flannel branch; with flannel-backend none, as on Canal sites,
 * containerd keeps the standard /etc/cni/net.d and /opt/cni/bin that upstream names). Never mutates its input.
 */
export function customizeMultus(objects: readonly object[], k3sDirs: boolean): object[] {
  const out = JSON.parse(JSON.stringify(objects)) as object[];
  const ds = out.find((o) => (o as DaemonSet).kind === "DaemonSet" && (o as DaemonSet).metadata.name === MULTUS.daemonSet) as
    | DaemonSet
    | undefined;
  if (!ds) fail(`no DaemonSet ${MULTUS.daemonSet}`);
  const pod = ds.spec.template.spec;
  const volume = (name: string, upstream: string, path: string) => {
    const v = pod.volumes.find((x) => x.name === name);
    if (v?.hostPath?.path !== upstream) fail(`volume ${name} is not the hostPath ${upstream}`);
    v.hostPath.path = path;
  };
  const daemon = pod.containers.find((c) => c.name === "kube-multus") ?? fail("no container kube-multus");
  const binMount = daemon.volumeMounts?.find((m) => m.name === "cnibin") ?? fail("kube-multus does not mount cnibin");
  if (binMount.mountPath !== "/opt/cni/bin") fail(`kube-multus mounts cnibin at ${binMount.mountPath}`);
  volume("cni", "/etc/cni/net.d", k3sDirs ? MULTUS_CUSTOMIZED.confDir : "/etc/cni/net.d");
  volume("cnibin", "/opt/cni/bin", k3sDirs ? MULTUS_CUSTOMIZED.binDir : "/opt/cni/bin");
  if (k3sDirs) binMount.mountPath = MULTUS_CUSTOMIZED.binDir;
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    if (!c.image?.startsWith("ghcr.io/k8snetworkplumbingwg/multus-cni:")) fail(`container ${c.name} has image ${c.image}`);
    c.image = MULTUS_CUSTOMIZED.image;
  }
  return out;
}

/** The customized objects of the pinned manifest for a site. */
export function multusObjects(config: SiteConfig, root = UPSTREAM_DIR): object[] {
  return customizeMultus(parseManifest(loadMultusManifest(root)), config.cni.plugin === "flannel");
}
