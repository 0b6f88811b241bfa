import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { apiUrl, rewriteKubeconfig } from "../../src/cluster/kubeconfig";
import type { NodeSpec, SiteConfig } from "../../src/config/site";
import { firstServerOf, K3S_PATHS, type NodeDeployment } from "../../src/k3s/config";
import { nodeScript, nodeStdin, remoteCommand } from "../../src/k3s/script";
import type { NodeAddress } from "../outputs";
import { connectionFor } from "./connection";

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
}

/**
 * k3s on every node of a site, over SSH: the first server initializes the cluster, the other servers join one at a
 * time (embedded etcd adds one learner at a time), and all agents join in parallel once the first server is up. A
 * changed config or version re-runs a node's script in place; nothing here ever uninstalls k3s or replaces a node.
 */
export class K3sCluster extends pulumi.ComponentResource {
  /** The kubeconfig for the operator (secret), pointing at the API endpoint they reach. */
  readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider for everything the site runs in the cluster. */
  readonly provider: k8s.Provider;
  /** The bootstrap command of each node, by node name. */
  readonly nodeCommands: Readonly<Record<string, command.remote.Command>>;
  /** The first server's bootstrap command: once it is done, the API server answers. */
  readonly firstServerCommand: command.remote.Command;

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-sites:k3s:K3sCluster", name, {}, opts);
    const { config } = args;
    const first = firstServerOf(config);

    // Generated once and kept in the stack's state; every node joins with it.
    const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
    const secretToken = pulumi.secret(token.result);
    const privateKey = pulumi.secret(args.sshPrivateKey);

    const addressOf = (node: NodeSpec): NodeAddress => {
      const address = args.addresses[node.name];
      if (!address) throw new pulumi.ResourceError(`no SSH address for node ${node.name}`, this, true);
      return address;
    };
    const firstAddress = addressOf(first);

    const s3 = config.k3s.datastore === "etcd" && config.k3s.etcdSnapshots.s3 ? args.etcdS3 : undefined;
    if (config.k3s.etcdSnapshots.s3 && !s3) {
      const keys = "k3s-sites:etcdS3AccessKey and k3s-sites:etcdS3SecretKey";
      throw new pulumi.ResourceError(`k3s.etcdSnapshots.s3 needs the secrets ${keys}`, this, true);
    }
    const serverStdin = pulumi.secret(
      pulumi
        .all([secretToken, s3 ? pulumi.output(s3.accessKey) : undefined, s3 ? pulumi.output(s3.secretKey) : undefined])
        .apply(([token, accessKey, secretKey]) =>
          nodeStdin({ token, ...(accessKey && secretKey ? { etcdS3: { accessKey, secretKey } } : {}) }),
        ),
    );
    const agentStdin = pulumi.secret(secretToken.apply((token) => nodeStdin({ token })));

    const commands: Record<string, command.remote.Command> = {};
    const nodeCommand = (node: NodeSpec, dependsOn: pulumi.Resource[]) => {
      const address = addressOf(node);
      const deployment: pulumi.Output<NodeDeployment> = pulumi
        .output(address.publicAddresses ?? [])
        .apply((publicAddresses) => ({
          node,
          firstServer: first,
          tlsSans: node.role === "server" ? publicAddresses.filter((a) => a !== "") : [],
        }));
      const script = deployment.apply((d) => remoteCommand(nodeScript(config, d), node.ssh?.user ?? "root"));
      commands[node.name] = new command.remote.Command(
        `${name}-node-${node.name}`,
        {
          connection: connectionFor(node, address.sshHost, privateKey),
          create: script,
          // The same script on every change: it converges the node in place. No delete: removing a node from the
          // config never uninstalls k3s or wipes its data.
          update: script,
          // The token and other secrets travel on stdin, never in the command line or the logs.
          stdin: node.role === "server" ? serverStdin : agentStdin,
          logging: "stderr",
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn, additionalSecretOutputs: ["stdin"] },
      );
      return commands[node.name]!;
    };

    let previous = nodeCommand(first, []);
    const firstCommand = previous;
    this.firstServerCommand = firstCommand;
    for (const server of config.nodes.filter((n) => n.role === "server" && n !== first)) {
      previous = nodeCommand(server, [previous]);
    }
    for (const agent of config.nodes.filter((n) => n.role === "agent")) nodeCommand(agent, [firstCommand]);
    this.nodeCommands = commands;

    // Read once, after the first server is up: k3s keeps the admin credentials stable.
    const read = new command.remote.Command(
      `${name}-kubeconfig`,
      {
        connection: connectionFor(first, firstAddress.sshHost, privateKey),
        create: `${first.ssh && first.ssh.user !== "root" ? "sudo -n " : ""}cat ${K3S_PATHS.kubeconfig}`,
        logging: "none",
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: [firstCommand], additionalSecretOutputs: ["stdout"] },
    );
    const endpoint = pulumi
      .all([pulumi.output(firstAddress.sshHost), pulumi.output(firstAddress.publicAddresses ?? [])])
      .apply(([sshHost, publicAddresses]) => apiUrl(config.k3s.apiHost ?? publicAddresses[0] ?? sshHost));
    this.kubeconfig = pulumi.secret(
      pulumi.all([read.stdout, endpoint]).apply(([text, url]) => rewriteKubeconfig(text, url, args.siteName)),
    );

    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        kubeconfig: this.kubeconfig,
        // A refreshed kubeconfig (new endpoint, rotated certificate) updates the provider instead of replacing it,
        // which would replace every Kubernetes object of the site.
        clusterIdentifier: `k3s-sites/${args.siteName}`,
        // A destroyed cluster must not block `pulumi destroy` of the objects that were in it.
        deleteUnreachable: true,
      },
      { parent: this },
    );

    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
