/**
 * NetworkPolicies of Hetzner's CSI driver, in its own namespace (the default-deny and DNS baseline first):
 * - the controller talks to the Kubernetes API (attach, provision, resize) and to Hetzner's API over HTTPS
 *   (api.hetzner.cloud:443, hcloud-go's default endpoint); it learns the location from
 *   HCLOUD_VOLUME_DEFAULT_LOCATION, so it never needs the metadata service (cmd/main.go, v2.22.1);
 * - the node plugin asks Hetzner's metadata service (169.254.169.254:80) for its server ID and location, and talks
 *   to the kubelet over a Unix socket only (no network).
 * Nothing calls either pod: metrics are off (hcloudCsiValues), and the kubelet's liveness probes come from the pod's
 * own node, which the CNIs let through.
 */
import type { SiteConfig } from "../../config/site";
import { ipBlock, networkPolicy, tcp, type NetworkPolicy, type PolicyPeer } from "../../policy/objects";
import { apiServerRule, namespaceBaseline } from "../../policy/system";
import { HCLOUD_CSI } from "./driver";

/** Everything outside the cluster's pod and Service ranges: where Hetzner's API is. */
function outside(config: Pick<SiteConfig, "k3s">): PolicyPeer[] {
  const k3s = config.k3s;
  const v6 = [k3s.clusterCidrV6, k3s.serviceCidrV6].filter((c): c is string => c !== undefined);
  return [ipBlock("0.0.0.0/0", [k3s.clusterCidr, k3s.serviceCidr]), ipBlock("::/0", v6)];
}

export function hcloudCsiPolicies(config: SiteConfig): NetworkPolicy[] {
  const ns = HCLOUD_CSI.namespace;
  return [
    ...namespaceBaseline(ns),
    networkPolicy(ns, "hcloud-csi-controller", HCLOUD_CSI.controllerLabels, {
      egress: [apiServerRule(config), { to: outside(config), ports: [tcp(443)] }],
    }),
    networkPolicy(ns, "hcloud-csi-node-to-metadata", HCLOUD_CSI.nodeLabels, {
      egress: [{ to: [ipBlock(HCLOUD_CSI.metadataService.cidr)], ports: [tcp(HCLOUD_CSI.metadataService.port)] }],
    }),
  ];
}
