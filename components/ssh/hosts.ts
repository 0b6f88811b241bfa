import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../src/config/site";
import type { NodeOutput } from "../../src/cluster/nodes";
import type { NodeAddress } from "../k3s/connection";
import { TYPE } from "../../src/type-tokens";

export interface SshHostsArgs {
  readonly nodes: readonly NodeSpec[];
}

/** The machines of a home site: they exist already, so this creates nothing and only reports them. */
export class SshHosts extends pulumi.ComponentResource {
  readonly nodes: pulumi.Output<NodeOutput[]>;
  /** How SSH reaches each host, by node name. */
  readonly addresses: Readonly<Record<string, NodeAddress>>;

  constructor(name: string, args: SshHostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE.sshHosts, name, {}, opts);
    this.nodes = pulumi.output(
      args.nodes.map(
        (n): NodeOutput => ({
          name: n.name,
          role: n.role,
          arch: n.arch,
          privateIp: n.privateIp,
          ...(n.ssh ? { sshAddress: n.ssh.address } : {}),
        }),
      ),
    );
    this.addresses = Object.fromEntries(
      args.nodes.map((n): [string, NodeAddress] => [
        n.name,
        { sshHost: n.ssh!.address, publicAddresses: n.externalIp ? [n.externalIp] : [] },
      ]),
    );
    this.registerOutputs({ nodes: this.nodes });
  }
}
