/**
 * How the edge check finds the node that announces nginx's address with Cilium's L2 announcements
 * (Traits.lanAnnouncer): the agent that holds the Lease `cilium-l2announce-<namespace>-<name>` in its own namespace
 * (kube-system here) answers ARP and NDP for it (cilium/cilium pkg/l2announcer/l2announcer.go; not read at the pinned
 * tag here, the name is the one operators' tools read).
 */
import type { LanAnnouncer } from "../../concerns/contract";
import type { SiteConfig } from "../../config/site";

export function ciliumAnnouncer(config: SiteConfig, service: string): LanAnnouncer | { readonly skip: string } | undefined {
  if (config.site.kind === "hetzner" || config.cni.cilium.loadBalancerPools.length === 0) return undefined;
  if (!config.cni.cilium.l2Announcements) {
    return { skip: "cni.cilium.l2Announcements is unset: Cilium does not announce nginx's address on the LAN, the network routes it (check the router)" };
  }
  const lease = `cilium-l2announce-${service.replace("/", "-")}`;
  return {
    addressEntry: config.cni.cilium.loadBalancerPools[0]!,
    path: `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}`,
    filter: ".spec.holderIdentity // empty",
    where: `Lease kube-system/${lease}`,
    read: { namespace: "kube-system", rule: { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [lease], verbs: ["get"] } },
    noAnnouncerFix: "a CiliumL2AnnouncementPolicy selecting the Service and the nodes (cni.cilium.l2Announcements)",
    interfacesKey: "cni.cilium.l2Announcements.interfaces",
  };
}
