/** Cilium as a concern (src/concerns/contract.ts): its Helm chart, kube-proxy replacement, LB-IPAM on home sites. */
import { K3S_OWN_CNI_OFF, NO_POLICIES, type Concern } from "../../concerns/contract";
import { KUBERNETES_SUPPORT } from "../../k3s/kubernetes-support";
import { ciliumAnnouncer } from "./announcer";
import { checkCilium, checkCiliumL2Devices, checkCiliumLoadBalancerPools, checkCiliumMtu } from "./rules";
import { ciliumSchema } from "./schema";
import { CILIUM_CHART, ciliumChart, ciliumKubeProxyReplacement, ciliumValues } from "./values";

export const cilium = {
  kind: "cni",
  title: "Cilium",
  name: "cilium",
  key: "cni.cilium",
  fragment: ciliumSchema,
  uses: (config) => config.cni.plugin === "cilium",
  rules: [checkCiliumLoadBalancerPools, checkCilium, checkCiliumMtu, checkCiliumL2Devices],
  pins: (config) => [
    {
      name: "Cilium",
      version: () => ciliumChart(config).version,
      key: () => (ciliumChart(config).version !== CILIUM_CHART.version ? "cni.cilium.version" : undefined),
      support: KUBERNETES_SUPPORT.cilium,
    },
  ],
  codePins: [{ component: "cilium", version: CILIUM_CHART.version, where: "CILIUM_CHART (src/cni/cilium/values.ts)" }],
  k3s: { server: () => K3S_OWN_CNI_OFF, node: () => ({}), replacesKubeProxy: ciliumKubeProxyReplacement, runByK3s: false, serverSecretFiles: () => [] },
  fixedSettings: () => ({}),
  loadBalancerAddresses: (config) => config.site.kind !== "hetzner" && config.cni.cilium.loadBalancerPools.length > 0,
  policies: { nodeTrafficFromPodRange: (config) => ciliumValues(config).routingMode === "tunnel", ...NO_POLICIES },
  traits: {
    ownLoadBalancerIpam: { name: "LB-IPAM", instead: "use cni.cilium.loadBalancerPools and l2Announcements instead" },
    bgpFromNodes: () => undefined,
    removesOtherCniConfigs: "agent removes other CNI configs (chart value cni.exclusive)",
    ipBlocksMatchNodes: (config) => ciliumValues(config).policyCIDRMatchMode.includes("nodes"),
    nodeMatchingSetting: "ciliumNodes",
    // Since 1.19 Cilium programs wildcard service entries that drop traffic to a LoadBalancer address on a port the
    // Service does not define (cilium/cilium#40684, "to all load balancing paths"), perhaps at the host's own connect
    // (socket LB) before any ARP or NDP request leaves: the probe on the verify port could then fail on a healthy
    // site. Still so in the pinned 1.20.0: on by default, with only a hidden agent flag to turn them off
    // (--bpf-lb-enable-wildcard-entries, cilium/cilium#46647, merged before v1.20.0; no chart value for it in
    // upstream/charts/cilium/1.20.0). The host's own path could not be read here (upstream/SOURCES.md).
    announcementProbeSkip: () =>
      "Cilium (1.19 and later, the pinned 1.20 included) drops a connection to a LoadBalancer address on a port the Service does not define, " +
      "perhaps before any ARP or NDP request leaves the node, so a probe from a node cannot show the announcement truthfully: check it from a LAN host (arping <address>)",
    lanAnnouncer: ciliumAnnouncer,
    addressPools: (config) => config.cni.cilium.loadBalancerPools.map((text, i) => ({ path: `cni.cilium.loadBalancerPools[${i}]`, text })),
  },
} as const satisfies Concern<"cilium", typeof ciliumSchema>;
