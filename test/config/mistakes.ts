/**
 * Realistic stack-file mistakes, one class of the config issue at a time, each with the start of the problem line
 * it must be refused with: the key, the value, and enough of the reason to tell the right rule fired. And valid edge
 * cases that must plan. Shared by mistakes.test.ts (parse and whole-program runs) and load.properties.test.ts.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { NAMESPACE } from "../../src/config/schema";
import { ROOT, clone, exampleSections, parse1, sshSections } from "../helpers";

type Raw = Record<string, any>;

export interface Mistake {
  readonly name: string;
  /** The stack the mistake starts from: an example stack, or the small ssh fixture (ipv4 only). */
  readonly base: "prod" | "home" | "ssh";
  /** Edits the `k3s-sites:` sections. */
  readonly edit?: (sections: Raw) => void;
  /** Other config keys of the stack file, namespace included: plain strings, or { secure } for encrypted ones. */
  readonly keys?: Readonly<Record<string, unknown>>;
  /** The whole stack file, instead of sections and keys. */
  readonly text?: string;
  /** The stack's name. @default "test" */
  readonly stack?: string;
  /** The start of one problem line (or of the error, for stack-file errors). */
  readonly expect: string;
  /** Text that must not appear in the message, e.g. the secret that was written in plain text. */
  readonly secret?: string;
}

export const SSH_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUtZXhhbXBsZQ\n-----END OPENSSH PRIVATE KEY-----";
const HCLOUD_TOKEN = "Jq8Xz3kLmN4pQ7rS2tU5vW8yZ1aB3cD6eF9gH2jK5mN8pQ1rS4tU7vW0xY3zA6bC";
const secure = { secure: "v1:AAAABBBBCCCC" };

/** Prod's planned addresses, for mistakes that reuse one. */
function prodNode(name: string): string {
  return parse1(exampleSections("prod")).nodes.find((n) => n.name === name)!.privateIp;
}

/** Prod without public IPv4: a NAT gateway and an IPv6 operator prefix, as such a site needs. */
function noPublicIpv4(s: Raw, natGateway = "10.0.0.2"): void {
  s.site.publicIpv4 = false;
  s.site.network = { ...s.site.network, natGateway };
}

const s3 = (s: Raw) => (s.k3s.etcdSnapshots = { s3: { bucket: "snapshots" } });
const long = (n: number) => "p".repeat(n);

export const MISTAKES: readonly Mistake[] = [
  // Secrets in plain text: Pulumi knows which keys are encrypted.
  { name: "hcloud token in plain text", base: "prod", keys: { "hcloud:token": HCLOUD_TOKEN }, expect: "hcloud:token is written in plain text in the stack file", secret: HCLOUD_TOKEN },
  { name: "SSH private key in plain text", base: "home", keys: { "k3s-sites:sshPrivateKey": SSH_PRIVATE_KEY }, expect: "k3s-sites:sshPrivateKey is written in plain text", secret: "b3BlbnNzaC1rZXkt" },
  { name: "S3 access key in plain text", base: "prod", edit: s3, keys: { "k3s-sites:etcdS3AccessKey": "AKIAIOSFODNN7EXAMPLE", "k3s-sites:etcdS3SecretKey": secure }, expect: "k3s-sites:etcdS3AccessKey is written in plain text", secret: "AKIAIOSFODNN7EXAMPLE" },
  { name: "S3 secret key in plain text", base: "prod", edit: s3, keys: { "k3s-sites:etcdS3SecretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }, expect: "k3s-sites:etcdS3SecretKey is written in plain text", secret: "wJalrXUtnFEMI" },
  { name: "Cloudflare token in plain text", base: "prod", edit: (s) => (s.certificates.dns01 = { provider: "cloudflare" }), keys: { "k3s-sites:dnsApiToken": "cf-token-1234567890" }, expect: "k3s-sites:dnsApiToken is written in plain text", secret: "cf-token-1234567890" },
  { name: "Route 53 secret in plain text", base: "prod", edit: (s) => (s.certificates.dns01 = { provider: "route53", route53: { region: "eu-central-1", accessKeyID: "AKIAIOSFODNN7EXAMPLE" } }), keys: { "k3s-sites:route53SecretAccessKey": "r53-secret-abcdef" }, expect: "k3s-sites:route53SecretAccessKey is written in plain text", secret: "r53-secret-abcdef" },
  { name: "TSIG secret in plain text", base: "home", edit: (s) => (s.certificates.dns01 = { provider: "rfc2136", rfc2136: { nameserver: "192.168.1.1:53", tsigKeyName: "k3s." } }), keys: { "k3s-sites:rfc2136TsigSecret": "c2VjcmV0LXRzaWc=" }, expect: "k3s-sites:rfc2136TsigSecret is written in plain text", secret: "c2VjcmV0LXRzaWc=" },
  { name: "S3 secret key written into the snapshot settings", base: "prod", edit: (s) => (s.k3s.etcdSnapshots = { s3: { bucket: "snapshots", secretKey: "wJalrXUtnFEMI" } }), expect: "k3s.etcdSnapshots.s3.secretKey is not a setting: a credential belongs in the secret k3s-sites:etcdS3SecretKey", secret: "wJalrXUtnFEMI" },
  { name: "DNS token written into the dns01 settings", base: "prod", edit: (s) => (s.certificates.dns01 = { provider: "cloudflare", apiToken: "cf-token-1234567890" }), expect: "certificates.dns01.apiToken is not a setting: a credential belongs in the secret k3s-sites:dnsApiToken", secret: "cf-token-1234567890" },
  { name: "hcloud token written into the site", base: "prod", edit: (s) => (s.site.hcloudToken = HCLOUD_TOKEN), expect: "site.hcloudToken is not a setting: a credential belongs in the secret hcloud:token", secret: HCLOUD_TOKEN },
  { name: "private key given as the public key", base: "prod", edit: (s) => (s.site.sshPublicKey = SSH_PRIVATE_KEY), expect: "site.sshPublicKey is a private key, which must never be in the stack config", secret: "b3BlbnNzaC1rZXkt" },

  // Ranges too small for the site.
  { name: "pod range smaller than a node block", base: "prod", edit: (s) => (s.k3s.clusterCidr = "10.42.0.0/25"), expect: "k3s.clusterCidr 10.42.0.0/25 is smaller than one node's block: k3s gives every node a /24" },
  { name: "pod range of one block for five nodes", base: "prod", edit: (s) => (s.k3s.clusterCidr = "10.42.0.0/24"), expect: "k3s.clusterCidr 10.42.0.0/24 holds 1 node block of /24, but the site has 5 nodes" },
  { name: "pod range too small once a pool grows", base: "prod", edit: (s) => { s.k3s.clusterCidr = "10.42.0.0/22"; s.site.pools[1].count = 8; }, expect: "k3s.clusterCidr 10.42.0.0/22 holds 4 node blocks of /24, but the site has 11 nodes: every node needs its own block, so use a /20 or larger" },
  { name: "home pod range too small for three hosts", base: "home", edit: (s) => (s.k3s.clusterCidr = "10.42.0.0/23"), expect: "k3s.clusterCidr 10.42.0.0/23 holds 2 node blocks of /24, but the site has 3 nodes" },
  { name: "IPv6 pod range smaller than a /64", base: "home", edit: (s) => (s.k3s.clusterCidrV6 = "fd00:42::/72"), expect: "k3s.clusterCidrV6 fd00:42::/72 is smaller than one node's block: k3s gives every node a /64" },
  { name: "IPv6 pod range too large for the allocator", base: "home", edit: (s) => (s.k3s.clusterCidrV6 = "fd00::/32"), expect: "k3s.clusterCidrV6 fd00::/32 is too large: Kubernetes splits an IPv6 pod range into at most 2^16 node blocks" },
  { name: "service range too small for the default DNS address", base: "prod", edit: (s) => (s.k3s.serviceCidr = "10.43.0.0/29"), expect: "k3s.serviceCidr 10.43.0.0/29 is too small for the cluster DNS address k3s picks by default" },
  { name: "service range of two addresses", base: "home", edit: (s) => { s.k3s.serviceCidr = "10.43.0.0/31"; s.k3s.clusterDns = "10.43.0.1"; }, expect: "k3s.serviceCidr 10.43.0.0/31 is too small: it must hold the kubernetes Service's address and the cluster DNS address" },

  // Addresses that cannot work.
  { name: "cluster DNS at the service range's network address", base: "prod", edit: (s) => (s.k3s.clusterDns = "10.43.0.0"), expect: "k3s.clusterDns 10.43.0.0 is the network address of k3s.serviceCidr 10.43.0.0/16" },
  { name: "cluster DNS at the kubernetes Service's address", base: "home", edit: (s) => (s.k3s.clusterDns = "10.43.0.1"), expect: "k3s.clusterDns 10.43.0.1 is the first address, which the API server takes for the kubernetes Service, of k3s.serviceCidr 10.43.0.0/16" },
  { name: "cluster DNS at the broadcast address", base: "prod", edit: (s) => { s.k3s.serviceCidr = "10.96.0.0/28"; s.k3s.clusterDns = "10.96.0.15"; }, expect: "k3s.clusterDns 10.96.0.15 is the broadcast address of k3s.serviceCidr 10.96.0.0/28" },
  { name: "private network in the shared address space", base: "prod", edit: (s) => (s.site.network = { cidr: "100.64.0.0/16" }), expect: "site.network.cidr 100.64.0.0/16 is not a private range: Hetzner networks must lie in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16" },
  { name: "private network just outside 172.16/12", base: "prod", edit: (s) => (s.site.network = { cidr: "172.32.0.0/16" }), expect: "site.network.cidr 172.32.0.0/16 is not a private range" },
  { name: "private network of public addresses", base: "prod", edit: (s) => (s.site.network = { cidr: "203.0.113.0/24" }), expect: "site.network.cidr 203.0.113.0/24 is not a private range" },
  { name: "private network smaller than a /24", base: "prod", edit: (s) => (s.site.network = { cidr: "10.0.0.0/25", subnetPrefix: 27 }), expect: "site.network.cidr 10.0.0.0/25 is smaller than Hetzner allows: a network must be a /24 or larger" },
  { name: "NAT gateway at Hetzner's own gateway", base: "prod", edit: (s) => noPublicIpv4(s, "10.0.0.1"), expect: "site.network.natGateway 10.0.0.1 is the first address of site.network.cidr, which is Hetzner's own gateway" },
  { name: "NAT gateway at the load balancer's address", base: "prod", edit: (s) => noPublicIpv4(s, "10.0.0.10"), expect: "site.network.natGateway 10.0.0.10 is the load balancer's private address" },
  { name: "NAT gateway at a node's address", base: "prod", edit: (s) => noPublicIpv4(s, prodNode("control-2")), expect: `site.network.natGateway ${prodNode("control-2")} is node control-2's address` },
  { name: "NAT gateway where the next worker goes", base: "prod", edit: (s) => noPublicIpv4(s, prodNode("worker-2").replace(/\d+$/, (n) => String(Number(n) + 1))), expect: `site.network.natGateway ${prodNode("worker-2").replace(/\d+$/, (n) => String(Number(n) + 1))} is the address node worker-3 of pool worker gets` },
  { name: "NAT gateway at the network's broadcast address", base: "prod", edit: (s) => noPublicIpv4(s, "10.0.255.255"), expect: "site.network.natGateway 10.0.255.255 is the broadcast address of site.network.cidr 10.0.0.0/16" },
  { name: "host given the LAN's broadcast address", base: "home", edit: (s) => (s.site.hosts[1].privateIp = "192.168.1.255"), expect: "site.hosts[1].privateIp 192.168.1.255 is the broadcast address of site.network.cidr 192.168.1.0/24, not a host's" },
  { name: "host given the LAN's network address", base: "ssh", edit: (s) => (s.site.hosts[0].privateIp = "192.168.1.0"), expect: "site.hosts[0].privateIp 192.168.1.0 is the network address of site.network.cidr 192.168.1.0/24" },

  // Operator addresses that amount to the world, or that cannot reach the nodes.
  { name: "the world as two halves", base: "prod", edit: (s) => (s.site.operatorCidrs = ["0.0.0.0/1", "128.0.0.0/1"]), expect: "site.operatorCidrs 0.0.0.0/1, 128.0.0.0/1 together cover every IPv4 address, like 0.0.0.0/0" },
  { name: "the world in uneven pieces with an office", base: "prod", edit: (s) => (s.site.operatorCidrs = ["203.0.113.7/32", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"]), expect: "site.operatorCidrs 203.0.113.7/32, 0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/1 together cover every IPv4 address" },
  { name: "the IPv6 world as two halves", base: "prod", edit: (s) => (s.site.operatorCidrs = ["203.0.113.7/32", "::/1", "8000::/1"]), expect: "site.operatorCidrs ::/1, 8000::/1 together cover every IPv6 address, like ::/0" },
  { name: "the world written plainly", base: "prod", edit: (s) => (s.site.operatorCidrs = ["0.0.0.0/0"]), expect: "site.operatorCidrs[0] 0.0.0.0/0 opens SSH and the Kubernetes API to the whole internet" },
  { name: "IPv4 operators for nodes without public IPv4", base: "prod", edit: (s) => { noPublicIpv4(s); s.site.operatorCidrs = ["203.0.113.7/32"]; }, expect: "site.operatorCidrs lists only IPv4 addresses (203.0.113.7/32), but site.publicIpv4 is false" },

  // Names Hetzner or Kubernetes refuse.
  { name: "pool name too long for server names", base: "prod", edit: (s) => (s.site.pools[1].name = long(58)), stack: "prod", expect: `site.pools[1].name "${long(58)}" makes server names such as prod-${long(58)}-2 (65 characters), longer than the 63 a host name allows: shorten the pool name to at most 56 characters` },
  { name: "pool name too long for node names", base: "prod", edit: (s) => { s.site.pools[1].name = long(61); s.site.pools[1].count = 12; }, expect: `site.pools[1].name "${long(61)}" makes node names such as ${long(61)}-12 (64 characters), too long for the label kubernetes.io/hostname` },
  { name: "stack name too long for server names", base: "prod", stack: "s".repeat(55), expect: `site.pools[0].name "control" makes server names such as ${"s".repeat(55)}-control-3 (65 characters)` },
  { name: "stack name with an underscore", base: "prod", stack: "eu_prod", expect: 'the stack name "eu_prod" starts every server name (<stack>-<pool>-<n>), and Hetzner server names are host names' },
  { name: "stack name with a dot", base: "prod", stack: "prod.eu", expect: 'the stack name "prod.eu" starts every server name' },
  { name: "stack name too long for a label", base: "prod", stack: "a".repeat(64), expect: `the stack name "${"a".repeat(64)}" cannot be a label value on the site's Hetzner objects` },

  { name: "Multus networks on Cilium, whose agent removes other CNI configs", base: "home", edit: (s) => (s.networks = [{ name: "dmz", namespace: "dmz", master: "eth0.20", ipam: { type: "host-local", ranges: [{ subnet: "192.168.20.0/24" }] } }]), expect: "networks are set but cni.plugin is cilium, whose agent removes other CNI configs (chart value cni.exclusive), Multus's among them: use cni.plugin canal, calico or flannel for a site with Multus networks" },
  { name: "MetalLB beside Cilium's LB-IPAM", base: "home", edit: (s) => (s.site.loadBalancer = { metallb: { pools: [{ name: "lan", addresses: ["192.168.1.240/28"] }] } }), expect: "site.loadBalancer.metallb is set but cni.plugin is cilium, whose LB-IPAM would hand out the same Services' addresses: use cni.cilium.loadBalancerPools and l2Announcements instead, or a CNI without LB-IPAM (canal, calico, flannel)" },
  // Versions outside what the pinned components support.
  { name: "k3s older than cert-manager supports", base: "prod", edit: (s) => (s.k3s.version = "v1.31.4+k3s1"), expect: "k3s.version v1.31.4+k3s1 runs Kubernetes 1.31, outside what cert-manager 1.21, Hetzner's CSI driver 2.22 support: use a k3s release of Kubernetes 1.33 to 1.36" },
  { name: "k3s newer than anything is tested with", base: "prod", edit: (s) => (s.k3s.version = "v1.37.0+k3s1"), expect: "k3s.version v1.37.0+k3s1 runs Kubernetes 1.37, outside what Calico (Canal) 3.32 (cni.canal.version), NGINX Ingress Controller 5.5, cert-manager 1.21, Hetzner's CSI driver 2.22 support" },
  { name: "Hetzner's volume driver on a home site", base: "ssh", edit: (s) => (s.storage = { driver: "hcloud-csi" }), expect: "storage.driver hcloud-csi needs Hetzner Cloud servers (its node plugin reads Hetzner's metadata service), and this is an ssh site: use local-path (the default on ssh sites) or none" },
  { name: "a Hetzner volume below Hetzner's smallest", base: "prod", edit: (s) => (s.storage.volumes[0].sizeGb = 5), expect: "storage.volumes[0].sizeGb 5 is below Hetzner's smallest volume, 10 GB: the driver would create (and Hetzner bill) 10 GB anyway; set sizeGb: 10" },
  { name: "a volume in a namespace the program does not create", base: "prod", edit: (s) => (s.storage.volumes[0].namespace = "shop"), expect: "storage.volumes[0].namespace shop is the namespace of no app in networkPolicies.apps" },
  { name: "a relative local-path directory", base: "ssh", edit: (s) => (s.storage = { localPath: { path: "srv/k3s" } }), expect: "storage.localPath.path" },
  { name: "k3s newer than Cilium 1.19 is tested with", base: "home", edit: (s) => { s.k3s.version = "v1.36.1+k3s1"; s.cni.cilium.version = "1.19.6"; }, expect: "k3s.version v1.36.1+k3s1 runs Kubernetes 1.36, outside what Cilium 1.19 (cni.cilium.version) supports: use a k3s release of Kubernetes 1.33 to 1.35" },
  { name: "k3s newer than the chosen Calico is tested with", base: "prod", edit: (s) => { s.k3s.version = "v1.36.0+k3s1"; s.cni.canal = { version: "v3.31.7" }; }, expect: "k3s.version v1.36.0+k3s1 runs Kubernetes 1.36, outside what Calico (Canal) 3.31 (cni.canal.version) supports" },
  { name: "k3s newer than the chosen Calico is tested with, Calico alone", base: "ssh", edit: (s) => { s.k3s.version = "v1.36.0+k3s1"; s.cni = { plugin: "calico", calico: { version: "v3.31.7" } }; }, expect: "k3s.version v1.36.0+k3s1 runs Kubernetes 1.36, outside what Calico 3.31 (cni.calico.version) supports: use a k3s release of Kubernetes 1.33 to 1.35 (v1.33.x+k3sN to v1.35.x+k3sN). Kubernetes versions supported here: Calico 3.31 (cni.calico.version) 1.21-1.35 (tested from 1.32); NGINX Ingress Controller 5.5 1.29-1.36; cert-manager 1.21 1.33-1.36" },
  { name: "k3s older than the MetalLB chart allows", base: "ssh", edit: (s) => { s.k3s.version = "v1.18.20+k3s1"; s.cni = { plugin: "flannel" }; s.site.loadBalancer = { metallb: { pools: [{ name: "lan", addresses: ["192.168.1.240/28"] }] } }; }, expect: "k3s.version v1.18.20+k3s1 runs Kubernetes 1.18, outside what NGINX Ingress Controller 5.5, cert-manager 1.21, MetalLB 0.16 support: use a k3s release of Kubernetes 1.33 to 1.36 (v1.33.x+k3sN to v1.36.x+k3sN). Kubernetes versions supported here: NGINX Ingress Controller 5.5 1.29-1.36; cert-manager 1.21 1.33-1.36; MetalLB 0.16 1.19 and newer (tested 1.27-1.31)" },
  { name: "an ingress.config key the program sets", base: "prod", edit: (s) => (s.ingress.config = { "proxy-protocol": "False" }), expect: 'ingress.config.proxy-protocol is "False", but k3s-sites sets it to "True" because ingress.proxyProtocol is true: remove ingress.config.proxy-protocol, or set ingress.proxyProtocol: false and set all three PROXY protocol keys yourself' },
  { name: "an ingress.config status address on a cloud site", base: "prod", edit: (s) => (s.ingress.config = { "external-status-address": "203.0.113.9" }), expect: `ingress.config.external-status-address is "203.0.113.9", but k3s-sites sets it to the load balancer's public IPv4 because Ingress status reports the load balancer's address: remove ingress.config.external-status-address` },
  { name: "an ancient k3s", base: "ssh", edit: (s) => (s.k3s.version = "v1.20.15+k3s1"), expect: "k3s.version v1.20.15+k3s1 runs Kubernetes 1.20, outside what Cilium 1.20, NGINX Ingress Controller 5.5, cert-manager 1.21 support" },

  // Settings for a part not in use.
  { name: "Cilium settings on a Canal site", base: "prod", edit: (s) => (s.cni.cilium = { hubble: { enabled: false } }), expect: "cni.cilium sets hubble, but cni.plugin is canal, so they would do nothing" },
  { name: "Cilium settings on a site that defaults to Canal", base: "prod", edit: (s) => { delete s.cni.plugin; s.cni.cilium = { devices: ["eth0"] }; }, expect: "cni.cilium sets devices, but cni.plugin is canal (the default for hetzner sites)" },
  { name: "Canal settings on a Cilium site", base: "home", edit: (s) => (s.cni.canal = { mtu: 1400 }), expect: "cni.canal sets mtu, but cni.plugin is cilium" },
  { name: "Hetzner volume encryption on a home site", base: "ssh", edit: (s) => (s.storage = { hcloudCsi: { encryption: true } }), expect: "storage.hcloudCsi sets encryption, but storage.driver is local-path (the default for ssh sites), so they would do nothing: remove storage.hcloudCsi (Hetzner's driver needs Hetzner Cloud servers)" },
  { name: "local-path settings on a Hetzner site", base: "prod", edit: (s) => (s.storage.localPath = { path: "/srv/data" }), expect: "storage.localPath sets path, but storage.driver is hcloud-csi (the default for hetzner sites), so they would do nothing: remove storage.localPath, or set storage.driver: local-path" },
  { name: "Hetzner volume settings with no driver", base: "prod", edit: (s) => { s.storage = { driver: "none", hcloudCsi: { reclaimPolicy: "Delete" } }; }, expect: "storage.hcloudCsi sets reclaimPolicy, but storage.driver is none, so they would do nothing" },
  { name: "etcd snapshots with SQLite", base: "prod", edit: (s) => { s.k3s.datastore = "sqlite"; s.site.pools[0].count = 1; s.k3s.etcdSnapshots = { retention: 3 }; }, expect: "k3s.etcdSnapshots sets retention, but k3s.datastore is sqlite" },

  // MTUs larger than the underlay allows.
  { name: "Canal MTU of the whole private network", base: "prod", edit: (s) => (s.cni.canal = { mtu: 1450 }), expect: "cni.canal.mtu 1450 is larger than the network allows: Hetzner's private network carries at most 1450 bytes and Flannel's VXLAN header takes 50" },
  { name: "Canal MTU of a public NIC", base: "prod", edit: (s) => (s.cni.canal = { mtu: 1500 }), expect: "cni.canal.mtu 1500 is larger than the network allows" },
  { name: "Cilium MTU above Hetzner's", base: "prod", edit: (s) => (s.cni = { plugin: "cilium", cilium: { mtu: 1500 } }), expect: "cni.cilium.mtu 1500 is larger than the network allows: it is the MTU of the network under Cilium's VXLAN" },
  { name: "Canal MTU of a jumbo LAN with no room for VXLAN", base: "ssh", edit: (s) => (s.cni = { plugin: "canal", canal: { mtu: 9000 } }), expect: "cni.canal.mtu 9000 is larger than the network allows: no LAN carries more than 9000 bytes" },

  // Refused before, but with a stack trace or without the key.
  { name: "YAML syntax error", base: "prod", text: "config:\n  k3s-sites:k3s: {version: v1.33.5+k3s1\n  k3s-sites:site: {}\n", expect: "Pulumi.test.yaml:3:" },
  { name: "a tab in the indentation", base: "prod", text: "config:\n  k3s-sites:k3s:\n\tversion: v1.33.5+k3s1\n", expect: "Pulumi.test.yaml:3:1: not valid YAML" },
  { name: "a section written twice", base: "prod", text: "config:\n  k3s-sites:k3s:\n    version: v1.33.5+k3s1\n  k3s-sites:k3s:\n    datastore: etcd\n", expect: "Pulumi.test.yaml:4:3: the key k3s-sites:k3s appears twice in the same mapping" },
  { name: "a nested key written twice", base: "prod", text: "config:\n  k3s-sites:site:\n    kind: ssh\n    kind: hetzner\n", expect: "Pulumi.test.yaml:4:5: the key kind appears twice" },
  { name: "a key without its namespace", base: "prod", text: "config:\n  site:\n    kind: ssh\n  k3s-sites:k3s: {version: v1.33.5+k3s1}\n", expect: 'Pulumi.test.yaml:2:3: the config key "site" is not of the form <namespace>:<key>: write it as k3s-sites:site' },
  { name: "a section in a misspelt namespace", base: "prod", keys: { "k3s-site:certificates": { email: "ops@example.com" } }, expect: "k3s-site:certificates is in the namespace k3s-site, which k3s-sites does not read: rename it to k3s-sites:certificates" },
  { name: "the hcloud token in the project's namespace", base: "prod", keys: { "k3s-sites:token": secure }, expect: "k3s-sites:token is not a k3s-sites key: did you mean hcloud:token? Set it with pulumi config set --secret hcloud:token" },
  { name: "the SSH key in the provider's namespace", base: "home", keys: { "hcloud:sshPrivateKey": secure }, expect: "hcloud:sshPrivateKey is in the namespace hcloud, which k3s-sites does not read: rename it to k3s-sites:sshPrivateKey" },
  { name: "a path set without --path", base: "prod", keys: { "k3s-sites:k3s.version": "v1.33.6+k3s1" }, expect: "k3s-sites:k3s.version is not a k3s-sites key: it looks like a path inside k3s-sites:k3s: set nested values with --path" },
  { name: "a misspelt section", base: "prod", keys: { "k3s-sites:certificate": { email: "a@example.com" } }, expect: "k3s-sites:certificate is not a k3s-sites key: did you mean k3s-sites:certificates?" },
  { name: "a misspelt key inside a section", base: "prod", edit: (s) => (s.k3s.clusterCIDR = "10.42.0.0/16"), expect: 'k3s has unknown key "clusterCIDR": did you mean "clusterCidr"?' },
  { name: "a public key without its type", base: "prod", edit: (s) => (s.site.sshPublicKey = "AAAAC3NzaC1lZDI1NTE5AAAAIJ1Rh0sK8m3xq0pYb7vYk5Vq2gS0fN8cQe4tTnYc0kLm me@laptop"), expect: `site.sshPublicKey "AAAAC3NzaC1l..." lacks its key type: write the whole line, starting with the type, e.g. 'ssh-ed25519 AAAAC3... you@laptop' (the line of the .pub file)` },
  { name: "pool subnets larger than the network", base: "prod", edit: (s) => (s.site.network = { cidr: "10.0.0.0/24", subnetPrefix: 24 }), expect: "site.network.subnetPrefix 24 leaves no room for pool subnets in 10.0.0.0/24" },
  { name: "an empty stack file", base: "prod", text: "", expect: "the stack has no k3s-sites config at all (is the stack file empty?)" },
  { name: "a stack file with an empty config", base: "prod", text: "config:\n", expect: "the stack has no k3s-sites config at all" },
  { name: "config written as a list", base: "prod", text: "config:\n  - k3s-sites:site\n", expect: "Pulumi.test.yaml:2:3: config must be a mapping of <namespace>:<key> entries" },
  { name: "a section missing", base: "home", edit: (s) => delete s.k3s, expect: "k3s-sites:k3s is required: set at least version" },
  {
    name: "a stack file without its config: wrapper",
    base: "prod",
    text: "k3s-sites:site:\n  kind: ssh\nk3s-sites:k3s:\n  version: v1.33.5+k3s1\n",
    expect:
      "Pulumi.test.yaml: the keys k3s-sites:site, k3s-sites:k3s are at the top level, where Pulumi ignores them: a stack file " +
      "holds its settings under config:. Add the line config: at the top and indent every key below it by two spaces, as in Pulumi.prod.yaml",
  },

  // One mistake, one hint.
  {
    name: "a jump host written as user@host",
    base: "home",
    edit: (s) => (s.site.hosts[2].jumpHost = "admin@nuc.lan:2222"),
    expect: 'site.hosts[2].jumpHost "admin@nuc.lan:2222" is invalid: a jump host is a mapping, e.g. jumpHost: {address: nuc.lan, user: admin, port: 2222}',
  },
  {
    name: "a Hetzner site marked kind: ssh",
    base: "prod",
    edit: (s) => (s.site.kind = "ssh"),
    expect:
      'site.kind "ssh" does not match the site\'s keys location, operatorCidrs, sshPublicKey, pools, which belong to kind: hetzner: ' +
      "did you mean kind: hetzner? (existing hosts over SSH are listed in site.hosts)",
  },
  {
    name: "sqlite with two servers",
    base: "prod",
    edit: (s) => { s.k3s.datastore = "sqlite"; s.site.pools[0].count = 2; },
    expect: 'k3s.datastore "sqlite" supports one server, and site.pools has 2: use 1 server, or remove k3s.datastore (etcd, the default) with 1 or 3 servers',
  },

  // The Hetzner token under a key nobody reads.
  {
    name: "the hcloud token under k3s-sites:hcloudToken",
    base: "prod",
    keys: { "k3s-sites:hcloudToken": secure },
    expect: "k3s-sites:hcloudToken is not read by anyone: the Hetzner API token belongs in hcloud:token, the hcloud provider's key. Remove k3s-sites:hcloudToken and run pulumi config set --secret hcloud:token",
  },
  {
    name: "the hcloud token under hcloud:apiToken",
    base: "prod",
    keys: { "hcloud:apiToken": HCLOUD_TOKEN },
    expect: "hcloud:apiToken is not read by anyone: the Hetzner API token belongs in hcloud:token, the hcloud provider's key. Remove hcloud:apiToken and run pulumi config set --secret hcloud:token",
    secret: HCLOUD_TOKEN,
  },

  // Close misses.
  { name: "a location without its number", base: "prod", edit: (s) => (s.site.location = "fsn"), expect: 'site.location "fsn" is invalid: did you mean fsn1? expected a Hetzner location: fsn1, nbg1, hel1, ash, hil, sin' },
  { name: "a k3s version with -k3s1", base: "prod", edit: (s) => (s.k3s.version = "v1.33.5-k3s1"), expect: 'k3s.version "v1.33.5-k3s1" is invalid: did you mean v1.33.5+k3s1? expected an exact k3s release such as v1.36.5+k3s1' },
  { name: "a k3s version without its v", base: "prod", edit: (s) => (s.k3s.version = "1.34.1+k3s1"), expect: 'k3s.version "1.34.1+k3s1" is invalid: did you mean v1.34.1+k3s1? expected an exact k3s release such as v1.36.5+k3s1' },
  { name: "a k3s version without its k3s suffix", base: "prod", edit: (s) => (s.k3s.version = "v1.33.5"), expect: 'k3s.version "v1.33.5" is invalid: did you mean v1.33.5+k3s1? expected an exact k3s release such as v1.36.5+k3s1' },
  { name: "an architecture by its kernel name", base: "ssh", edit: (s) => (s.site.hosts[0].arch = "aarch64"), expect: 'site.hosts[0].arch "aarch64" is invalid: did you mean arm64? expected amd64 (x86-64) or arm64 (aarch64)' },
  { name: "an architecture misspelt", base: "ssh", edit: (s) => (s.site.hosts[0].arch = "amd-64"), expect: 'site.hosts[0].arch "amd-64" is invalid: did you mean amd64? expected amd64 (x86-64) or arm64 (aarch64)' },

  // SSH public keys named with the value received.
  {
    name: "a public key given as its path",
    base: "prod",
    edit: (s) => (s.site.sshPublicKey = "~/.ssh/id_ed25519.pub"),
    expect:
      'site.sshPublicKey "~/.ssh/id_ed25519.pub" is a file path, but the stack file holds the key itself: paste the line the file ' +
      "holds (cat ~/.ssh/id_ed25519.pub), e.g. 'ssh-ed25519 AAAAC3... you@laptop' (the line of the .pub file)",
  },
];

/** Valid sites at the edges of what is allowed: each must plan. */
export const VALID_EDGES: readonly Omit<Mistake, "expect">[] = [
  { name: "a single server", base: "prod", edit: (s) => (s.site.pools = [{ name: "solo", role: "server", count: 1, serverType: "cx23" }]) },
  { name: "a single server on SQLite", base: "prod", edit: (s) => { s.site.pools = [{ name: "solo", role: "server", count: 1, serverType: "cax11" }]; s.k3s.datastore = "sqlite"; } },
  { name: "IPv6-only operators", base: "prod", edit: (s) => (s.site.operatorCidrs = ["2001:db8:1234::/48"]) },
  { name: "no public IPv4, with a NAT gateway", base: "prod", edit: (s) => noPublicIpv4(s) },
  { name: "custom ranges everywhere", base: "prod", edit: (s) => { s.site.network = { cidr: "172.16.0.0/16", subnetPrefix: 20 }; s.k3s.clusterCidr = "10.100.0.0/16"; s.k3s.serviceCidr = "10.101.0.0/20"; s.k3s.clusterDns = "10.101.0.53"; } },
  { name: "the smallest ranges that fit", base: "prod", edit: (s) => { s.site.network = { cidr: "192.168.0.0/24", subnetPrefix: 27 }; s.k3s.clusterCidr = "10.42.0.0/21"; s.k3s.serviceCidr = "10.43.0.0/28"; } },
  { name: "the largest IPv6 pod range and smallest IPv6 service range", base: "home", edit: (s) => { s.k3s.clusterCidrV6 = "fd00:42::/48"; s.k3s.serviceCidrV6 = "fd00:43::/120"; } },
  { name: "a pool of count 0", base: "prod", edit: (s) => (s.site.pools[1].count = 0) },
  {
    name: "the largest sizes: 100 nodes, a 63-character server name, lb31",
    base: "prod",
    edit: (s) => {
      s.site.network = { cidr: "172.16.0.0/12", subnetPrefix: 16 };
      s.site.pools = [
        { name: "control", role: "server", count: 3, serverType: "cx23" },
        { name: "w".repeat(55), role: "agent", count: 97, serverType: "cax21" },
      ];
      s.site.loadBalancer.type = "lb31";
    },
  },
  { name: "certificates without an email", base: "prod", edit: (s) => delete s.certificates.email },
  { name: "the world on purpose, in halves", base: "prod", edit: (s) => { s.site.operatorCidrs = ["0.0.0.0/1", "128.0.0.0/1"]; s.site.allowWorld = true; } },
  { name: "MTUs at the underlay's limit", base: "prod", edit: (s) => (s.cni.canal = { mtu: 1400 }) },
  { name: "Cilium at Hetzner's MTU", base: "prod", edit: (s) => (s.cni = { plugin: "cilium", cilium: { mtu: 1450 } }) },
  { name: "k3s at the newest minor every Canal-site component is tested with", base: "prod", edit: (s) => (s.k3s.version = "v1.36.1+k3s1") },
  { name: "a stack name with capitals and digits", base: "prod", stack: "Prod2" },
];

/** The sections of a case's stack, edited. */
export function sectionsOf(c: Pick<Mistake, "base" | "edit">): Raw {
  const sections = clone(c.base === "ssh" ? sshSections() : exampleSections(c.base));
  sections.cni ??= {};
  sections.certificates ??= {};
  c.edit?.(sections);
  return sections;
}

/** The stack file of a case: its text, or its sections and other keys. */
export function stackFileOf(c: Pick<Mistake, "base" | "edit" | "keys" | "text">): string {
  if (c.text !== undefined) return c.text;
  const config: Raw = {};
  for (const [k, v] of Object.entries(sectionsOf(c))) config[`${NAMESPACE}:${k}`] = v;
  return stringify({ config: { ...config, ...c.keys } });
}

/** A temporary project folder with Pulumi.yaml; `write` adds a stack file; `remove` deletes the folder. */
export function tempProject(): { dir: string; write(stack: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "k3s-sites-mistakes-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  return {
    dir,
    write(stack, text) {
      const file = join(dir, `Pulumi.${stack}.yaml`);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
