/** The Multus test sites: a one-node ssh site with DMZ networks, shared by the manifest's and the networks' tests. */
import { sshSections } from "../helpers";

export const NETWORKS = [
  { name: "dmz-in", namespace: "dmz", master: "eno1.20", ipam: { type: "static", subnet: "192.168.20.0/24", gateway: "192.168.20.1", routes: [{ dst: "0.0.0.0/0" }] } },
  { name: "dmz-out", namespace: "dmz", master: "eno1.30", ipam: { type: "host-local", ranges: [{ subnet: "192.168.30.0/24", gateway: "192.168.30.1" }, { subnet: "fd00:30::/64" }] } },
  { name: "slaac", namespace: "dmz", master: "eno1.40", ipam: { type: "none" } },
];

/** A one-node site (host-local keeps its allocations per node, so it is refused on more) with these networks. */
export function withNetworks(apps: Record<string, unknown>[] = [], networks: unknown[] = NETWORKS, cni = "flannel") {
  const raw = sshSections();
  raw.site.hosts = raw.site.hosts.slice(0, 1);
  raw.cni = { plugin: cni };
  raw.networks = networks;
  raw.networkPolicies = { apps };
  return raw;
}
