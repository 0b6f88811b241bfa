import * as pulumi from "@pulumi/pulumi";
import { isHetzner, type SiteConfig } from "../src/config/site";
import { HetznerInfra, type LoadBalancerOutput } from "./hetzner/infra";
import { Canal } from "./cni/canal";
import { Cilium } from "./cni/cilium";
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
  /** Canal sites: the pinned canal.yaml, read and checked before the site is built. */
  readonly canalManifest?: string;
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
  /** The CNI, first in the cluster: every other Kubernetes object of the site depends on it. */
  readonly cni: Canal | Cilium;

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
        ...(secrets.etcdS3 ? { etcdS3: secrets.etcdS3 } : {}),
      },
      { parent: this },
    );

    // The CNI needs the API server only: it goes in while the other servers and the agents join.
    const cniArgs = { config, provider: this.cluster.provider, dependsOn: [this.cluster.firstServerCommand] };
    if (config.cni.plugin === "canal") {
      if (args.canalManifest === undefined) throw new pulumi.ResourceError("a canal site needs its manifest", this, true);
      this.cni = new Canal(`${name}-canal`, { ...cniArgs, manifest: args.canalManifest }, { parent: this });
    } else {
      this.cni = new Cilium(`${name}-cilium`, cniArgs, { parent: this });
    }

    // Everything else in the cluster waits for the CNI: pods cannot start without it.
    const afterCni = [this.cni];
    const provider = this.cluster.provider;
    const nginx = new NginxIngress(
      `${name}-nginx`,
      {
        config,
        provider,
        ...(infra instanceof HetznerInfra ? { statusAddress: infra.loadBalancer.apply((lb) => lb.ipv4) } : {}),
        dependsOn: afterCni,
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
      { config, provider, dependsOn: [...afterCni, nginx, ...(certManager ? [certManager] : [])] },
      { parent: this },
    );

    // Last: the checks that the site works (verify: false skips them).
    new Verify(
      `${name}-verify`,
      {
        config,
        provider,
        ...(infra instanceof HetznerInfra
          ? {
              loadBalancerAddresses: infra.loadBalancer.apply((lb) =>
                config.k3s.ipFamilies === "dual-stack" ? [lb.ipv4, lb.ipv6] : [lb.ipv4],
              ),
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
