import * as pulumi from "@pulumi/pulumi";
import type { CertificateRenewal } from "../src/cluster/certificates";
import type { ClusterMembers } from "../src/cluster/membership";
import { isHetzner, type SiteConfig } from "../src/config/site";
import { HetznerInfra, type LoadBalancerOutput } from "./hetzner/infra";
import { CNI_COMPONENTS } from "./concerns";
import { Metallb } from "./lb/metallb";
import { Multus } from "./multus/multus";
import { metallbOf } from "../src/lb/metallb/metallb";
import { CertManager } from "./edge/cert-manager";
import { NginxIngress } from "./edge/nginx";
import { K3sCluster } from "./k3s/cluster";
import { NetworkPolicies } from "./policy/network-policies";
import type { NodeOutput } from "./outputs";
import { SshHosts } from "./ssh/hosts";
import { Verify } from "./verify/verify";
import type { SiteSecrets } from "./stack-config";

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
   * What the CNI's component read before the site is built (components/concerns.ts, prepare): the pinned
   * canal.yaml or calico.yaml, its digest checked.
   * @default - none, for a CNI without a manifest
   */
  readonly cniManifest?: string;
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
    super("k3s-sites:site:Site", name, {}, opts);
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
      },
      { parent: this },
    );

    // The CNI needs the API server only: it goes in while the other servers and the agents join.
    this.cni = CNI_COMPONENTS[config.cni.plugin].install(
      name,
      {
        config,
        secrets,
        ...(args.cniManifest !== undefined ? { manifest: args.cniManifest } : {}),
        provider: this.cluster.provider,
        dependsOn: [this.cluster.joinServerCommand],
      },
      this,
    );

    // Everything else in the cluster waits for the CNI: pods cannot start without it. k3s's own Flannel comes up
    // with the first server.
    const afterCni: pulumi.Resource[] = this.cni ? [this.cni] : [this.cluster.joinServerCommand];
    const provider = this.cluster.provider;
    const metallb = metallbOf(config);
    const lb = metallb ? new Metallb(`${name}-metallb`, { metallb, isolated: config.networkPolicies.defaultDeny, provider, dependsOn: afterCni }, { parent: this }) : undefined;
    const nginx = new NginxIngress(
      `${name}-nginx`,
      {
        config,
        provider,
        ...(infra instanceof HetznerInfra ? { statusAddress: infra.loadBalancer.apply((lb) => lb.ipv4) } : {}),
        // With MetalLB, nginx's Service asks for its address once the pools exist.
        dependsOn: lb ? [...afterCni, lb] : afterCni,
      },
      { parent: this },
    );
    let certManager: CertManager | undefined;
    if (config.certificates.enabled) {
      certManager = new CertManager(
        `${name}-cert-manager`,
        { config, provider, ...(secrets.dnsSecret ? { dnsSecret: secrets.dnsSecret } : {}), dependsOn: afterCni },
        { parent: this },
      );
    }
    const policies = new NetworkPolicies(
      `${name}-policies`,
      { config, provider, dependsOn: [...afterCni, nginx, ...(certManager ? [certManager] : []), ...(lb ? [lb] : [])] },
      { parent: this },
    );
    // After the policies, which create the apps' namespaces the NetworkAttachmentDefinitions live in.
    if (config.networks.length > 0) {
      new Multus(`${name}-multus`, { config, provider, dependsOn: [...afterCni, policies] }, { parent: this });
    }

    // Last: the checks that the site works (verify: false skips them).
    new Verify(
      `${name}-verify`,
      {
        config,
        provider,
        ...(infra instanceof HetznerInfra
          ? {
              // Both: the edge check tries the IPv6 from the host network (src/verify/jobs.ts EDGE_HOST_JOB).
              loadBalancerAddresses: infra.loadBalancer.apply((lb) => [lb.ipv4, lb.ipv6]),
            }
          : {}),
        dependsOn: [...afterCni, nginx, ...(certManager ? [certManager] : []), policies, this.cluster],
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
