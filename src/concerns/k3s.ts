/**
 * What a concern contributes to k3s on the nodes: flags in k3s's config.yaml, and the stack secrets the servers keep
 * as files for its pods. Part of the concern contract (./contract.ts), which re-exports it.
 */
import type { SecretName } from "../config/secrets";
import type { NodeSpec, SiteConfig } from "../config/site";

/** What the concern sets in k3s's config.yaml (src/k3s/config.ts), when the site uses it. */
export interface K3sContribution {
  /** Server flags: e.g. the Flannel backend, or Flannel and the network policy controller off. */
  server(config: SiteConfig): Readonly<Record<string, unknown>>;
  /** Flags of every node, agents included. */
  node(config: SiteConfig, node: NodeSpec): Readonly<Record<string, unknown>>;
  /** Whether it replaces kube-proxy, so that k3s runs with disable-kube-proxy. */
  replacesKubeProxy(config: SiteConfig): boolean;
  /**
   * Whether k3s runs it itself (its Flannel): the CNI plugins and configs are then in k3s's own directories, where
   * Multus must find them (src/multus/manifest.ts).
   */
  runByK3s: boolean;
  /**
   * Stack secrets the servers keep as root-only files for its pods, which mount them from the host instead of
   * reading a Secret through the API (src/k3s/secret-files.ts); [] for none.
   */
  serverSecretFiles(config: SiteConfig): readonly ServerSecretFile[];
}

/** A stack secret written on every server as a root-only file, under SERVER_SECRETS_DIR (src/k3s/secret-files.ts). */
export interface ServerSecretFile {
  /** Which secret (src/config/secrets.ts). */
  readonly secret: SecretName;
  /** Where, under SERVER_SECRETS_DIR: `<folder>/<file>`; the folder is one concern's, mounted by its pods alone. */
  readonly path: string;
}

/** k3s's own CNI off, for a CNI the site installs: its Flannel and its network policy controller would fight it. */
export const K3S_OWN_CNI_OFF: Readonly<Record<string, unknown>> = { "flannel-backend": "none", "disable-network-policy": true };

/** The k3s contribution of a CNI installed on top of k3s that changes nothing else. */
export const INSTALLED_CNI_K3S: K3sContribution = {
  server: () => K3S_OWN_CNI_OFF,
  node: () => ({}),
  replacesKubeProxy: () => false,
  runByK3s: false,
  serverSecretFiles: () => [],
};

/** The k3s contribution of a concern that changes nothing in k3s's config. */
export const NO_K3S_FLAGS: K3sContribution = {
  server: () => ({}),
  node: () => ({}),
  replacesKubeProxy: () => false,
  runByK3s: false,
  serverSecretFiles: () => [],
};
