/**
 * The contract of a concern: a part of the site the user chooses and configures (a CNI; next a load balancer, an
 * ingress, storage). Everything the rest of the program needs to know about it is here, so adding one is a folder
 * that exports one of these and a line in the registries (src/concerns/registry.ts, components/concerns.ts); no
 * other code names it. docs/architecture.md walks through Canal as the worked example.
 *
 * Plain data and functions of SiteConfig only: the component that installs a concern is registered on the
 * components side (components/concerns.ts), so src/ stays free of Pulumi.
 */
import type { z } from "zod";
import type { Problem } from "../config/problems";
import type { NodeSpec, SiteConfig } from "../config/site";
import type { KubernetesSupport } from "../k3s/kubernetes-support";

/** A rule: the problems of a site, each with its key, the value and the fix. */
export type Rule = (config: SiteConfig) => Problem[];

/** A version the concern installs, and the Kubernetes minors each release line of it supports. */
export interface Pin {
  /** How messages name it: `Calico (Canal)`. */
  readonly name: string;
  /** The version the site installs, pinned or chosen. */
  version(config: SiteConfig): string;
  /** The config key that chose the version, when the user did; undefined for the pin. */
  key(config: SiteConfig): string | undefined;
  /** By release line (`<major>.<minor>`), as the vendor states it (src/k3s/kubernetes-support.ts cites each). */
  readonly support: Readonly<Record<string, KubernetesSupport>>;
}

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
}

/**
 * The CNIs' settings fixed at creation, recorded in the stack outputs and compared on every later run
 * (src/cluster/guards.ts); null on a site whose CNI has none of them. One record for all CNIs, since it is the
 * shape of a stack output that older deployments hold.
 */
export interface CniFixedSettings {
  /**
   * Calico sites: the IP pools' block sizes, which the IPPool CRD refuses to change (calico.yaml of v3.32.1,
   * IPPool spec.blockSize x-kubernetes-validations `self == oldSelf`, "Block size cannot be changed").
   */
  readonly calicoBlockSize: number | null;
  readonly calicoBlockSizeV6: number | null;
  /**
   * Sites on k3s's Flannel: its backend. k3s (read in the stored files of the search index at commit 9977f0e6, not
   * at the v1.33.5+k3s1 tag) lists `flannel-backend` among the CriticalControlArgs (pkg/daemons/config/types.go)
   * that a server compares with the cluster's (pkg/cluster/bootstrap.go: "critical configuration value mismatch
   * between servers"), and each agent writes its net-conf.json with the backend at every start
   * (pkg/agent/flannel/setup.go, createFlannelConf): a change reaches the nodes one restart at a time.
   */
  readonly flannelBackend: string | null;
}

/** None of the CNIs' fixed settings: what a CNI's own fixedSettings overrides. */
export const NO_CNI_FIXED_SETTINGS: CniFixedSettings = { calicoBlockSize: null, calicoBlockSizeV6: null, flannelBackend: null };

/**
 * What the system NetworkPolicies must know of it (src/policy/system.ts). A hook for the policies code to read
 * instead of naming the concern; today that code still derives it itself.
 */
export interface PolicyNeeds {
  /**
   * Whether a node reaches pods on other nodes from an address of the pod range (a tunnel device's), so that the
   * policies admitting the nodes must admit k3s.clusterCidr too.
   */
  nodeTrafficFromPodRange(config: SiteConfig): boolean;
}

/**
 * A concern. `Name` is its value of the selecting key (cni.plugin: canal), `Fragment` its part of the stack config
 * schema, under `key`. Every member is required: a concern that leaves one out does not compile; an empty list says
 * so on purpose, with its reason beside it.
 */
export interface Concern<Name extends string, Fragment extends z.ZodType> {
  readonly name: Name;
  /** Where the fragment lives in the stack config, e.g. `cni.canal`. */
  readonly key: string;
  readonly fragment: Fragment;
  /** Whether the site uses it. */
  uses(config: SiteConfig): boolean;
  /** Its rules. They run on every site (a rule may refuse its settings on a site that does not use it). */
  readonly rules: readonly Rule[];
  /** The versions it installs, with the Kubernetes minors each supports; rules-versions.ts checks k3s.version. */
  pins(config: SiteConfig): readonly Pin[];
  readonly k3s: K3sContribution;
  /** Its settings fixed at creation, when it has any. */
  fixedSettings(config: SiteConfig): Partial<CniFixedSettings>;
  /** Whether it hands out addresses to LoadBalancer Services on this site (LB-IPAM), so nginx asks it for one. */
  loadBalancerAddresses(config: SiteConfig): boolean;
  readonly policies: PolicyNeeds;
}

/** k3s's own CNI off, for a CNI the site installs: its Flannel and its network policy controller would fight it. */
export const K3S_OWN_CNI_OFF: Readonly<Record<string, unknown>> = { "flannel-backend": "none", "disable-network-policy": true };

/** The k3s contribution of a CNI installed on top of k3s that changes nothing else. */
export const INSTALLED_CNI_K3S: K3sContribution = {
  server: () => K3S_OWN_CNI_OFF,
  node: () => ({}),
  replacesKubeProxy: () => false,
  runByK3s: false,
};

/** The k3s contribution of a concern that changes nothing in k3s's config. */
export const NO_K3S_FLAGS: K3sContribution = {
  server: () => ({}),
  node: () => ({}),
  replacesKubeProxy: () => false,
  runByK3s: false,
};
