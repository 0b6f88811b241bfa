/** The `networks` section of the stack config and an app's attachment to one (networks.ts says what they become). */
import { z } from "zod";
import { cidr, dnsLabel, ipv4, ipv6 } from "../config/fields";
import { parseCidr } from "../net/cidr";

const ip = () => z.union([ipv4(), ipv6()], { message: "expected an IP address such as 192.168.20.1" });

const range = z.strictObject({
  subnet: cidr().meta({ description: "The network's subnet, e.g. 192.168.20.0/24 (or IPv6)." }),
  rangeStart: ip().optional().meta({ description: "First address handed out. Default: the subnet's second." }),
  rangeEnd: ip().optional().meta({ description: "Last address handed out. Default: the subnet's last usable." }),
  gateway: ip().optional().meta({ description: "The router on that subnet; becomes the pod's route for routes." }),
});

const route = z.strictObject({
  dst: cidr().meta({ description: "Destination, e.g. 0.0.0.0/0 for a DMZ's own default route." }),
  gw: ip().optional().meta({ description: "Next hop. Default: the range's gateway." }),
});

const ipam = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("host-local"),
      ranges: z.array(range).min(1, { message: "list at least one range, e.g. [{subnet: 192.168.20.0/24}]" }),
      routes: z.array(route).default([]),
    }),
    z.strictObject({
      type: z.literal("static"),
      subnet: cidr().meta({ description: "The subnet the apps' addresses come from; each attached app lists its own." }),
      gateway: ip().optional(),
      routes: z.array(route).default([]),
    }),
    z.strictObject({ type: z.literal("none") }),
  ],
  { message: "expected ipam.type host-local (ranges), static (addresses per app) or none (IPv6 by router advertisement only)" },
);

export const networkSchema = z.strictObject({
  name: dnsLabel().meta({ description: "The NetworkAttachmentDefinition's name; apps attach by it." }),
  namespace: dnsLabel().meta({ description: "Where the NetworkAttachmentDefinition lives (usually the apps' namespace)." }),
  type: z.literal("macvlan", { message: "expected macvlan" }).default("macvlan"),
  master: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,15}$/, { message: "expected an interface name such as eno1 or eno1.20 (at most 15 characters)" })
    .meta({ description: "The parent interface on every node that runs attached pods, e.g. a VLAN interface eno1.20." }),
  mode: z.enum(["bridge", "private", "vepa", "passthru"], { message: "expected bridge, private, vepa or passthru" }).default("bridge"),
  mtu: z.int().min(1280).max(9000).optional().meta({ description: "Default: the parent's." }),
  ipam: ipam.meta({ description: "Addresses: host-local ranges, static per app, or none (SLAAC from router advertisements)." }),
});

export type NetworkConfig = z.output<typeof networkSchema>;

/** The `networks` section: Multus's fragment of the stack config (its concern's `fragment`). */
export const networksSchema = z
  .array(networkSchema)
  .default([])
  .meta({ description: "Multus macvlan networks (NetworkAttachmentDefinitions), e.g. a DMZ on a VLAN interface. Default: none." });

/** An app's attachment, under networkPolicies.apps[].networks. */
export const appNetworkSchema = z.strictObject({
  name: dnsLabel().meta({ description: "A network from `networks`." }),
  addresses: z
    .array(
      z.string().refine((t) => parseCidr(t) !== undefined, {
        message: "expected an address with its prefix, such as 192.168.20.10/24",
      }),
    )
    .optional()
    .meta({ description: "Static addresses with prefix, e.g. [192.168.20.10/24]; the network's ipam must be static." }),
});

export type AppNetworkConfig = z.output<typeof appNetworkSchema>;
