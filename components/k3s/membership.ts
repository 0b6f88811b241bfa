/**
 * The commands that follow a node's bootstrap, children of K3sCluster: its membership, whose delete takes it out of
 * the cluster, and a renewal of its certificates in a run that renews. Split from cluster.ts for size; the order of
 * the nodes is K3sCluster's.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { CertificateRenewal } from "../../src/cluster/certificates";
import { helperOf, type ClusterMembers } from "../../src/cluster/membership";
import type { NodeSpec, SiteConfig } from "../../src/config/site";
import type { NodeDeployment } from "../../src/k3s/config";
import { leaveScript, remoteCommand, renewScript } from "../../src/k3s/script";
import { connectionFor, type NodeAddress } from "./connection";

/** What both kinds of command need of the cluster: its nodes in K3sCluster's order and how to reach them. */
export interface NodeCommandsArgs {
  readonly config: SiteConfig;
  readonly members: ClusterMembers;
  readonly addressOf: (node: NodeSpec) => NodeAddress;
  readonly privateKey: pulumi.Output<string>;
  /** Each node's last step of this run (its bootstrap, or its uncordon), by node name. */
  readonly lastSteps: Readonly<Record<string, pulumi.Resource>>;
  /** The servers after the join server, in the membership's order. */
  readonly otherServers: readonly NodeSpec[];
  readonly agents: readonly NodeSpec[];
}

/**
 * Each node's membership command, by node name. Pulumi deletes a resource only after every resource that depends on
 * it, so: servers leave one at a time (each removal depends on the previous server's, so the later one goes first),
 * and every removal that runs on the join server depends on the join server's own removal, which runs on another
 * member: the join server leaves last, once nothing needs it (a scale-down that removes it with other nodes, or a
 * destroy).
 */
export function membershipCommands(
  parent: pulumi.Resource,
  name: string,
  args: NodeCommandsArgs,
): Record<string, command.remote.Command> {
  const { config, members, lastSteps } = args;
  const memberships: Record<string, command.remote.Command> = {};
  const membership = (node: NodeSpec, dependsOn: pulumi.Resource[]) => {
    const helper = helperOf(config, members, node);
    memberships[node.name] = new command.remote.Command(
      `${name}-membership-${node.name}`,
      {
        connection: connectionFor(helper, args.addressOf(helper).sshHost, args.privateKey),
        delete: remoteCommand(leaveScript(node), helper.ssh?.user ?? "root", helper.name),
        logging: "stderr",
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [lastSteps[node.name]!, ...dependsOn] },
    );
    return memberships[node.name]!;
  };
  const joinMembership = membership(members.joinServer, []);
  let previousServer = [joinMembership];
  for (const server of args.otherServers) previousServer = [membership(server, previousServer)];
  for (const agent of args.agents) membership(agent, [joinMembership]);
  return memberships;
}

/**
 * Each node's renewal command, by node name. A renewal runs each node's script once more, after every node's
 * bootstrap of this run, with RENEW set: a server rotates its certificates with k3s stopped, an agent restarts
 * (src/cluster/certificates.ts). The servers go one at a time from the join server, so that one etcd member at most
 * is down, then the agents in batches. Stopping k3s leaves the pods running (install.sh writes the unit with
 * KillMode=process), so nothing is drained.
 */
export function renewalCommands(
  parent: pulumi.Resource,
  name: string,
  args: NodeCommandsArgs & {
    readonly renewal: CertificateRenewal;
    readonly deployments: Readonly<Record<string, pulumi.Output<NodeDeployment>>>;
    readonly serverStdin: pulumi.Output<string>;
    readonly agentStdin: pulumi.Output<string>;
  },
): Record<string, command.remote.Command> {
  const { config, renewal, deployments } = args;
  const renewals: Record<string, command.remote.Command> = {};
  const renew = (node: NodeSpec, dependsOn: pulumi.Resource[]) => {
    const script = deployments[node.name]!.apply((d) =>
      remoteCommand(renewScript(config, d, renewal.expires), node.ssh?.user ?? "root", node.name),
    );
    renewals[node.name] = new command.remote.Command(
      `${name}-renew-${node.name}`,
      {
        connection: connectionFor(node, args.addressOf(node).sshHost, args.privateKey),
        create: script,
        stdin: node.role === "server" ? args.serverStdin : args.agentStdin,
        logging: "stderr",
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn, additionalSecretOutputs: ["stdin"] },
    );
    return renewals[node.name]!;
  };
  let after: pulumi.Resource[] = [renew(args.members.joinServer, Object.values(args.lastSteps))];
  for (const server of args.otherServers) after = [renew(server, after)];
  const batch = config.k3s.upgrade.agentsAtOnce;
  for (let i = 0; i < args.agents.length; i += batch) {
    after = args.agents.slice(i, i + batch).map((agent) => renew(agent, after));
  }
  return renewals;
}
