import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { HetznerSite } from "../../src/config/site";
import { siteLabels, siteSelector, type LoadBalancerServiceSpec } from "../../src/hetzner/model";
import { TYPE } from "../../src/type-tokens";

export interface HetznerLoadBalancerArgs {
  readonly siteName: string;
  readonly site: HetznerSite;
  /** The subnet that holds the load balancer's private address (the plan's edge subnet). */
  readonly subnet: hcloud.NetworkSubnet;
  readonly services: readonly LoadBalancerServiceSpec[];
}

/**
 * The site's load balancer: public IPv4 and IPv6, a fixed address on the private network, every server of the site
 * as a target over the private network, and one TCP service per forwarded port. Pulumi alone owns it (no cloud
 * controller adopts it), so `pulumi destroy` removes it without waiting on anyone.
 */
export class HetznerLoadBalancer extends pulumi.ComponentResource {
  readonly ipv4: pulumi.Output<string>;
  readonly ipv6: pulumi.Output<string>;
  readonly privateIp: string;

  constructor(name: string, args: HetznerLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.hetznerLoadBalancer, name, {}, opts);
    const { site } = args;
    const child = { parent: this };

    const lb = new hcloud.LoadBalancer(
      `${name}-balancer`,
      {
        name: args.siteName,
        loadBalancerType: site.loadBalancer.type,
        location: site.location,
        labels: siteLabels(args.siteName),
        algorithm: { type: "round_robin" },
      },
      child,
    );
    // LoadBalancerNetwork and LoadBalancerTarget take the ID as a number, LoadBalancerService as a string.
    const lbId = lb.id.apply(Number);
    const attachment = new hcloud.LoadBalancerNetwork(
      `${name}-network`,
      { loadBalancerId: lbId, subnetId: args.subnet.id, ip: site.plan.loadBalancerIp, enablePublicInterface: true },
      child,
    );
    // Private-IP targets only work once the load balancer is in the network.
    new hcloud.LoadBalancerTarget(
      `${name}-targets`,
      { loadBalancerId: lbId, type: "label_selector", labelSelector: siteSelector(args.siteName), usePrivateIp: true },
      { ...child, dependsOn: [attachment] },
    );
    for (const service of args.services) {
      new hcloud.LoadBalancerService(
        `${name}-service-${service.name}`,
        {
          loadBalancerId: lb.id,
          protocol: "tcp",
          listenPort: service.listenPort,
          destinationPort: service.destinationPort,
          proxyprotocol: service.proxyProtocol,
          healthCheck: { ...service.healthCheck },
        },
        // A new listen port replaces the service, and so does a rename: the old one must go first, or the new one
        // would collide with it on the same port.
        { ...child, deleteBeforeReplace: true },
      );
    }

    this.ipv4 = lb.ipv4;
    this.ipv6 = lb.ipv6;
    this.privateIp = site.plan.loadBalancerIp;
    this.registerOutputs({ ipv4: this.ipv4, ipv6: this.ipv6, privateIp: this.privateIp });
  }
}
