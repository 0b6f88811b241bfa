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
 *   CNI plugin binaries": /var/lib/rancher/k3s/data/cni. extract() (cmd/k3s/main.go, stored at commit 5b791c13)
 *   fills it with absolute symlinks to the multicall binary `<data-dir>/data/<hash>/bin/cni`, one per plugin k3s
 *   bundles, and never removes other files there.
 *
 * How Multus thick finds a delegate (multus-cni v4.3.0): pkg/multus/multus.go searches `[netconf binDir] + CNI_PATH of
 * the daemon's own environment`, binDir defaulting to /opt/cni/bin (pkg/types/conf.go, defaultBinDir) and set by
 * the daemon-config.json key `binDir` (pkg/server/server.go, overrideCNIConfigWithServerConfig copies every key into
 * the CNI config); the lookup is invoke.FindInPath (vendored containernetworking/cni v1.3.0 pkg/invoke/find.go),
 * an os.Stat inside the daemon's container that follows symlinks and wants a regular file, and only the execution
 * is chrooted to the host (pkg/server/exec_chroot.go, chrootDir /hostroot). So on a Flannel site the daemon needs
 * binDir set to k3s's directory and the symlinks' targets under /var/lib/rancher/k3s/data visible at the same path.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cniOf } from "../concerns/registry";
import type { SiteConfig } from "../config/site";
import { ofKind, parseManifest, type KubernetesObject } from "../kubernetes/object";
import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet" with { "resolution-mode": "import" };
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };

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
  /** Where the bin dir's symlinks point: `<data-dir>/data/<hash>/bin/cni`. */
  data: "/var/lib/rancher/k3s/data",
} as const;

/** Upstream's CNI bin dir, Multus's default binDir, and containerd's where k3s's Flannel is off. */
export const STANDARD_CNI_BIN_DIR = "/opt/cni/bin";

/** The CNI bin dir of a site's nodes: where containerd and Multus look for plugins. */
export function cniBinDir(config: SiteConfig): string {
  return cniOf(config).k3s.runByK3s ? K3S_CNI_DIRS.bin : STANDARD_CNI_BIN_DIR;
}

/** The kept customizations, as docs/cni.md lists them. */
export const MULTUS_CUSTOMIZED = {
  /** hostPath of the `cni` volume: upstream /etc/cni/net.d. */
  confDir: K3S_CNI_DIRS.conf,
  /**
   * hostPath of the `cnibin` volume, the daemon's mount of it ("must be identical between pod and host"), and the
   * `binDir` of daemon-config.json.
   */
  binDir: K3S_CNI_DIRS.bin,
  /** A read-only volume `k3s-data` of that hostPath, mounted at the same path in kube-multus. */
  dataDir: K3S_CNI_DIRS.data,
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

function fail(what: string): never {
  throw new Error(`multus-cni ${MULTUS.version} ${MULTUS.file}: ${what}; the customizations in src/multus/manifest.ts need updating`);
}

/**
 * The manifest's objects for k3s: the release image, and k3s's own CNI directories where k3s's Flannel runs (k3s
 * sets CNIConfDir and CNIBinDir only in its embedded-Flannel branch; with flannel-backend none, as on Canal sites,
 * containerd keeps the standard /etc/cni/net.d and /opt/cni/bin that upstream names): the volumes, the daemon's
 * binDir, and k3s's data directory under the bin dir's symlinks. Never mutates its input.
 */
export function customizeMultus(objects: readonly KubernetesObject[], k3sDirs: boolean): KubernetesObject[] {
  const out = structuredClone([...objects]);
  const ds = ofKind<IDaemonSet>(out.find((o) => o.kind === "DaemonSet" && o.metadata.name === MULTUS.daemonSet), "DaemonSet");
  const pod = ds?.spec?.template.spec ?? fail(`no DaemonSet ${MULTUS.daemonSet}`);
  const volumes = (pod.volumes ??= []);
  const volume = (name: string, upstream: string, path: string) => {
    const v = volumes.find((x) => x.name === name);
    if (v?.hostPath?.path !== upstream) fail(`volume ${name} is not the hostPath ${upstream}`);
    v.hostPath.path = path;
  };
  const daemon = pod.containers.find((c) => c.name === "kube-multus") ?? fail("no container kube-multus");
  const binMount = daemon.volumeMounts?.find((m) => m.name === "cnibin") ?? fail("kube-multus does not mount cnibin");
  if (binMount.mountPath !== "/opt/cni/bin") fail(`kube-multus mounts cnibin at ${binMount.mountPath}`);
  volume("cni", "/etc/cni/net.d", k3sDirs ? MULTUS_CUSTOMIZED.confDir : "/etc/cni/net.d");
  volume("cnibin", "/opt/cni/bin", k3sDirs ? MULTUS_CUSTOMIZED.binDir : "/opt/cni/bin");
  if (k3sDirs) {
    binMount.mountPath = MULTUS_CUSTOMIZED.binDir;
    if (volumes.some((v) => v.name === "k3s-data")) fail("a volume k3s-data already exists");
    volumes.push({ name: "k3s-data", hostPath: { path: MULTUS_CUSTOMIZED.dataDir, type: "Directory" } });
    daemon.volumeMounts!.push({ name: "k3s-data", mountPath: MULTUS_CUSTOMIZED.dataDir, readOnly: true });
    const cm = ofKind<IConfigMap>(out.find((o) => o.kind === "ConfigMap" && o.metadata.name === "multus-daemon-config"), "ConfigMap");
    const data = cm?.data ?? {};
    const text = data["daemon-config.json"] ?? fail("no ConfigMap multus-daemon-config with daemon-config.json");
    const daemonConfig = JSON.parse(text) as Record<string, unknown>;
    if ("binDir" in daemonConfig) fail(`daemon-config.json already sets binDir ${String(daemonConfig.binDir)}`);
    data["daemon-config.json"] = `${JSON.stringify({ ...daemonConfig, binDir: MULTUS_CUSTOMIZED.binDir }, null, 4)}\n`;
  }
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    if (!c.image?.startsWith("ghcr.io/k8snetworkplumbingwg/multus-cni:")) fail(`container ${c.name} has image ${c.image}`);
    c.image = MULTUS_CUSTOMIZED.image;
  }
  return out;
}

/** The customized objects of the pinned manifest for a site. */
export function multusObjects(config: SiteConfig, root = UPSTREAM_DIR): KubernetesObject[] {
  return customizeMultus(parseManifest(loadMultusManifest(root)), cniOf(config).k3s.runByK3s);
}
