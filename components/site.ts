import * as pulumi from "@pulumi/pulumi";
import type { CertificateRenewal } from "../src/cluster/certificates";
import type { ClusterMembers } from "../src/cluster/membership";
import { isHetzner, type SiteConfig } from "../src/config/site";
import { HetznerInfra, type LoadBalancerOutput } from "./hetzner/infra";
import { cniOf, concernsInUse, ingressOf, type AnyConcern } from "../src/concerns/registry";
import { AppWorkloads } from "./apps/workloads";
import type { AppManifest } from "../src/apps/manifests";
import { BeforeCni } from "./ingress/before-cni";
import { componentOf, type ConcernInstallArgs } from "./concerns";
import { K3sCluster } from "./k3s/cluster";
import { NetworkPolicies } from "./policy/network-policies";
import type { NodeOutput } from "../src/cluster/nodes";
import { SshHosts } from "./ssh/hosts";
import { Verify } from "./verify/verify";
import type { SiteSecrets } from "./concerns";
import { TYPE } from "../src/type-tokens";

export interface SiteArgs {
  /** The site's name: the stack name. Labels cloud objects and names the Hetzner network. */
  readonly siteName: string;
  readonly config: SiteConfig;
  readonly secrets: SiteSecrets;
  /**
   * The cluster's roles from the previous deployment's record: which server keeps cluster-init, which one the
   * others join through.
   * @default - a first deployment's: the first server initializes the cluster
   */
  readonly members?: ClusterMembers;
  /**
   * Whether this run changes the k3s version of the deployed cluster (src/k3s/rollout.ts): the agents then roll in
   * batches after every server.
   * @default true - the safe order
   */
  readonly upgrading?: boolean;
  /**
   * Whether the site has no previous deployment: the servers then join side by side (components/k3s/cluster.ts).
   * @default false - one at a time
   */
  readonly firstInstall?: boolean;
  /**
   * A renewal of k3s's certificates this run carries out (src/cluster/certificates.ts).
   * @default - none
   */
  readonly renewal?: CertificateRenewal;
  /**
   * What the concerns' components read before the site is built (components/concerns.ts, prepare), by concern key:
   * the CNI's pinned canal.yaml or calico.yaml, its digest checked.
   * @default - none, for concerns without a manifest
   */
  readonly prepared?: Readonly<Record<string, string>>;
  /**
   * The apps' own objects (networkPolicies.apps[].manifest), read and checked before any resource.
   * @default [] - none: the program deploys no app of its own
   */
  readonly appManifests?: readonly AppManifest[];
  /**
   * Whether this run switches ingress controllers between two that hold the nodes' 80 and 443 (src/ingress/switch.ts).
   * @default false
   */
  readonly ingressWaitsForPorts?: boolean;
  /**
   * The ingress controllers this run switches between: the checks of the ingress wait for the next run.
   * @default - no switch
   */
  readonly ingressSwitch?: { readonly from: string; readonly to: string };
}

/**
 * A whole site. Infrastructure first (Hetzner network and servers, or the existing hosts); the k3s cluster, the
 * CNI, the edge and the network policies build on it in that order.
 */
export class Site extends pulumi.ComponentResource {
  readonly nodes: pulumi.Output<NodeOutput[]>;
  /** Hetzner sites: the load balancer's addresses and ports. */
  readonly loadBalancer?: pulumi.Output<LoadBalancerOutput>;
  /** Hetzner sites: the private network's ID. */
  readonly networkId?: pulumi.Output<number>;
  /** The cluster: its kubeconfig (secret) and the Kubernetes provider for everything in it. */
  readonly cluster: K3sCluster;
  /**
   * The CNI, first in the cluster: every other Kubernetes object of the site depends on it.
   * @default - none with cni.plugin flannel: k3s runs its own Flannel
   */
  readonly cni?: pulumi.ComponentResource;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.site, name, {}, opts);
    const { config, secrets } = args;
    const site = config.site;

    let infra: HetznerInfra | SshHosts;
    if (isHetzner(site)) {
      if (!secrets.hcloudToken) {
        throw new pulumi.ResourceError("a hetzner site needs the secret hcloud:token", this, true);
      }
      infra = new HetznerInfra(
        `${name}-hetzner`,
        {
          siteName: args.siteName,
          site,
          nodes: config.nodes,
          ingressProxyProtocol: config.ingress.proxyProtocol,
          token: secrets.hcloudToken,
        },
        { parent: this },
      );
    } else {
      infra = new SshHosts(`${name}-hosts`, { nodes: config.nodes }, { parent: this });
    }
    this.nodes = infra.nodes;
    if (infra instanceof HetznerInfra) {
      this.loadBalancer = infra.loadBalancer;
      this.networkId = infra.networkId;
    }

    this.cluster = new K3sCluster(
      `${name}-k3s`,
      {
        siteName: args.siteName,
        config,
        addresses: infra.addresses,
        sshPrivateKey: secrets.sshPrivateKey,
        ...(args.members ? { members: args.members } : {}),
        upgrading: args.upgrading ?? true,
        firstInstall: args.firstInstall ?? false,
        ...(args.renewal ? { renewal: args.renewal } : {}),
        ...(secrets.etcdS3 ? { etcdS3: secrets.etcdS3 } : {}),
        ...(secrets.hcloudToken ? { serverSecrets: { hcloudToken: secrets.hcloudToken } } : {}),
      },
      { parent: this },
    );

    // The CNI needs the API server only: it goes in while the other servers and the agents join.
    const provider = this.cluster.provider;
    const argsOf = (concern: AnyConcern, dependsOn: pulumi.Input<pulumi.Resource>[]): ConcernInstallArgs => ({
      config,
      secrets,
      ...(args.prepared?.[concern.key] !== undefined ? { manifest: args.prepared[concern.key] } : {}),
      provider,
      dependsOn,
      ...(infra instanceof HetznerInfra ? { loadBalancer: infra.loadBalancer } : {}),
      ...(concern.kind === "ingress" && args.ingressWaitsForPorts ? { waitsForPorts: true } : {}),
    });
    const cni = cniOf(config);
    // What the ingress needs in before the CNI starts (the Gateway API CRDs Cilium's operator looks for at start).
    const beforeCni = ingressOf(config).beforeCni(config);
    const pre = beforeCni.length > 0
      ? [new BeforeCni(`${name}-before-cni`, { objects: beforeCni, provider, dependsOn: [this.cluster.joinServerCommand] }, { parent: this })]
      : [];
    this.cni = componentOf(cni).install(name, argsOf(cni, [this.cluster.joinServerCommand, ...pre]), this);

    // Everything else in the cluster waits for the CNI: pods cannot start without it. k3s's own Flannel comes up
    // with the first server. Then the other concerns in use, in the registry's order, each after the kinds it
    // names (components/concerns.ts, after); those that live in the apps' namespaces after the policies.
    const afterCni: pulumi.Resource[] = this.cni ? [this.cni] : [this.cluster.joinServerCommand];
    const others = concernsInUse(config).filter((concern) => concern !== cni);
    const installed = new Map<AnyConcern, pulumi.ComponentResource>();
    const done = new Set<AnyConcern>();
    const ofKinds = (kinds: readonly string[]): pulumi.Resource[] =>
      others.filter((c) => kinds.includes(c.kind)).flatMap((c) => installed.get(c) ?? []);
    const install = (concern: AnyConcern, extra: pulumi.Resource[]): void => {
      if (done.has(concern)) return;
      done.add(concern);
      const component = componentOf(concern);
      for (const first of others.filter((c) => component.after.includes(c.kind))) install(first, extra);
      const resource = component.install(name, argsOf(concern, [...afterCni, ...extra, ...ofKinds(component.after)]), this);
      if (resource) installed.set(concern, resource);
    };
    const early = others.filter((concern) => !componentOf(concern).afterPolicies);
    for (const concern of early) install(concern, []);
    const before = early.flatMap((c) => installed.get(c) ?? []);
    const awaited = early.filter((c) => componentOf(c).awaited).flatMap((c) => installed.get(c) ?? []);

    const policies = new NetworkPolicies(`${name}-policies`, { config, provider, dependsOn: [...afterCni, ...before] }, { parent: this });
    for (const concern of others) install(concern, [policies]);

    // The apps' own objects, once their namespaces, policies and claims are in (the storage concerns: the claims wait
    // for the driver). Nothing else: an app's pods wait for what else they need, and the site's checks never wait
    // for an app.
    const apps = config.networkPolicies.apps.filter((a) => a.manifest !== undefined || a.secrets.length > 0);
    if (apps.length > 0) {
      const storage = others.filter((c) => c.kind === "storage").flatMap((c) => installed.get(c) ?? []);
      new AppWorkloads(`${name}-apps`, { apps, manifests: args.appManifests ?? [], provider, dependsOn: [policies, ...storage] }, { parent: this });
    }

    // Last: the checks that the site works (verify: false skips them).
    new Verify(
      `${name}-verify`,
      {
        config,
        provider,
        ...(infra instanceof HetznerInfra
          ? {
              // Both: the edge check tries the IPv6 from the host network (src/verify/names.ts EDGE_HOST_JOB).
              loadBalancerAddresses: infra.loadBalancer.apply((lb) => [lb.ipv4, lb.ipv6]),
            }
          : {}),
        ...(args.ingressSwitch ? { ingressSwitch: args.ingressSwitch } : {}),
        dependsOn: [...afterCni, ...awaited, policies, this.cluster],
      },
      { parent: this },
    );

    this.registerOutputs({
      nodes: this.nodes,
      loadBalancer: this.loadBalancer,
      networkId: this.networkId,
      kubeconfig: this.cluster.kubeconfig,
    });
  }
}
