/**
 * The stack config schema: every setting of a site, as it is written under the `k3s-sites:` namespace of
 * Pulumi.<stack>.yaml, assembled from the parts' fragments (src/hetzner/schema.ts, src/cni/section.ts,
 * src/policy/schema.ts, ...). Defaults that depend on other fields live in site.ts, cross-field rules in rules.ts.
 */
import { z } from "zod";
import { storageSchema } from "../storage/section";
import { metallbSchema } from "../lb/metallb/schema";
import { networksSchema } from "../multus/schema";
import { segmentSchema } from "../cni/calico/schema";
import { cniSchema } from "../cni/section";
import { ingressSchema } from "../ingress/section";
import { certificatesSchema } from "../certificates/cert-manager/schema";
import { arch, cidrV4, cidrV6, dnsLabel, hostOrIp, ipv4, ipv6, port, role, sshUser } from "./fields";
import { hetznerSiteSchema } from "../hetzner/schema";
import { networkPoliciesSchema } from "../policy/schema";

/** The project's config namespace: keys are written `k3s-sites:<key>` in Pulumi.<stack>.yaml. */
export const NAMESPACE = "k3s-sites";

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

// src/verify/jobs.ts reads the apps' type from here; its owner moves that import to src/policy/schema.ts.
export type { AppConfig } from "../policy/schema";

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema>;
export type HetznerSiteConfig = z.output<typeof hetznerSiteSchema>;
export type SshSiteConfig = z.output<typeof sshSiteSchema>;
