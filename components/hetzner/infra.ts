import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { HetznerSite, NodeSpec } from "../../src/config/site";
import type { NodeOutput } from "../outputs";

export interface HetznerInfraArgs {
  /** The site's name, put on every Hetzner object as the label `k3s-sites/site`. */
  readonly siteName: string;
  readonly site: HetznerSite;
  readonly nodes: readonly NodeSpec[];
  /** The Hetzner Cloud API token (secret). */
  readonly token: pulumi.Input<string>;
}

/**
 * The Hetzner Cloud side of a site: the provider, the private network and one subnet per pool (plus the edge
 * subnet for the load balancer), all from the planned addresses.
 */
export class HetznerInfra extends pulumi.ComponentResource {
  readonly provider: hcloud.Provider;
  readonly network: hcloud.Network;
  readonly subnets: Readonly<Record<string, hcloud.NetworkSubnet>>;
  readonly nodes: pulumi.Output<NodeOutput[]>;

  constructor(name: string, args: HetznerInfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-sites:hetzner:HetznerInfra", name, {}, opts);
    const site = args.site;
    const labels = { "k3s-sites/site": args.siteName };

    this.provider = new hcloud.Provider(`${name}-provider`, { token: args.token }, { parent: this });
    const child = { parent: this, provider: this.provider };

    this.network = new hcloud.Network(
      `${name}-network`,
      { name: args.siteName, ipRange: site.network.cidr, labels, deleteProtection: site.protect },
      { ...child, protect: site.protect },
    );
    // NetworkSubnet takes the network's ID as a number; the resource's id is its string form.
    const networkId = this.network.id.apply(Number);
    const subnet = (key: string, ipRange: string) =>
      new hcloud.NetworkSubnet(
        `${name}-subnet-${key}`,
        { networkId, type: "cloud", networkZone: site.networkZone, ipRange },
        { ...child, protect: site.protect },
      );
    const subnets: Record<string, hcloud.NetworkSubnet> = { edge: subnet("edge", site.plan.edgeSubnet) };
    for (const s of site.plan.subnets) subnets[s.pool] = subnet(s.pool, s.cidr);
    this.subnets = subnets;

    this.nodes = pulumi.output(
      args.nodes.map((n): NodeOutput => ({ name: n.name, role: n.role, arch: n.arch, privateIp: n.privateIp })),
    );
    this.registerOutputs({ networkId: this.network.id, nodes: this.nodes });
  }
}
