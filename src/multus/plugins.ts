/**
 * The CNI plugins a site's Multus networks run, and the ones the program installs because k3s does not bundle them.
 * Every plugin type a NetworkAttachmentDefinition names (the config's `type`, its `ipam.type`, and those of a
 * conflist's `plugins`) is either bundled by k3s in the site's CNI bin dir or unpacked there by the node script
 * (src/k3s/node.sh) from the pinned containernetworking/plugins release, checked against its sha256 first.
 *
 * What k3s bundles (k3s-io/k3s, read in the stored files of the search index, not at the v1.33.5+k3s1 tag: the
 * repository is too large to fetch here): scripts/build builds the multicall binary `bin/cni` from rancher/plugins at
 * VERSION_CNIPLUGINS, scripts/package-cli (commit 0c6b584f) links `bandwidth bridge firewall flannel host-local
 * loopback portmap` to it, and the multicall main_linux.go of rancher/plugins registers exactly those seven at every
 * k3s tag from v1.6.0-k3s1 (85623c8c) to v1.9.1-k3s1 (413c9c21). No macvlan, no static.
 *
 * That list applies to k3s's own bin dir, used where k3s's Flannel runs (src/multus/manifest.ts). Where it is off
 * (Canal, Calico) the bin dir is /opt/cni/bin, filled by the CNI's installer; the program does not rely on what that
 * installer copies and installs every type the networks name there.
 */
import type { Arch, SiteConfig } from "../config/site";
import { cniBinDir, K3S_CNI_DIRS } from "./manifest";
import { cniConfig } from "./networks";

/** The plugins k3s's multicall `cni` binary answers to, each a symlink in its bin dir. */
export const K3S_BUNDLED_CNI_PLUGINS = ["bandwidth", "bridge", "firewall", "flannel", "host-local", "loopback", "portmap"] as const;

/**
 * The pinned release of containernetworking/plugins (tag v1.9.1, commit adc3e6b5b581638afbd194cf2e9319ecbb0151a1).
 * .github/workflows/release.yaml at that tag builds every plugin directory with build_linux.sh (plugins/meta/*,
 * plugins/main/* but windows, plugins/ipam/*) and packs bin/ as `tar cfzpv cni-plugins-linux-<goarch>-<tag>.tgz .`,
 * so the members are `./<plugin>`. The sha256 of each archive: kubernetes-sigs/kubespray v2.31.0 (commit
 * 1c9add48975060f45396b34d8e022c30d7f80dab), roles/kubespray_defaults/vars/main/checksums.yml, cni_binary_checksums,
 * which kubespray checks its own downloads of the same URL against (defaults/main/download.yml, cni_download_url).
 */
export const CNI_PLUGINS_RELEASE = {
  version: "v1.9.1",
  sha256: {
    amd64: "b98f74a0f8522f0a83867178729c1aa70f2158f90c45a2ca8fa791db1c76b303",
    arm64: "56171987d3947707c3563db2f4001bccaf50fd63468611b9f3cbecb1375ee7ec",
  } satisfies Record<Arch, string>,
  /** The archive's plugins: the directories under plugins/meta, plugins/main (but windows) and plugins/ipam. */
  plugins: [
    ...["bandwidth", "firewall", "portmap", "sbr", "tuning", "vrf"],
    ...["bridge", "dummy", "host-device", "ipvlan", "loopback", "macvlan", "ptp", "tap", "vlan"],
    ...["dhcp", "host-local", "static"],
  ],
} as const;

export function cniPluginsUrl(arch: Arch, version: string = CNI_PLUGINS_RELEASE.version): string {
  return `https://github.com/containernetworking/plugins/releases/download/${version}/cni-plugins-linux-${arch}-${version}.tgz`;
}

/** Every plugin type a CNI config (or conflist) runs: its type, its IPAM's, and those of its chained plugins. */
export function pluginTypesOf(conf: Record<string, unknown>): string[] {
  const types = new Set<string>();
  const visit = (c: Record<string, unknown>) => {
    if (typeof c.type === "string") types.add(c.type);
    const ipam = c.ipam as Record<string, unknown> | undefined;
    if (ipam && typeof ipam.type === "string") types.add(ipam.type);
    if (Array.isArray(c.plugins)) for (const p of c.plugins) visit(p as Record<string, unknown>);
  };
  visit(conf);
  return [...types];
}

/** The plugin types the site's networks run, sorted. */
export function networkPluginTypes(config: SiteConfig): string[] {
  return [...new Set(config.networks.flatMap((n) => pluginTypesOf(cniConfig(n))))].sort();
}

/** The plugins the site's nodes find in their bin dir without the program: k3s's, where k3s's Flannel runs. */
export function bundledPlugins(config: SiteConfig): readonly string[] {
  return cniBinDir(config) === K3S_CNI_DIRS.bin ? K3S_BUNDLED_CNI_PLUGINS : [];
}

/** The plugins the node script installs: every type the networks run that the bin dir does not already hold. */
export function pluginsToInstall(config: SiteConfig): string[] {
  return missingPlugins(networkPluginTypes(config), bundledPlugins(config));
}

/** Of `types`, those not `bundled`; throws for one the pinned release does not hold either. */
export function missingPlugins(types: readonly string[], bundled: readonly string[]): string[] {
  const missing = types.filter((t) => !bundled.includes(t));
  const unknown = missing.filter((t) => !(CNI_PLUGINS_RELEASE.plugins as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new Error(
      `the networks run CNI plugin types ${unknown.join(", ")}, which neither k3s nor containernetworking/plugins ` +
        `${CNI_PLUGINS_RELEASE.version} provides: src/multus/plugins.ts needs a way to install them`,
    );
  }
  return missing;
}

/** The node script's header entries for the plugins, none when there is nothing to install. */
export function cniPluginValues(config: SiteConfig, arch: Arch): [string, string][] {
  const plugins = pluginsToInstall(config);
  if (plugins.length === 0) return [];
  return [
    ["CNI_PLUGINS", plugins.join(" ")],
    ["CNI_PLUGINS_URL", cniPluginsUrl(arch)],
    ["CNI_PLUGINS_SHA256", CNI_PLUGINS_RELEASE.sha256[arch]],
    ["CNI_BIN_DIR", cniBinDir(config)],
  ];
}
