import type { Arch, Role } from "../config/site";

/** A node as the stack reports it (the stack output `nodes`), which the plan's summary reads back. */
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
