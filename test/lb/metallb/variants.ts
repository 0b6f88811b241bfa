/** Stack variants the MetalLB tests and the MetalLB lab share. */
import { exampleSections } from "../../helpers";

/** The lan example with a second, routed pool announced over BGP to the LAN's router. */
export function lanBgp() {
  const raw = exampleSections("lan");
  raw.site.loadBalancer.metallb = {
    pools: [
      { name: "lan", addresses: ["192.168.10.240/28"], interfaces: ["eno1"] },
      { name: "routed", addresses: ["198.51.100.0/28"], advertise: "bgp", nodeSelector: { "kubernetes.io/hostname": "tower" } },
    ],
    bgp: { asn: 64512, peers: [{ name: "router", address: "192.168.10.1", asn: 64513 }] },
    nginxAddress: "192.168.10.240",
  };
  return raw;
}
