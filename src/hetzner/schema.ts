/**
 * The hetzner site's part of the stack config schema (site with kind: hetzner): its locations, pools, network and
 * load balancer. src/config/schema.ts places it in the site union.
 */
import { z } from "zod";
import { cidr, cidrV4, dnsLabel, ipv4, port, role, sshPublicKey } from "../config/fields";
import { SERVER_TYPES } from "./types";

/** Hetzner Cloud locations and the network zone each belongs to (docs.hetzner.com, "Locations"). */
export const HETZNER_LOCATIONS = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
} as const;
export type HetznerLocation = keyof typeof HETZNER_LOCATIONS;
export type NetworkZone = (typeof HETZNER_LOCATIONS)[HetznerLocation];
const locations = Object.keys(HETZNER_LOCATIONS) as [HetznerLocation, ...HetznerLocation[]];
const zones = [...new Set(Object.values(HETZNER_LOCATIONS))] as [NetworkZone, ...NetworkZone[]];

/**
 * Hetzner server type names: cx (shared Intel/AMD), cpx (shared AMD), cax (shared Ampere arm64), ccx (dedicated).
 * Only cax is arm64.
 */
export const SERVER_TYPE_PATTERN = /^(cx|cpx|cax|ccx)\d{2}$/;

const hetznerPool = z.strictObject({
  name: dnsLabel().meta({ description: "Pool name; node names are <pool>-<n>, n counting from 1." }),
  role: role().meta({ description: "server (control plane with embedded etcd) or agent." }),
  count: z.int().min(0).max(250).meta({ description: "Number of nodes. Removing nodes removes the highest numbers." }),
  serverType: z
    .string()
    .regex(SERVER_TYPE_PATTERN, {
      // Examples that can be ordered now (src/hetzner/types.ts), not ones Hetzner refuses.
      message: `expected a Hetzner server type (cx, cpx, ccx: x86; cax: arm64) such as ${SERVER_TYPES.filter((t) => t.status === "orderable").map((t) => t.name).join(" or ")}`,
    })
    .meta({ description: "Hetzner server type; cax* types are arm64, the others x86-64." }),
  image: z.string().min(1).default("ubuntu-24.04").meta({ description: "Hetzner image name." }),
  subnet: cidrV4()
    .optional()
    .meta({
      description:
        "The pool's subnet inside site.network.cidr. Default: a /site.network.subnetPrefix chosen from the pool name, " +
        "so it never moves when other pools are added or removed.",
    }),
});

const healthCheck = z.strictObject({
  intervalSeconds: z.int().min(3).max(60).default(15),
  timeoutSeconds: z.int().min(1).max(60).default(10),
  retries: z.int().min(0).max(5).default(3),
});

const loadBalancerService = z.strictObject({
  name: dnsLabel().meta({ description: "A name for the port, e.g. smtp." }),
  listenPort: port().meta({ description: "Public port on the load balancer." }),
  destinationPort: port().optional().meta({ description: "Port on the nodes. Default: listenPort." }),
  proxyProtocol: z.boolean().default(true).meta({ description: "Send the PROXY protocol header to the node." }),
});

const loadBalancer = z.strictObject({
  type: z.string().regex(/^lb\d{2}$/, { message: "expected a Hetzner load balancer type such as lb11" }).default("lb11"),
  healthCheck: healthCheck.prefault({}),
  services: z
    .array(loadBalancerService)
    .default([])
    .meta({ description: "TCP ports forwarded besides 80 and 443, e.g. mail: 25, 465, 587, 993." }),
});

export const hetznerSiteSchema = z.strictObject({
  kind: z.literal("hetzner"),
  location: z.enum(locations, { message: `expected a Hetzner location: ${locations.join(", ")}` }),
  networkZone: z
    .enum(zones, { message: `expected a Hetzner network zone: ${zones.join(", ")}` })
    .optional()
    .meta({ description: "Default: the zone of the location." }),
  network: z
    .strictObject({
      cidr: cidrV4().default("10.0.0.0/16").meta({ description: "The private network (IPv4 only at Hetzner)." }),
      subnetPrefix: z.int().min(16).max(28).default(24).meta({ description: "Prefix length of each pool's subnet." }),
      natGateway: ipv4()
        .optional()
        .meta({
          description:
            "A NAT server's private IP that routes the nodes' outbound traffic; required when publicIpv4 is false.",
        }),
    })
    .prefault({}),
  sshPublicKey: sshPublicKey().meta({ description: "Installed on every server for the SSH user root." }),
  operatorCidrs: z
    .array(cidr())
    .min(1, { message: "list the addresses that may reach SSH and the Kubernetes API, e.g. [203.0.113.7/32]" })
    .meta({ description: "Sources allowed to reach SSH (22) and the Kubernetes API (6443)." }),
  allowWorld: z
    .boolean()
    .default(false)
    .meta({ description: "Allow 0.0.0.0/0 or ::/0 in operatorCidrs. Opens SSH and the API to the internet." }),
  publicIpv4: z.boolean().default(true).meta({ description: "Give nodes a public IPv4 for outbound traffic." }),
  allowIcmp: z.boolean().default(true).meta({ description: "Let ICMP (ping, path MTU discovery) reach the nodes." }),
  protect: z
    .boolean()
    .default(true)
    .meta({ description: "Protect the network and control-plane servers from deletion; false for throwaway sites." }),
  pools: z.array(hetznerPool).min(1, { message: "declare at least one pool with role server" }),
  loadBalancer: loadBalancer.prefault({}),
});
