/**
 * The contract of a concern: a part of the site the user chooses and configures. Every kind has the same shape: a
 * CNI (cni.plugin), an ingress controller (ingress.controller), a load balancer (MetalLB), network attachments
 * (Multus), certificates (cert-manager), storage. Everything the rest of the program needs to know about one is
 * here, so adding one is a folder that exports one of these and a line in the registries (src/concerns/registry.ts,
 * components/concerns.ts); no other code names it. docs/architecture.md walks through Canal as the worked example.
 *
 * Plain data and functions of SiteConfig only: the component that installs a concern is registered on the
 * components side (components/concerns.ts), so src/ stays free of Pulumi. A concern's own files never import the
 * registry: the registry imports them.
 */
import type { z } from "zod";
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import type { KubernetesSupport } from "../k3s/kubernetes-support";
import type { IngressEdge } from "../ingress/edge";
import type { NetworkPolicy, PolicyPeer } from "../policy/objects";
import type { K3sContribution } from "./k3s";

export { INSTALLED_CNI_K3S, K3S_OWN_CNI_OFF, NO_K3S_FLAGS, type K3sContribution, type ServerSecretFile } from "./k3s";

/**
 * The kinds of concern, in the order the program installs and lists them. `cni`: exactly one, by cni.plugin;
 * `ingress`: exactly one, by ingress.controller; the others: each used or not on its own (uses(config)).
 */
export const CONCERN_KINDS = ["cni", "ingress", "certificates", "loadBalancer", "networkAttachments", "storage"] as const;
export type ConcernKind = (typeof CONCERN_KINDS)[number];

/**
 * The concerns of a site as a rule sees them (src/config/rules.ts hands them over), so that a rule asks another
 * concern's traits and never names it.
 */
export interface SiteConcerns {
  /** The site's CNI. */
  readonly cni: Concern<string, z.ZodType>;
  /** Every registered CNI, in the order of cni.plugin's values: for a fix that names the alternatives. */
  readonly cnis: readonly Concern<string, z.ZodType>[];
}

/** A rule: the problems of a site, each with its key, the value and the fix. */
export type Rule = (config: SiteConfig, concerns: SiteConcerns) => Problem[];

/**
 * Facts about a concern that other concerns' rules and the checks (src/verify) ask, so that none of them names it.
 * Most concerns have none: NO_TRAITS.
 */
export interface Traits {
  /**
   * Whether it hands out LoadBalancer addresses of its own whatever its settings (LB-IPAM), so that a second address
   * manager would hand out the same Services' addresses; with what the user should use instead.
   */
  ownLoadBalancerIpam: { readonly name: string; readonly instead: string } | undefined;
  /**
   * Whether it peers over BGP from every node, so that another BGP speaker there would fight its sessions; `name` as
   * messages say it, `announce` how it announces Service addresses itself, `section` its config section.
   */
  bgpFromNodes(config: SiteConfig): { readonly name: string; readonly announce: string; readonly section: string } | undefined;
  /** Why it removes other CNIs' configs from the nodes (so Multus's is gone), when it does. */
  removesOtherCniConfigs: string | undefined;
  /**
   * Whether its NetworkPolicy ipBlocks match node addresses on this site. `setting`: the reason the checks cite
   * (src/verify/paths.ts UPSTREAM), when that is a setting of its own rather than always so.
   */
  ipBlocksMatchNodes(config: SiteConfig): boolean;
  readonly nodeMatchingSetting: string | undefined;
  /** Why a node's probe of a LoadBalancer address cannot show its announcement truthfully here, when it cannot. */
  announcementProbeSkip(config: SiteConfig): string | undefined;
  /**
   * How the node that answers ARP and NDP for a LoadBalancer address it hands out is found, for the edge check's
   * announcement probe; or why the probe cannot be truthful (it announces over BGP, or not at all); undefined for a
   * concern that hands out no such address. `service`: the Service, `namespace/name`.
   */
  lanAnnouncer(config: SiteConfig, service: string): LanAnnouncer | { readonly skip: string } | undefined;
  /**
   * The LoadBalancer address pools it hands out from and that only the cluster's ranges constrain, each with its
   * config path: src/config/rules-ranges.ts keeps them clear of the pods, services and other pools, and inside the
   * node network only where they hold no node's address. [] for none, or for pools its own rules check.
   */
  addressPools(config: SiteConfig): readonly { readonly path: string; readonly text: string }[];
}

/** Where the checks read which node announces a LoadBalancer address on the LAN (Traits.lanAnnouncer). */
export interface LanAnnouncer {
  /** The address pool entry the Service's address comes from (a CIDR, a first-last range or an address). */
  readonly addressEntry: string;
  /** The API path to GET, and a jq filter of its answer that prints the node's name ($ns and $name: the Service's). */
  readonly path: string;
  readonly filter: string;
  /** The object read, as the check's message names it. */
  readonly where: string;
  /** The one RBAC rule the check needs to read it, in `namespace`. */
  readonly read: {
    readonly namespace: string;
    readonly rule: { readonly apiGroups: string[]; readonly resources: string[]; readonly resourceNames?: string[]; readonly verbs: string[] };
  };
  /** What to check when no node is elected to announce the address. */
  readonly noAnnouncerFix: string;
  /** The config key of the interfaces it announces on. */
  readonly interfacesKey: string;
}

/** The traits of a concern other concerns need not know anything of. */
export const NO_TRAITS: Traits = {
  ownLoadBalancerIpam: undefined,
  bgpFromNodes: () => undefined,
  removesOtherCniConfigs: undefined,
  ipBlocksMatchNodes: () => true,
  nodeMatchingSetting: undefined,
  announcementProbeSkip: () => undefined,
  lanAnnouncer: () => undefined,
  addressPools: () => [],
};

/** A version pinned in the code, for the check of upstream support windows (src/versions/support.ts). */
export interface CodePin {
  /** Its key in the support windows' table, SUPPORT of src/versions/support.ts (which reports a key it lacks). */
  readonly component: string;
  readonly version: string;
  /** The constant that pins it, and its file, for the message. */
  readonly where: string;
}

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

/** What the policy code (src/policy/network-policies.ts) hands every concern's hooks: the site's peers. */
export interface PolicyContext {
  /** Every server's private IP: where the API server listens (6443) and calls webhooks from. */
  readonly apiServer: readonly PolicyPeer[];
  /**
   * Where the API server's calls to a webhook pod come from: the servers, and k3s.clusterCidr where the CNI carries
   * a node's traffic to other nodes' pods from an address of the pod range (nodeTrafficFromPodRange).
   */
  readonly webhookCallers: readonly PolicyPeer[];
  /**
   * The ingress controller's pods, as a peer in any namespace, and their plain HTTP port; undefined for a controller
   * without pods of its own (Cilium's Envoy runs in the agents, and its policies are its own).
   */
  readonly ingress?: { readonly peer: PolicyPeer; readonly httpPort: number; readonly controller: string };
  /** Whether the ingress controller sits behind a LoadBalancer Service on this site (loadBalancerAddresses). */
  readonly ingressLoadBalancerService: boolean;
}

/**
 * What the site's NetworkPolicies need of it (src/policy/network-policies.ts reads these hooks; it names no concern).
 * The policies run only with networkPolicies.defaultDeny, except where a hook says otherwise.
 */
export interface PolicyNeeds {
  /**
   * Whether a node reaches pods on other nodes from an address of the pod range (a tunnel device's), so that the
   * policies admitting the nodes must admit k3s.clusterCidr too. Only the CNI's answer is read.
   */
  nodeTrafficFromPodRange(config: SiteConfig): boolean;
  /** Its namespaces that get default-deny and DNS like an app's (its managed namespaces), in order. */
  namespaces(config: SiteConfig): readonly string[];
  /** Its own system policies, after its namespaces' baseline. */
  system(config: SiteConfig, context: PolicyContext): NetworkPolicy[];
  /** What it needs in every app namespace, after that namespace's baseline (cert-manager: its HTTP-01 solvers). */
  inAppNamespace(config: SiteConfig, namespace: string, context: PolicyContext): NetworkPolicy[];
}

/** The policy hooks of a concern that needs none: nothing of its own runs in a managed namespace. */
export const NO_POLICIES: Omit<PolicyNeeds, "nodeTrafficFromPodRange"> = {
  namespaces: () => [],
  system: () => [],
  inAppNamespace: () => [],
};

/**
 * A concern. `Name` is its value of the selecting key (cni.plugin: canal), `Fragment` its part of the stack config
 * schema, under `key`. Every member is required: a concern that leaves one out does not compile; an empty list says
 * so on purpose, with its reason beside it.
 */
export interface Concern<Name extends string, Fragment extends z.ZodType> {
  readonly kind: ConcernKind;
  readonly name: Name;
  /** How people call it, for the plan's summary and diagram: "Canal (Calico policy, Flannel VXLAN)". */
  readonly title: string;
  /** Where the fragment lives in the stack config, e.g. `cni.canal`. */
  readonly key: string;
  readonly fragment: Fragment;
  /** Whether the site uses it. */
  uses(config: SiteConfig): boolean;
  /** Its rules. They run on every site (a rule may refuse its settings on a site that does not use it). */
  readonly rules: readonly Rule[];
  /** The versions it installs, with the Kubernetes minors each supports; rules-versions.ts checks k3s.version. */
  pins(config: SiteConfig): readonly Pin[];
  /** The versions its code pins, whether a site uses it or not, for src/versions/support.ts. */
  readonly codePins: readonly CodePin[];
  readonly k3s: K3sContribution;
  /** Its settings fixed at creation, when it has any. */
  fixedSettings(config: SiteConfig): Partial<CniFixedSettings>;
  /** Whether it hands out addresses to LoadBalancer Services on this site (LB-IPAM), so the ingress asks for one. */
  loadBalancerAddresses(config: SiteConfig): boolean;
  readonly policies: PolicyNeeds;
  readonly traits: Traits;
}

/** An ingress controller: a concern, and where its pods are for the policies of the others (PolicyContext). */
export interface IngressController<Name extends string, Fragment extends z.ZodType> extends Concern<Name, Fragment> {
  /** Its own pods; undefined for a controller that runs inside another component (Cilium's, in the agents). */
  readonly pods:
    | {
        readonly namespace: string;
        /** Its pods, as a peer from any namespace. */
        readonly peer: PolicyPeer;
        /** The plain HTTP port in its pods. */
        readonly httpPort: number;
      }
    | undefined;
  /** What the site's checks, the switch between controllers and cert-manager read of it (src/ingress/edge.ts). */
  readonly edge: IngressEdge;
  /** What it adds to the CNI's chart values (Cilium's ingress and Gateway API); {} for a controller of its own. */
  cniValues(config: SiteConfig): Readonly<Record<string, unknown>>;
  /** Objects the CNI needs before it starts (the Gateway API CRDs Cilium's operator looks for); [] for none. */
  beforeCni(config: SiteConfig): readonly Readonly<Record<string, unknown>>[];
  /** cert-manager's HTTP-01 solver through it, and what cert-manager's ControllerConfiguration needs for it. */
  readonly certManager: {
    http01(config: SiteConfig): Readonly<Record<string, unknown>>;
    config(config: SiteConfig): Readonly<Record<string, unknown>> | undefined;
  };
}

/**
 * A storage driver: a concern that gives the site its default StorageClass (storage.driver). What the claims, the
 * storage check and the destroy note read of it (src/storage/), so that no code there names a driver.
 */
export interface StorageDriverConcern<Name extends string, Fragment extends z.ZodType> extends Concern<Name, Fragment> {
  readonly driver: {
    /** Why it cannot run on this kind of site (e.g. Hetzner's driver on an ssh site), or undefined when it can. */
    unavailableOn(kind: SiteConfig["site"]["kind"]): string | undefined;
    /** The class the declared claims are written with (a claim's class never changes, so it is written out). */
    defaultClass(storage: SiteConfig["storage"]): string;
    /** The storage check's claim: a class whose volume goes with its claim, and the size to ask for. */
    checkClaim(storage: SiteConfig["storage"]): { readonly className: string; readonly size: string };
    /** One sentence for the stack output: where the volumes' data stays after pulumi destroy, and how to list it. */
    leftOnDestroy(storage: SiteConfig["storage"], siteName: string): string;
    /**
     * The warning when a running site's storage.driver moves away from it to `to`: what happens to the volumes it
     * made. `claimsNow` says what claims without a class get from now on.
     */
    switchedAway(to: string, claimsNow: string): string;
  };
}
