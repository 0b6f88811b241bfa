import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { CertificateRenewal } from "../../src/cluster/certificates";
import { clusterMembersOf, joinTargetOf, type ClusterMembers } from "../../src/cluster/membership";
import type { NodeSpec, SiteConfig } from "../../src/config/site";
import type { NodeDeployment } from "../../src/k3s/config";
import { caHashFrom, drainScript, nodeScript, nodeStdin, remoteCommand } from "../../src/k3s/script";
import { nodeCommandName } from "../../src/k3s/names";
import { publicKeyOfPrivateKey } from "../../src/k3s/ssh-key";
import { clusterAccess } from "./access";
import { connectionFor, type NodeAddress } from "./connection";
import { membershipCommands, renewalCommands } from "./membership";
import { TYPE } from "../../src/type-tokens";
import { SECRETS, type SecretName } from "../../src/config/secrets";
import { serverSecretFilesOf } from "../../src/concerns/registry";

export interface K3sClusterArgs {
  readonly siteName: string;
  readonly config: SiteConfig;
  /** How to reach each node, by node name. Outputs of the servers, so that a node's command waits for its server. */
  readonly addresses: Readonly<Record<string, NodeAddress>>;
  /** The SSH private key (secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /**
   * S3 credentials for etcd snapshot uploads (secrets), when k3s.etcdSnapshots.s3 is set.
   * @default - no uploads
   */
  readonly etcdS3?: { readonly accessKey: pulumi.Input<string>; readonly secretKey: pulumi.Input<string> };
  /**
   * The stack secrets the servers keep as files (serverSecretFilesOf in src/concerns/registry.ts), by name.
   * @default {} - none, for a site whose concerns keep none
   */
  readonly serverSecrets?: Readonly<Partial<Record<SecretName, pulumi.Input<string>>>>;
  /**
   * The cluster's roles, from the previous deployment's record (src/cluster/membership.ts).
   * @default - a first deployment's: the first server initializes the cluster and the others join it
   */
  readonly members?: ClusterMembers;
  /**
   * Whether this run changes the k3s version of the deployed cluster (src/k3s/rollout.ts). Agents then follow every
   * server, k3s.upgrade.agentsAtOnce at a time; otherwise (the first install, any other change) every agent waits
   * only for the join server.
   * @default true - the upgrade order, which is safe for every run
   */
  readonly upgrading?: boolean;
  /**
   * Whether the cluster does not exist yet (no previous deployment). The other servers then join in parallel once
   * the first is up: k3s retries an etcd join while another member is still a learner (k3s-io/k3s pkg/etcd/etcd.go,
   * ETCD.Start: join under wait.PollUntilContextCancel, retried on rpctypes.ErrTooManyLearners; k3s-io/k3s#7000,
   * since v1.26). On a live cluster servers keep going one at a time, so that a change which restarts k3s never
   * stops more than one etcd member.
   * @default false - one at a time
   */
  readonly firstInstall?: boolean;
  /**
   * A renewal of k3s's certificates this run carries out (src/cluster/certificates.ts, renewalDue): after its
   * bootstrap, each server rotates its certificates, one at a time from the join server, then the agents restart,
   * k3s.upgrade.agentsAtOnce at a time; the kubeconfig is read again after the join server's rotation. In a run
   * that upgrades k3s, the renewal follows the upgrade (a restart renews only what is near its expiry).
   * @default - no renewal
   */
  readonly renewal?: CertificateRenewal;
}

/**
 * k3s on every node of a site, over SSH. The server that initialized the cluster keeps `cluster-init` for as long as
 * it is in the site (src/cluster/membership.ts); every other node joins through the join server, a member of the
 * previous deployment. The join server goes first; the other servers follow one at a time (embedded etcd adds one learner at a time, and an upgrade must not take two servers down at once); the
 * agents follow every server (a kubelet must never be newer than an API server it talks to), k3s.upgrade.agentsAtOnce
 * of them in parallel. The order is Pulumi's, so it holds for a first install and an upgrade alike, and no node
 * script needs to ask the cluster anything: since Kubernetes 1.32 the Node authorizer lets a kubelet list only its
 * own Node (kubernetes plugin/pkg/auth/authorizer/node/node_authorizer.go, authorizeNode behind
 * AuthorizeNodeWithSelectors; pkg/features/kube_features.go: beta and on by default from 1.32, GA in 1.34), so
 * an agent cannot see whether the servers are upgraded. The cost on a first install is that agents start after
 * the last server has joined rather than after the first; the servers join one at a time either way, and the
 * agents of a batch join in parallel. A changed config or version re-runs a node's script in place; nothing
 * here ever uninstalls k3s or replaces a node.
 *
 * Each node also has a membership command that does nothing when it is created or updated; its `delete` drains the
 * node and deletes its Node (k3s then removes a server's etcd member) from another server, so it runs only when
 * the node leaves the site, and before the node's machine is deleted (it depends on the node's command, which
 * depends on the machine; Pulumi deletes dependents first). @pulumi/command 1.2.1 runs nothing on create or update
 * without `create` and `update`, and runs `delete` with the inputs of the last deployment
 * (provider/pkg/provider/remote/commandController.go: Create, Update, Delete).
 */
export class K3sCluster extends pulumi.ComponentResource {
  /** The kubeconfig for the operator (secret), pointing at k3s.apiHost or the join server's address. */
  readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider for everything the site runs in the cluster. */
  readonly provider: k8s.Provider;
  /** The bootstrap command of each node, by node name. */
  readonly nodeCommands: Readonly<Record<string, command.remote.Command>>;
  /** The join server's bootstrap command: once it is done, the API server answers. */
  readonly joinServerCommand: command.remote.Command;
  /** The membership command of each node, by node name: its delete takes the node out of the cluster. */
  readonly memberships: Readonly<Record<string, command.remote.Command>>;
  /**
   * The certificate-renewal command of each node, by node name, in a run that renews (K3sClusterArgs.renewal).
   * Each runs once, when created, and goes from the program (and the state) with the next run.
   */
  readonly renewals: Readonly<Record<string, command.remote.Command>>;
  /**
   * When the client certificate of the kubeconfig expires (ISO 8601); undefined when it cannot be read. Known only
   * once every node's steps and renewals of this run have succeeded: see `k3sVersion`.
   */
  readonly kubeconfigExpires: pulumi.Output<string | undefined>;
  /**
   * The k3s version every node now runs: k3s.version, known only once every node's steps of this run (drain,
   * bootstrap, uncordon) have succeeded. When an update fails, Pulumi saves the stack outputs that had resolved, so
   * a run that fails on any node keeps the previous deployment's version, and the next run rolls the upgrade out
   * again in the upgrade order instead of taking the cluster for upgraded.
   */
  readonly k3sVersion: pulumi.Output<string>;

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.k3sCluster, name, {}, opts);
    const { config } = args;
    const members = args.members ?? clusterMembersOf(config, undefined);
    const join = members.joinServer;

    // Generated once and kept in the stack's state. The server token is cluster admin; agents get their own
    // (k3s agent-token), which lets a node join as an agent and nothing more. Every server sets agent-token, and
    // each server start writes it as the password of the "node" user (k3s-io/k3s pkg/daemons/control/deps/deps.go:
    // genUsers, getNodePass), so on a cluster that had none the servers take it over one by one, and the agents,
    // which run after every server, switch to it only then.
    const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
    const agentToken = new random.RandomPassword(`${name}-agent-token`, { length: 48, special: false }, { parent: this });
    const secretToken = pulumi.secret(token.result);
    const secretAgentToken = pulumi.secret(agentToken.result);
    const privateKey = pulumi.secret(args.sshPrivateKey);
    // The public half is no secret; the node script keeps it in authorized_keys while the site's key changes.
    const connectKey = pulumi.unsecret(pulumi.output(args.sshPrivateKey).apply((k) => publicKeyOfPrivateKey(k) ?? ""));

    const addressOf = (node: NodeSpec): NodeAddress => {
      const address = args.addresses[node.name];
      if (!address) throw new pulumi.ResourceError(`no SSH address for node ${node.name}`, this, true);
      return address;
    };
    const joinAddress = addressOf(join);

    const s3 = config.k3s.datastore === "etcd" && config.k3s.etcdSnapshots.s3 ? args.etcdS3 : undefined;
    if (config.k3s.etcdSnapshots.s3 && !s3) {
      const keys = "k3s-sites:etcdS3AccessKey and k3s-sites:etcdS3SecretKey";
      throw new pulumi.ResourceError(`k3s.etcdSnapshots.s3 needs the secrets ${keys}`, this, true);
    }
    const fileValues = serverSecretFilesOf(config).map((file) => {
      const value = args.serverSecrets?.[file.secret];
      if (value === undefined) {
        throw new pulumi.ResourceError(`the servers keep ${file.path} from the secret ${SECRETS[file.secret].key}, which is not set`, this, true);
      }
      return pulumi.output(value);
    });
    const serverStdin = pulumi.secret(
      pulumi
        .all([
          secretToken,
          secretAgentToken,
          s3 ? pulumi.output(s3.accessKey) : undefined,
          s3 ? pulumi.output(s3.secretKey) : undefined,
          pulumi.all(fileValues),
        ])
        .apply(([token, agentToken, accessKey, secretKey, files]) =>
          nodeStdin({ token, agentToken, ...(accessKey && secretKey ? { etcdS3: { accessKey, secretKey } } : {}), files }),
        ),
    );
    const agentStdin = pulumi.secret(secretAgentToken.apply((token) => nodeStdin({ token })));

    const commands: Record<string, command.remote.Command> = {};
    let joinCommand: command.remote.Command | undefined;
    const joinConnection = connectionFor(join, joinAddress.sshHost, privateKey);
    const joinUser = join.ssh?.user ?? "root";
    const drain = config.k3s.upgrade.drain;
    const deployments: Record<string, pulumi.Output<NodeDeployment>> = {};
    // Every command of every node's steps: what the outputs that record a finished run wait for.
    const allSteps: command.remote.Command[] = [];

    /** A node's bootstrap, between its drain and its uncordon when k3s.upgrade.drain is on. Returns the last step. */
    const nodeSteps = (node: NodeSpec, after: pulumi.Resource[]): pulumi.Resource => {
      const address = addressOf(node);
      // Until the join server has reported its CA (a preview of the first deployment), joins use the bare token. The
      // join server itself, when it is not the init server, joins through another member with the bare token: it
      // is a member already, so k3s never uses it (see src/cluster/membership.ts).
      const caHash = joinCommand ? joinCommand.stdout.apply((out) => caHashFrom(out)) : pulumi.output(undefined);
      const joinServer = joinTargetOf(config, members, node);
      const deployment: pulumi.Output<NodeDeployment> = pulumi
        .all([pulumi.output(address.publicAddresses ?? []), pulumi.output(address.sshHost), caHash, connectKey])
        .apply(([publicAddresses, sshHost, caHash, connectKey]) => ({
          node,
          ...(joinServer ? { joinServer } : {}),
          tlsSans: node.role === "server" ? serverSans(node, publicAddresses, sshHost) : [],
          ...(caHash ? { caHash } : {}),
          ...(connectKey ? { connectKey } : {}),
        }));
      deployments[node.name] = deployment;
      const script = deployment.apply((d) => remoteCommand(nodeScript(config, d), node.ssh?.user ?? "root", node.name));
      // The join server drains itself: before its first install there is no node to drain, and the step says so.
      const onJoin = (step: string, action: "drain" | "uncordon", dependsOn: pulumi.Resource[]) => {
        const kubectl = this.kubectlStep(`${name}-${step}-${node.name}`, joinConnection, joinUser, join.name, {
          script: drainScript(config, node, action),
          dependsOn,
        });
        allSteps.push(kubectl);
        return kubectl;
      };
      const drainStep = drain ? onJoin("drain", "drain", after) : undefined;
      commands[node.name] = new command.remote.Command(
        nodeCommandName(name, node.name),
        {
          connection: connectionFor(node, address.sshHost, privateKey),
          create: script,
          // The same script on every change: it converges the node in place. No delete: removing a node from the
          // config never uninstalls k3s or wipes its data.
          update: script,
          // The tokens and other secrets travel on stdin, never in the command line or the logs.
          stdin: node.role === "server" ? serverStdin : agentStdin,
          logging: "stderr",
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: drainStep ? [drainStep] : after, additionalSecretOutputs: ["stdin"] },
      );
      const nodeCommand = commands[node.name]!;
      allSteps.push(nodeCommand);
      if (!drain) return nodeCommand;
      return onJoin("uncordon", "uncordon", [nodeCommand]);
    };

    // The join server first, then the other servers in the membership's order: those that were members, then new ones.
    const lastSteps: Record<string, pulumi.Resource> = {};
    let previous: pulumi.Resource = nodeSteps(join, []);
    lastSteps[join.name] = previous;
    joinCommand = commands[join.name]!;
    this.joinServerCommand = joinCommand;
    const servers = new Map(config.nodes.filter((n) => n.role === "server").map((n) => [n.name, n]));
    const otherServers = members.record.servers.filter((s) => s !== join.name).map((s) => servers.get(s)!);
    const joined = previous;
    for (const server of otherServers) {
      const step = nodeSteps(server, [args.firstInstall ? joined : previous]);
      lastSteps[server.name] = step;
      previous = step;
    }
    const agents = config.nodes.filter((n) => n.role === "agent");
    // An upgrade: agents in batches after the last server, at most agentsAtOnce restarting (or draining) at a time.
    // Any other run (the first install included) has one version everywhere: every agent waits for the join server
    // only, and they all join in parallel.
    const batch = args.upgrading ?? true ? config.k3s.upgrade.agentsAtOnce : Math.max(agents.length, 1);
    let batchAfter: pulumi.Resource[] = [args.upgrading ?? true ? previous : lastSteps[join.name]!];
    for (let i = 0; i < agents.length; i += batch) {
      batchAfter = agents.slice(i, i + batch).map((agent) => {
        lastSteps[agent.name] = nodeSteps(agent, batchAfter);
        return lastSteps[agent.name]!;
      });
    }
    this.nodeCommands = commands;

    const commandArgs = { config, members, addressOf, privateKey, lastSteps, otherServers, agents };
    this.memberships = membershipCommands(this, name, commandArgs);
    this.renewals = args.renewal
      ? renewalCommands(this, name, { ...commandArgs, renewal: args.renewal, deployments, serverStdin, agentStdin })
      : {};
    const renewals = this.renewals;
    const joinRenewal = renewals[join.name];

    // Both records of what this run did resolve only after every step of every node, renewals included: a run that
    // fails anywhere keeps the previous deployment's, so that the next run upgrades or renews what is left.
    const finished = pulumi.all([...allSteps, ...Object.values(renewals)].map((c) => c.stdout)).apply(() => true);
    this.k3sVersion = finished.apply(() => config.k3s.version);
    const access = clusterAccess(this, name, {
      config,
      siteName: args.siteName,
      latest: joinRenewal ?? joinCommand,
      joinConnection,
      joinUser,
      joinAddress,
      finished,
    });
    this.kubeconfig = access.kubeconfig;
    this.kubeconfigExpires = access.kubeconfigExpires;
    this.provider = access.provider;

    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }

  /** A script run on the join server with the admin kubeconfig, re-run when the script changes. */
  private kubectlStep(
    name: string,
    connection: command.types.input.remote.ConnectionArgs,
    user: string,
    host: string,
    { script, dependsOn }: { readonly script: string; readonly dependsOn: pulumi.Resource[] },
  ): command.remote.Command {
    const line = remoteCommand(script, user, host);
    return new command.remote.Command(
      name,
      { connection, create: line, update: line, logging: "stderr", addPreviousOutputInEnv: false },
      { parent: this, dependsOn },
    );
  }
}

/** The names of a server's API certificate besides its private addresses: where the operator and program reach it. */
function serverSans(node: NodeSpec, publicAddresses: readonly string[], sshHost: string): string[] {
  const names = publicAddresses.filter((a) => a !== "");
  // A home server is reached on its SSH address, which may be a LAN name rather than its privateIp.
  if (node.ssh && sshHost !== "" && sshHost !== node.privateIp) names.push(sshHost);
  return names;
}
