/**
 * The stack config schema: every setting of a site, as it is written under the `k3s-sites:` namespace of
 * Pulumi.<stack>.yaml. Plain shapes and per-field defaults live here; defaults that depend on other fields and
 * cross-field rules live in resolve.ts and rules.ts.
 */
import { z } from "zod";
import { storageSchema } from "../storage/section";
import { metallbSchema } from "../lb/metallb/schema";
import { appNetworkSchema, networksSchema } from "../multus/schema";
import { segmentSchema } from "../cni/calico/schema";
import { cniSchema } from "../cni/section";
import { ingressSchema } from "../ingress/section";
import { certificatesSchema } from "../certificates/cert-manager/schema";
import { arch, cidr, cidrV4, cidrV6, dnsLabel, hostOrIp, ipv4, ipv6, port, role, sshPublicKey, sshUser } from "./fields";
import { SERVER_TYPES } from "../hetzner/types";

/** The project's config namespace: keys are written `k3s-sites:<key>` in Pulumi.<stack>.yaml. */
export const NAMESPACE = "k3s-sites";

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

const jumpHost = z.strictObject({
  address: hostOrIp(),
  port: port().default(22),
  user: sshUser().default("root"),
  hostKey: z.string().optional().meta({ description: "The jump host's public key, pinned when set." }),
});

const sshHost = z.strictObject({
  name: dnsLabel().meta({ description: "Kubernetes node name." }),
  address: hostOrIp().meta({ description: "Where SSH reaches the host (from the operator's machine or the jump host)." }),
  port: port().default(22),
  user: sshUser().default("root").meta({ description: "SSH user; must be root or have passwordless sudo." }),
  privateIp: ipv4().meta({ description: "The host's address on site.network.cidr; k3s binds to it." }),
  privateIpv6: ipv6()
    .optional()
    .meta({ description: "The host's IPv6 address on the LAN; required when k3s.ipFamilies is dual-stack." }),
  role: role(),
  arch: arch(),
  externalIp: ipv4()
    .optional()
    .meta({ description: "Address other networks reach the host on (k3s node-external-ip). Default: none." }),
  jumpHost: jumpHost.optional().meta({ description: "A bastion that SSH goes through (ssh -J)." }),
  hostKey: z
    .string()
    .optional()
    .meta({ description: "The host's public key (ssh-keyscan), pinned when set." }),
  interfaces: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: "The host's network interfaces, e.g. [eno1, eno1.20]; when listed, networks[].master must be one. Default: not checked." }),
  segment: dnsLabel()
    .optional()
    .meta({ description: "The site.segments entry the host is on. Default: the only segment, when there is one." }),
});

export const sshSiteSchema = z.strictObject({
  kind: z.literal("ssh"),
  network: z.strictObject({
    cidr: cidrV4().meta({ description: "The LAN or VPN the hosts share, e.g. 192.168.1.0/24." }),
  }),
  hosts: z.array(sshHost).min(1, { message: "list at least one host with role server" }),
  loadBalancer: z
    .strictObject({
      metallb: metallbSchema
        .optional()
        .meta({ description: "MetalLB: LAN addresses for LoadBalancer Services (CNIs without LB-IPAM: flannel, canal, calico)." }),
    })
    .optional()
    .meta({ description: "How LoadBalancer Services get addresses on this site. Default: none (or Cilium's LB-IPAM)." }),
  segments: z
    .array(segmentSchema)
    .default([])
    .meta({
      description:
        "Networks the hosts sit on, each with its BGP router (cni.plugin calico). Default: none, one network (site.network.cidr).",
    }),
});

export const siteSchema = z.discriminatedUnion("kind", [hetznerSiteSchema, sshSiteSchema], {
  message: "expected kind: hetzner (a new cloud site) or kind: ssh (existing hosts)",
});

export const k3sSchema = z.strictObject({
  version: z
    .string()
    .regex(/^v1\.\d+\.\d+\+k3s\d+$/, { message: "expected an exact k3s release such as v1.36.5+k3s1" })
    .meta({ description: "Exact k3s release; changing it upgrades the cluster node by node." }),
  datastore: z
    .enum(["etcd", "sqlite"], { message: "expected etcd (embedded, needed for HA) or sqlite (one server only)" })
    .default("etcd"),
  clusterCidr: cidrV4().default("10.42.0.0/16").meta({ description: "Pod range. Fixed at creation." }),
  serviceCidr: cidrV4().default("10.43.0.0/16").meta({ description: "Service range. Fixed at creation." }),
  clusterDns: ipv4().optional().meta({ description: "CoreDNS service IP. Default: the 10th address of serviceCidr." }),
  clusterDomain: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
      message: "expected a DNS domain such as cluster.local",
    })
    .default("cluster.local"),
  ipFamilies: z
    .enum(["ipv4", "dual-stack"], { message: "expected ipv4 or dual-stack" })
    .default("ipv4")
    .meta({ description: "dual-stack needs clusterCidrV6 and serviceCidrV6. Fixed at creation." }),
  clusterCidrV6: cidrV6().optional().meta({ description: "IPv6 pod range (dual-stack)." }),
  serviceCidrV6: cidrV6().optional().meta({ description: "IPv6 service range (dual-stack), at most /108." }),
  etcdSnapshots: z
    .strictObject({
      schedule: z
        .string()
        .regex(/^\S+( \S+){4}$/, { message: 'expected a cron schedule with 5 fields, such as "0 */12 * * *"' })
        .default("0 */12 * * *")
        .meta({ description: "When each server snapshots embedded etcd (cron, the server's time zone)." }),
      retention: z.int().min(1).max(1000).default(5).meta({ description: "Snapshots kept per server." }),
      s3: z
        .strictObject({
          endpoint: hostOrIp().default("s3.amazonaws.com").meta({ description: "S3 endpoint host." }),
          bucket: z.string().min(3).meta({ description: "Bucket the snapshots are uploaded to." }),
          region: z.string().min(1).optional().meta({ description: "Bucket region. Default: k3s's us-east-1." }),
          folder: z.string().min(1).optional().meta({ description: "Folder inside the bucket, e.g. the site name." }),
        })
        .optional()
        .meta({
          description:
            "Upload snapshots to S3. Credentials are the secrets k3s-sites:etcdS3AccessKey and k3s-sites:etcdS3SecretKey.",
        }),
    })
    .prefault({})
    .meta({ description: "Embedded-etcd snapshots on every server (datastore etcd)." }),
  secretsEncryption: z.boolean().default(true).meta({ description: "Encrypt Secrets at rest in the datastore." }),
  apiHost: hostOrIp()
    .optional()
    .meta({
      description:
        "DNS name for the Kubernetes API in the exported kubeconfig and the certificate (you create its record). " +
        "The program itself reaches the API on the first server's address.",
    }),
  upgrade: z
    .strictObject({
      drain: z
        .boolean()
        .default(false)
        .meta({ description: "Cordon and drain each node before its k3s version changes, uncordon it after." }),
      agentsAtOnce: z
        .int()
        .min(1)
        .max(100)
        .default(3)
        .meta({
          description:
            "Agents upgraded in parallel when k3s.version changes, after every server. Servers go one at a time; a first install joins every agent at once.",
        }),
    })
    .prefault({})
    .meta({ description: "How a change of k3s.version rolls through the nodes." }),
});

/** A Kubernetes label name, with an optional DNS-subdomain prefix: `app`, `app.kubernetes.io/name`. */
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    { message: "expected a label name such as app or app.kubernetes.io/name" },
  )
  .refine((key) => !key.includes("/") || key.indexOf("/") <= 253, {
    message: "expected a label prefix of at most 253 characters",
  });

const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  message: "expected a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
});

const protocol = z.enum(["TCP", "UDP"], { message: "expected TCP or UDP" }).default("TCP");

const appPort = z.strictObject({
  port: port().meta({ description: "The port the app's pods listen on (the container port, not a Service port)." }),
  protocol,
  name: z
    .string()
    .regex(/^(?=.{1,15}$)(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
      message: "expected a port name such as http or smtp: at most 15 lower-case letters, digits and '-'",
    })
    .optional()
    .meta({ description: "A name for the port, e.g. http or smtp." }),
});

const peerPort = z.strictObject({ port: port(), protocol });

/** A peer names exactly one kind of caller or callee: one entry, one rule, one thing to read in a review. */
function exactlyOne<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[]) {
  return (peer: T, ctx: z.RefinementCtx) => {
    const set = keys.filter((k) => peer[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: "custom",
        input: peer,
        message: `${set.length === 0 ? "names no peer" : `sets ${set.join(" and ")}`}: set exactly one of ${keys.join(", ")}`,
      });
    }
  };
}

const fromPeer = z
  .strictObject({
    app: dnsLabel().optional().meta({ description: "Another app's name, from networkPolicies.apps." }),
    ingress: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({ description: "The site's ingress controller (ingress.controller), for apps that Ingresses or routes go to." }),
    nginx: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({ description: "The same as ingress: true (its older name, from when nginx was the only controller)." }),
    loadBalancer: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({
        description:
          "Hetzner sites: the load balancer's private address, the source of what it forwards (e.g. mail ports).",
      }),
    cidr: cidr().optional().meta({ description: "Addresses outside the cluster, e.g. 192.168.1.0/24." }),
  })
  .superRefine(exactlyOne(["app", "ingress", "nginx", "loadBalancer", "cidr"]))
  // One name downstream: the site's ingress, whichever controller it is.
  .transform(({ nginx, ...peer }) => (nginx ? { ...peer, ingress: true as const } : peer));

const toPeer = z
  .strictObject({
    app: dnsLabel().optional().meta({ description: "Another app's name, from networkPolicies.apps." }),
    dns: z
      .literal(true, { message: "expected true, or leave the key out" })
      .optional()
      .meta({ description: "CoreDNS, port 53 over UDP and TCP." }),
    cidr: cidr().optional().meta({ description: "Addresses outside the cluster, e.g. an SMTP relay 198.51.100.25/32." }),
    ports: z
      .array(peerPort)
      .min(1, { message: "list at least one port, e.g. [{port: 587}], or leave ports out" })
      .optional()
      .meta({ description: "Required with cidr. With app: a subset of its ports. Default: all the app's ports." }),
  })
  .superRefine(exactlyOne(["app", "dns", "cidr"]));

const app = z
  .strictObject({
    name: dnsLabel().meta({ description: "The app's name, unique in the site; other apps refer to it by name." }),
    namespace: dnsLabel().meta({ description: "The app's namespace. With defaultDeny it gets default-deny and DNS like every managed one." }),
    podSelector: z
      .record(labelKey, labelValue)
      .refine((labels) => Object.keys(labels).length > 0, {
        message: "selects every pod of the namespace: list the app's own labels, e.g. {app: web}",
      })
      .optional()
      .meta({ description: "Labels of the app's pods. Default: {app: <name>}." }),
    ports: z.array(appPort).default([]).meta({ description: "Ports the app's pods accept calls on." }),
    from: z
      .array(fromPeer)
      .default([])
      .meta({ description: "Who may call the app, on its ports. Default: no one." }),
    networks: z
      .array(appNetworkSchema)
      .default([])
      .meta({ description: "Multus networks the app's pods attach to (outside every NetworkPolicy). Default: none." }),
    to: z
      .array(toPeer)
      .default([])
      .meta({
        description:
          "What the app may call. Default: nothing (with defaultDeny, DNS stays open to every pod of a managed namespace).",
      }),
  })
  .transform((a) => ({ ...a, podSelector: a.podSelector ?? { app: a.name } }));

export const networkPoliciesSchema = z.strictObject({
  defaultDeny: z
    .boolean()
    .default(true)
    .meta({ description: "Deny all traffic in managed namespaces except what is declared." }),
  apps: z
    .array(app)
    .default([])
    .meta({
      description:
        "Apps and their traffic. Each becomes a NetworkPolicy: its pods accept calls only from `from`, on its " +
        "ports, and reach only `to`.",
    }),
});

export type AppConfig = z.output<typeof app>;

/** Everything under the `k3s-sites:` namespace of a stack file. */
export const stackConfigSchema = z.strictObject({
  site: siteSchema,
  k3s: k3sSchema,
  cni: cniSchema.prefault({}),
  ingress: ingressSchema.prefault({}),
  certificates: certificatesSchema.prefault({}),
  networkPolicies: networkPoliciesSchema.prefault({}),
  networks: networksSchema,
  storage: storageSchema.prefault({}),
  verify: z
    .boolean()
    .default(true)
    .meta({
      description:
        "Run the in-cluster checks (Jobs in the namespace k3s-sites-verify) after the site's components, on the " +
        "first up and whenever the site changes; a failed check fails the up. false skips them.",
    }),
});

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema>;
export type HetznerSiteConfig = z.output<typeof hetznerSiteSchema>;
export type SshSiteConfig = z.output<typeof sshSiteSchema>;
