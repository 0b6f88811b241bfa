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
