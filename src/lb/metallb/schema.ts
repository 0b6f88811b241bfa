/**
 * The `site.loadBalancer.metallb` section of the stack config, the pinned chart its version defaults to, and the
 * address ranges its pools take (metallb.ts says what the program makes of them).
 */
import { z } from "zod";
import { dnsLabel } from "../../config/fields";
import { parseCidr, parseIp, sizeOf, type Ip, type IpVersion } from "../../net/cidr";

export const METALLB_CHART = {
  chart: "metallb",
  repository: "https://metallb.github.io/metallb",
  version: "0.16.1",
} as const;

/** An address range as MetalLB's IPAddressPool takes it: a CIDR, or `first-last` of one family. */
export interface IpRange {
  readonly version: IpVersion;
  readonly first: bigint;
  readonly last: bigint;
}

export function parseRange(text: string): IpRange | undefined {
  const cidr = parseCidr(text);
  if (cidr) return { version: cidr.version, first: cidr.network, last: cidr.network + sizeOf(cidr) - 1n };
  const parts = text.split("-");
  if (parts.length !== 2) return undefined;
  const [a, b] = parts.map((p) => parseIp(p.trim())) as [Ip | undefined, Ip | undefined];
  if (!a || !b || a.version !== b.version || a.value > b.value) return undefined;
  return { version: a.version, first: a.value, last: b.value };
}

const RANGE_HINT = "expected a CIDR such as 192.168.1.240/28 or a range such as 192.168.1.240-192.168.1.250 (or IPv6)";

const labels = z.record(z.string(), z.string());

const pool = z.strictObject({
  name: dnsLabel().meta({ description: "The IPAddressPool's name." }),
  addresses: z
    .array(z.string().refine((t) => parseRange(t) !== undefined, { message: RANGE_HINT }))
    .min(1, { message: "list at least one range, e.g. [192.168.1.240/28]" })
    .meta({ description: "Free LAN addresses (outside DHCP), as CIDRs or first-last ranges, IPv4 or IPv6." }),
  autoAssign: z
    .boolean()
    .default(true)
    .meta({ description: "Hand these addresses to any LoadBalancer Service; false: only to Services that ask." }),
  advertise: z
    .enum(["l2", "bgp"], { message: "expected l2 or bgp" })
    .default("l2")
    .meta({ description: "l2: answer ARP/NDP on the LAN (L2Advertisement); bgp: announce to the routers in bgp.peers." }),
  interfaces: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: "l2: announce only from these interfaces. Default: all." }),
  nodeSelector: labels.optional().meta({ description: "Only nodes with these labels announce the pool. Default: all." }),
});

const peer = z.strictObject({
  name: dnsLabel().meta({ description: "The BGPPeer's name." }),
  address: z
    .string()
    .refine((t) => parseIp(t) !== undefined, { message: "expected an IP address such as 192.168.1.1" })
    .meta({ description: "The router's address." }),
  asn: z.int().min(1).max(4294967295).meta({ description: "The router's AS number." }),
  nodeSelector: labels.optional().meta({ description: "Only nodes with these labels peer with it. Default: all." }),
});

/** The schema fragment of `site.loadBalancer.metallb` (ssh sites). */
export const metallbSchema = z.strictObject({
  version: z
    .string()
    .regex(/^0\.\d+\.\d+$/, { message: "expected a MetalLB chart version such as 0.16.1" })
    .default(METALLB_CHART.version)
    .meta({ description: "metallb chart version; only vendored versions plan." }),
  pools: z.array(pool).min(1, { message: "declare at least one address pool" }),
  bgp: z
    .strictObject({
      asn: z.int().min(1).max(4294967295).meta({ description: "The nodes' AS number." }),
      peers: z.array(peer).min(1, { message: "list the routers to peer with" }),
    })
    .optional()
    .meta({ description: "Routers the pools with advertise bgp are announced to (MetalLB's FRR-K8s mode)." }),
  nginxAddress: z
    .string()
    .refine((t) => parseIp(t)?.version === 4, { message: "expected an IPv4 address such as 192.168.1.240" })
    .optional()
    .meta({ description: "nginx's LoadBalancer address, inside an IPv4 pool. Default: the first address of the first IPv4 pool." }),
});

export type MetallbConfig = z.output<typeof metallbSchema>;
