/**
 * The `cni.calico` section of the stack config, and the `segments` of an ssh site: the layer-2 networks the hosts
 * sit on, each with the router Calico peers with over BGP.
 */
import { z } from "zod";
import { cidrV4, cidrV6, dnsLabel, ipv4, ipv6 } from "../../config/fields";
import { cniResources } from "../schema";

/**
 * How pod traffic between nodes travels, per IP pool (the IPPool's ipipMode and vxlanMode):
 * - None: unencapsulated; the routers carry pod routes, learnt from the nodes over BGP.
 * - VXLANCrossSubnet: VXLAN between nodes of different subnets (segments), plain inside one.
 * - IPIP: IP-in-IP between every pair of nodes (IPv4 only: Calico's IPPool CRD refuses ipipMode on an IPv6 pool).
 */
export const CALICO_ENCAPSULATIONS = ["None", "VXLANCrossSubnet", "IPIP"] as const;
export type CalicoEncapsulation = (typeof CALICO_ENCAPSULATIONS)[number];

/** A 4-byte AS number; 0 is reserved (RFC 7607), and so is 4294967295 (RFC 7300). */
const asNumber = () =>
  z
    .int()
    .min(1, { message: "expected an AS number from 1 to 4294967294, e.g. a private one from 64512 to 65534" })
    .max(4294967294, { message: "expected an AS number from 1 to 4294967294, e.g. a private one from 64512 to 65534" });

export const calicoSchema = z.strictObject({
  version: z
    .string()
    .regex(/^v3\.\d+\.\d+$/, { message: "expected a Calico release tag such as v3.32.1" })
    .default("v3.32.1")
    .meta({ description: "Calico release whose calico.yaml is applied; bumping it is the whole upgrade." }),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { message: "expected the 64 hex digits of a sha256" })
    .optional()
    .meta({ description: "sha256 of calico.yaml; needed only for versions k3s-sites does not pin." }),
  encapsulation: z
    .enum(CALICO_ENCAPSULATIONS, { message: `expected ${CALICO_ENCAPSULATIONS.join(", ")}` })
    .default("VXLANCrossSubnet")
    .meta({
      description:
        "IPv4 pool: None (routers carry pod routes), VXLANCrossSubnet (VXLAN between segments) or IPIP (refused with segment routers). Fixed at creation in practice.",
    }),
  encapsulationV6: z
    .enum(["None", "VXLANCrossSubnet"], { message: "expected None or VXLANCrossSubnet (IPv6 pools cannot use IPIP)" })
    .default("VXLANCrossSubnet")
    .meta({ description: "IPv6 pool (dual-stack): None or VXLANCrossSubnet." }),
  blockSize: z.int().min(20).max(32).default(26).meta({ description: "IPv4 block a node takes from the pool at a time. Fixed at creation." }),
  blockSizeV6: z.int().min(116).max(128).default(122).meta({ description: "IPv6 block size (dual-stack). Fixed at creation." }),
  natOutgoing: z.boolean().default(true).meta({ description: "Masquerade IPv4 pod traffic leaving the pod ranges." }),
  natOutgoingV6: z.boolean().default(false).meta({ description: "Masquerade IPv6 pod traffic leaving the pod ranges." }),
  underlayMtu: z
    .int()
    .min(1280)
    .max(9000)
    .default(1500)
    .meta({ description: "MTU of the smallest link between nodes (a VPN between sites is often 1420)." }),
  mtu: z
    .int()
    .min(1280)
    .max(9000)
    .optional()
    .meta({ description: "Pod interface MTU. Default: underlayMtu minus the largest encapsulation header in use." }),
  bgp: z
    .strictObject({
      asNumber: asNumber().default(64512).meta({ description: "The cluster's AS (every node's). Calico's default is 64512." }),
      serviceLoadBalancerIPs: z.array(cidrV4().or(cidrV6())).default([]).meta({ description: "Ranges of LoadBalancer IPs advertised to the routers." }),
      serviceExternalIPs: z.array(cidrV4().or(cidrV6())).default([]).meta({ description: "Ranges of Service externalIPs advertised to the routers." }),
    })
    .prefault({})
    .meta({ description: "BGP: the cluster's AS and the Service ranges advertised to the segments' routers." }),
  resources: cniResources.optional(),
  imageRegistry: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { message: "expected a registry such as registry.example.com/mirror" })
    .optional()
    .meta({ description: "Pull Calico images from this registry instead of the upstream ones." }),
});

export const segmentSchema = z.strictObject({
  name: dnsLabel().meta({ description: "Segment name; hosts name it, and nodes get the label k3s-sites/segment=<name>." }),
  cidr: cidrV4().meta({ description: "The segment's IPv4 network, e.g. 192.168.1.0/24." }),
  cidrV6: cidrV6().optional().meta({ description: "The segment's IPv6 prefix, e.g. 2001:db8:1::/64." }),
  router: z
    .strictObject({
      address: ipv4().meta({ description: "The router's IPv4 address in the segment; every node of the segment peers with it." }),
      addressV6: ipv6().optional().meta({ description: "The router's IPv6 address in the segment, for IPv6 routes; required on a dual-stack site when the segment has nodes." }),
      asNumber: asNumber().meta({ description: "The router's AS, e.g. 65001 (private ASes: 64512-65534)." }),
      password: z
        .boolean()
        .default(false)
        .meta({ description: "Authenticate the sessions (TCP MD5) with the secret k3s-sites:bgpPassword." }),
    })
    .optional()
    .meta({ description: "The segment's BGP router. Required for every segment with nodes when several segments exist." }),
});

export type SegmentConfig = z.output<typeof segmentSchema>;
export type CalicoConfig = z.output<typeof calicoSchema>;
