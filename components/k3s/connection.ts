import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../src/config/site";

/** How the k3s bootstrap reaches a node: outputs of the node's server, so a node's command waits for it. */
export interface NodeAddress {
  /** Where SSH reaches the node (public address of a cloud server, configured address of a home host). */
  readonly sshHost: pulumi.Input<string>;
  /**
   * Addresses the operator may reach the node on besides its private ones: names for the API server's certificate.
   * @default [] - none
   */
  readonly publicAddresses?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * How many times the command provider dials a node before it gives up, and how long each dial may take (seconds).
 * Its defaults are 10 dials of 15 s with a short growing pause between them (@pulumi/command v1.2.1,
 * provider/pkg/provider/remote/connection.go: dialErrorDefault = 10, PerDialTimeout default 15, dialWithRetry over
 * the SDK's retry.Until); a new Hetzner server refuses SSH for longer than that while it boots. 60 dials bound the
 * wait to minutes, never for ever (-1 would be unlimited).
 */
export const SSH_DIAL = { dialErrorLimit: 60, perDialTimeout: 15 } as const;

/**
 * How @pulumi/command reaches a node: its SSH address, the site's key, the jump host where one is set, and the host
 * key where it is known (without one, the host key is not checked).
 */
export function connectionFor(
  node: NodeSpec,
  host: pulumi.Input<string>,
  privateKey: pulumi.Input<string>,
): command.types.input.remote.ConnectionArgs {
  const ssh = node.ssh;
  return {
    host,
    port: ssh?.port ?? 22,
    user: ssh?.user ?? "root",
    privateKey,
    ...SSH_DIAL,
    ...(ssh?.hostKey ? { hostKey: ssh.hostKey } : {}),
    ...(ssh?.jumpHost
      ? {
          proxy: {
            host: ssh.jumpHost.address,
            port: ssh.jumpHost.port,
            user: ssh.jumpHost.user,
            privateKey,
            ...SSH_DIAL,
            ...(ssh.jumpHost.hostKey ? { hostKey: ssh.jumpHost.hostKey } : {}),
          },
        }
      : {}),
  };
}
