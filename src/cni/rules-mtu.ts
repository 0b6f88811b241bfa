/**
 * Rules for the pod MTU: the overlay's packets, header included, must fit the network under it. Both CNIs here
 * tunnel with VXLAN, whose header over IPv4 takes 50 bytes (RFC 7348 section 5: outer Ethernet 14, IPv4 20, UDP 8,
 * VXLAN 8); Flannel subtracts the same 50 from its interface's MTU (flannel pkg/backend/vxlan, encapOverhead).
 */
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import { HETZNER_PRIVATE_MTU } from "../hetzner/model";

export const VXLAN_OVERHEAD = 50; // bytes

/** The largest frame any Ethernet LAN carries: jumbo frames (the schema's upper bound). */
export const JUMBO_MTU = 9000; // bytes

export function checkMtu(config: SiteConfig): Problem[] {
  const hetzner = config.site.kind === "hetzner";
  const underlay = hetzner ? HETZNER_PRIVATE_MTU : JUMBO_MTU;
  const where = hetzner
    ? `Hetzner's private network carries at most ${HETZNER_PRIVATE_MTU} bytes`
    : `no LAN carries more than ${JUMBO_MTU} bytes (jumbo frames)`;
  const problems: Problem[] = [];
  const { canal, cilium } = config.cni;
  if (config.cni.plugin === "canal" && canal.mtu !== undefined && canal.mtu > underlay - VXLAN_OVERHEAD) {
    problems.push({
      path: "cni.canal.mtu",
      message:
        `${canal.mtu} is larger than the network allows: ${where} and Flannel's VXLAN header takes ${VXLAN_OVERHEAD} ` +
        `of them, so pod packets can be at most ${underlay - VXLAN_OVERHEAD} bytes; set ${underlay - VXLAN_OVERHEAD} or ` +
        "less, or leave cni.canal.mtu unset",
    });
  }
  // Cilium's MTU value is the underlay's: Cilium takes its tunnel header off it (chart values.yaml, MTU).
  if (config.cni.plugin === "cilium" && cilium.mtu !== undefined && cilium.mtu > underlay) {
    problems.push({
      path: "cni.cilium.mtu",
      message:
        `${cilium.mtu} is larger than the network allows: it is the MTU of the network under Cilium's VXLAN (Cilium ` +
        `takes the ${VXLAN_OVERHEAD}-byte header off it), and ${where}; set ${underlay} or less, or leave cni.cilium.mtu unset`,
    });
  }
  return problems;
}
