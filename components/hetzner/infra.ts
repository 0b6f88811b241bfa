import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { HetznerSite, NodeSpec } from "../../src/config/site";
import {
  firewallLabels,
  firewallRules,
  HCLOUD_POLL,
  loadBalancerServices,
  placementGroups,
  serverLabels,
  serverName,
  siteLabels,
  siteSelector,
  sshKeyOf,
  type LoadBalancerServiceSpec,
} from "../../src/hetzner/model";
import { hetznerWarnings } from "../../src/hetzner/limits";
import { chooseSshKey } from "../../src/hetzner/ssh-key";
import { EDGE_SUBNET_KEY } from "../../src/net/plan";
import type { NodeOutput } from "../../src/cluster/nodes";
import type { NodeAddress } from "../k3s/connection";
import { HetznerLoadBalancer } from "./load-balancer";
import { TYPE } from "../../src/type-tokens";

export interface HetznerInfraArgs {
  /** The site's name: labels every Hetzner object (`k3s-sites/site`) and prefixes server names. */
  readonly siteName: string;
  readonly site: HetznerSite;
  readonly nodes: readonly NodeSpec[];
  /** Whether the ingress expects the PROXY protocol on 80/443. */
  readonly ingressProxyProtocol: boolean;
  /** The Hetzner Cloud API token (secret). */
  readonly token: pulumi.Input<string>;
}

export interface LoadBalancerOutput {
  readonly ipv4: string;
  readonly ipv6: string;
  readonly privateIp: string;
  readonly ports: readonly Pick<LoadBalancerServiceSpec, "name" | "listenPort" | "destinationPort" | "proxyProtocol">[];
}

/**
 * A cloud site on Hetzner: private network and subnets from the address plan, a firewall applied by label that
 * lets in only SSH and the Kubernetes API from the operators, spread placement groups, the servers, and the load
 * balancer. Servers are created with their network, placement group and SSH key in one call each.
 */
export class HetznerInfra extends pulumi.ComponentResource {
  readonly provider: hcloud.Provider;
  readonly network: hcloud.Network;
  readonly networkId: pulumi.Output<number>;
  readonly servers: Readonly<Record<string, hcloud.Server>>;
  readonly nodes: pulumi.Output<NodeOutput[]>;
  /** How SSH reaches each server (public IPv4, or IPv6 without one), by node name. */
  readonly addresses: Readonly<Record<string, NodeAddress>>;
  readonly loadBalancer: pulumi.Output<LoadBalancerOutput>;

  constructor(name: string, args: HetznerInfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.hetznerInfra, name, {}, opts);
    const { site, siteName } = args;
    const labels = siteLabels(siteName);
    for (const warning of hetznerWarnings({ site })) pulumi.log.warn(warning, this);

    this.provider = new hcloud.Provider(`${name}-provider`, { token: args.token, ...HCLOUD_POLL }, { parent: this });
    const child = { parent: this, provider: this.provider };

    this.network = new hcloud.Network(
      `${name}-network`,
      { name: siteName, ipRange: site.network.cidr, labels, deleteProtection: site.protect },
      { ...child, protect: site.protect },
    );
    // hcloud takes network IDs as numbers; the resource's id is its string form.
    const networkId = this.network.id.apply(Number);
    this.networkId = networkId;
    const subnet = (key: string, ipRange: string) =>
      new hcloud.NetworkSubnet(
        `${name}-subnet-${key}`,
        { networkId, type: "cloud", networkZone: site.networkZone, ipRange },
        { ...child, protect: site.protect },
      );
    const edgeSubnet = subnet(EDGE_SUBNET_KEY, site.plan.edgeSubnet);
    const subnets = new Map(site.plan.subnets.map((s) => [s.pool, subnet(s.pool, s.cidr)]));
    // Servers without public IPv4 reach the internet only through this route: their bootstrap (the k3s installer,
    // images) would fail if it ran first.
    const route =
      site.network.natGateway === undefined
        ? undefined
        : new hcloud.NetworkRoute(
            `${name}-route-default`,
            { networkId, destination: "0.0.0.0/0", gateway: site.network.natGateway },
            child,
          );

    // Hetzner refuses a second key with the same fingerprint: a key already in the project (another site's, or one
    // uploaded by hand) is used by its ID and never managed here; the site's own key, found again on later runs by
    // its labels, stays a resource of this stack.
    const projectKeys = hcloud.getSshKeysOutput({}, { parent: this, provider: this.provider });
    const sshKeyId: pulumi.Output<string> = projectKeys.sshKeys.apply((keys) => {
      const choice = chooseSshKey(keys, siteName, site.sshPublicKey);
      if (choice.kind === "use-existing") {
        pulumi.log.info(`site.sshPublicKey is already in the Hetzner project as key ${choice.name}: using it, not uploading`, this);
        return pulumi.output(String(choice.id));
      }
      const key = new hcloud.SshKey(
        `${name}-ssh-key`,
        { ...sshKeyOf(siteName, site.sshPublicKey), labels },
        child,
      );
      return key.id;
    });
    // Applied by label: Hetzner applies it to each server that carries the label as the server is created, and
    // servers wait for it to exist.
    const firewall = new hcloud.Firewall(
      `${name}-firewall`,
      {
        name: siteName,
        labels: firewallLabels(siteName, site),
        rules: firewallRules(site).map((r) => ({ ...r, sourceIps: [...r.sourceIps] })),
        applyTos: [{ labelSelector: siteSelector(siteName) }],
      },
      child,
    );

    const servers: Record<string, hcloud.Server> = {};
    for (const [key, members] of placementGroups(args.nodes)) {
      const group = new hcloud.PlacementGroup(
        `${name}-placement-${key}`,
        { name: `${siteName}-${key}`, type: "spread", labels },
        child,
      );
      for (const node of members) {
        servers[node.name] = this.server(name, args, node, {
          sshKeyId,
          placementGroupId: group.id.apply(Number),
          subnet: subnets.get(node.hetzner!.pool)!,
          waitFor: route ? [firewall, route] : [firewall],
        });
      }
    }
    this.servers = servers;

    this.nodes = pulumi.all(
      args.nodes.map((n) => {
        const server = servers[n.name]!;
        return pulumi.all([server.ipv4Address, server.ipv6Address]).apply(
          ([ipv4, ipv6]): NodeOutput => ({
            name: n.name,
            role: n.role,
            arch: n.arch,
            privateIp: n.privateIp,
            ...(ipv4 ? { publicIpv4: ipv4 } : {}),
            ...(ipv6 ? { publicIpv6: ipv6 } : {}),
            sshAddress: site.publicIpv4 ? ipv4 : ipv6,
          }),
        );
      }),
    );

    this.addresses = Object.fromEntries(
      args.nodes.map((n): [string, NodeAddress] => {
        const server = servers[n.name]!;
        return [
          n.name,
          {
            sshHost: site.publicIpv4 ? server.ipv4Address : server.ipv6Address,
            publicAddresses: site.publicIpv4 ? [server.ipv4Address, server.ipv6Address] : [server.ipv6Address],
          },
        ];
      }),
    );

    const services = loadBalancerServices(site, args.ingressProxyProtocol);
    const lb = new HetznerLoadBalancer(
      `${name}-lb`,
      { siteName, site, subnet: edgeSubnet, services },
      { parent: this, providers: { hcloud: this.provider } },
    );
    this.loadBalancer = pulumi.all([lb.ipv4, lb.ipv6]).apply(([ipv4, ipv6]) => ({
      ipv4,
      ipv6,
      privateIp: lb.privateIp,
      ports: services.map(({ name: n, listenPort, destinationPort, proxyProtocol }) => ({
        name: n,
        listenPort,
        destinationPort,
        proxyProtocol,
      })),
    }));

    this.registerOutputs({ networkId: this.network.id, nodes: this.nodes, loadBalancer: this.loadBalancer });
  }

  private server(
    name: string,
    args: HetznerInfraArgs,
    node: NodeSpec,
    deps: {
      /** The ID of the site's Hetzner SSH key: its own, or the project's key with the same fingerprint. */
      sshKeyId: pulumi.Output<string>;
      placementGroupId: pulumi.Output<number>;
      subnet: hcloud.NetworkSubnet;
      /** The firewall (so it exists when the server appears), and the default route when there is one. */
      waitFor: pulumi.Resource[];
    },
  ): hcloud.Server {
    const { site, siteName } = args;
    const h = node.hetzner!;
    // Control-plane servers hold etcd: protected by default, in Pulumi and at Hetzner (which wants delete and
    // rebuild protection equal).
    const protect = site.protect && node.role === "server";
    return new hcloud.Server(
      `${name}-server-${node.name}`,
      {
        name: serverName(siteName, node),
        serverType: h.serverType,
        image: h.image,
        location: site.location,
        labels: serverLabels(siteName, node),
        sshKeys: [deps.sshKeyId],
        placementGroupId: deps.placementGroupId,
        // aliasIps: [] as the provider's docs advise, or it detaches and reattaches the network on every update.
        networks: [{ subnetId: deps.subnet.id, ip: node.privateIp, aliasIps: [] }],
        publicNets: [{ ipv4Enabled: site.publicIpv4, ipv6Enabled: true }],
        deleteProtection: protect,
        rebuildProtection: protect,
      },
      {
        parent: this,
        provider: this.provider,
        protect,
        dependsOn: deps.waitFor,
        // Each of these would replace the server (its disk and etcd member) on a config edit: a new image or key
        // applies to new servers only.
        ignoreChanges: ["image", "sshKeys", "userData"],
      },
    );
  }
}
