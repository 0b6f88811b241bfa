import type * as pulumi from "@pulumi/pulumi";
import type { Arch, Role } from "../src/config/site";

/** A node as the stack reports it. */
export interface NodeOutput {
  readonly name: string;
  readonly role: Role;
  readonly arch: Arch;
  readonly privateIp: string;
  /** Hetzner nodes: public addresses, for outbound traffic and SSH. */
  readonly publicIpv4?: string;
  readonly publicIpv6?: string;
  /** Where SSH reaches the node: its public address (cloud) or the configured address (home). */
  readonly sshAddress?: string;
}

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
