/**
 * The pod MTU's limit, which each CNI's MTU rule checks (canal/rules.ts, cilium/rules.ts): the overlay's packets,
 * header included, must fit the network under it. Canal and Cilium tunnel with VXLAN, whose header over IPv4 takes 50 bytes (RFC 7348 section 5: outer Ethernet 14, IPv4 20, UDP 8,
 * VXLAN 8); Flannel subtracts the same 50 from its interface's MTU (flannel pkg/backend/vxlan, encapOverhead).
 */
import type { SiteConfig } from "../config/site";
import { HETZNER_PRIVATE_MTU } from "../hetzner/model";

export const VXLAN_OVERHEAD = 50; // bytes

/** The largest frame any Ethernet LAN carries: jumbo frames (the schema's upper bound). */
export const JUMBO_MTU = 9000; // bytes

/** The MTU of the network under the pods' overlay, and how a message says where that limit comes from. */
export function underlayOf(config: SiteConfig): { readonly underlay: number; readonly where: string } {
  const hetzner = config.site.kind === "hetzner";
  return {
    underlay: hetzner ? HETZNER_PRIVATE_MTU : JUMBO_MTU,
    where: hetzner
      ? `Hetzner's private network carries at most ${HETZNER_PRIVATE_MTU} bytes`
      : `no LAN carries more than ${JUMBO_MTU} bytes (jumbo frames)`,
  };
}
