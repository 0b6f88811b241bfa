/**
 * How the edge check finds the node that announces nginx's address in MetalLB's L2 mode (Traits.lanAnnouncer): the
 * speaker named in the ServiceL2Status's status.node answers ARP and NDP for it (metallb.io/v1beta1 ServiceL2Status,
 * upstream/metallb/crds.yaml at v0.16.1: status.node, serviceName, serviceNamespace). Its objects have generated
 * names, so the check lists them in MetalLB's namespace.
 */
import type { LanAnnouncer } from "../../concerns/contract";
import type { SiteConfig } from "../../config/site";
import { containsIp, parseCidr, parseIp } from "../../net/cidr";
import { METALLB, metallbOf, nginxAddressOf } from "./metallb";

export function metallbAnnouncer(config: SiteConfig, service: string): LanAnnouncer | { readonly skip: string } | undefined {
  const metallb = metallbOf(config);
  if (!metallb) return undefined;
  const address = nginxAddressOf(metallb);
  const pools = metallb.pools.filter((p) => address === undefined || p.addresses.some((a) => inPoolEntry(address, a)));
  if (pools.every((p) => p.advertise === "bgp")) {
    return { skip: "MetalLB announces nginx's address over BGP: no check here reads the routers' tables (check them on the routers)" };
  }
  const { namespace } = METALLB;
  return {
    addressEntry: address ?? metallb.pools[0]!.addresses[0]!,
    path: `/apis/metallb.io/v1beta1/namespaces/${namespace}/servicel2statuses`,
    filter: "[.items[]? | select(.status.serviceNamespace == $ns and .status.serviceName == $name) | .status.node][0] // empty",
    where: `ServiceL2Status of ${service} in ${namespace}`,
    read: { namespace, rule: { apiGroups: ["metallb.io"], resources: ["servicel2statuses"], verbs: ["list"] } },
    noAnnouncerFix: `an L2Advertisement for the pool and a running speaker (kubectl -n ${namespace} get pods)`,
    interfacesKey: "site.loadBalancer.metallb.pools[].interfaces",
  };
}

/** Whether `address` is in a MetalLB pool entry: a CIDR, or a first-last range. */
function inPoolEntry(address: string, entry: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  const [first, last] = entry.split("-").map((a) => parseIp(a.trim()));
  if (first && last) return first.version === ip.version && first.value <= ip.value && ip.value <= last.value;
  const cidr = parseCidr(entry);
  return cidr !== undefined && cidr.version === ip.version && containsIp(cidr, ip);
}
