/**
 * The type token of every component, `k3s-sites:<area>:<Type>`: part of each resource's URN, so a changed token
 * replaces the component's children unless they carry aliases. The plan and the tests find components by these
 * constants, never by a literal of their own.
 */
export const TYPE = {
  site: "k3s-sites:site:Site",
  hetznerInfra: "k3s-sites:hetzner:HetznerInfra",
  hetznerLoadBalancer: "k3s-sites:hetzner:HetznerLoadBalancer",
  sshHosts: "k3s-sites:ssh:SshHosts",
  k3sCluster: "k3s-sites:k3s:K3sCluster",
  canal: "k3s-sites:cni:Canal",
  calico: "k3s-sites:cni:Calico",
  cilium: "k3s-sites:cni:Cilium",
  // nginx and cert-manager keep the area they were created under (edge), since their URNs hold it.
  nginxIngress: "k3s-sites:edge:NginxIngress",
  certManager: "k3s-sites:edge:CertManager",
  traefik: "k3s-sites:ingress:Traefik",
  ciliumGateway: "k3s-sites:ingress:CiliumGateway",
  beforeCni: "k3s-sites:ingress:BeforeCni",
  metallb: "k3s-sites:lb:Metallb",
  multus: "k3s-sites:multus:Multus",
  networkPolicies: "k3s-sites:policy:NetworkPolicies",
  hcloudCsi: "k3s-sites:storage:HcloudCsi",
  storageCheck: "k3s-sites:storage:StorageCheck",
  volumes: "k3s-sites:storage:Volumes",
  appWorkloads: "k3s-sites:apps:AppWorkloads",
  verify: "k3s-sites:verify:Verify",
} as const;

/** The type token of @pulumi/kubernetes's Helm chart resource (helm.sh/v4 Chart), by which the plan finds charts. */
export const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
