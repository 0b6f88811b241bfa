import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../src/config/site";

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
    ...(ssh?.hostKey ? { hostKey: ssh.hostKey } : {}),
    ...(ssh?.jumpHost
      ? {
          proxy: {
            host: ssh.jumpHost.address,
            port: ssh.jumpHost.port,
            user: ssh.jumpHost.user,
            privateKey,
            ...(ssh.jumpHost.hostKey ? { hostKey: ssh.jumpHost.hostKey } : {}),
          },
        }
      : {}),
  };
}
