/**
 * Cross-field rules of Canal's settings: what is refused on a Canal site, and why. src/config runs them with the
 * other rules.
 */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";
import { CALICO_PINS } from "../manifest";
import { VXLAN_OVERHEAD, underlayOf } from "../rules-mtu";

export function checkCanal(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  const canal = config.cni.canal;
  if (config.cni.plugin === "canal" && canal.sha256 === undefined && CALICO_PINS[canal.version] === undefined) {
    problems.push({
      path: "cni.canal.version",
      message:
        `${canal.version} has no pinned canal.yaml digest in k3s-sites (pinned: ${Object.keys(CALICO_PINS).join(", ")}): ` +
        "use a pinned version, or set cni.canal.sha256 to the sha256 of that release's manifests/canal.yaml",
    });
  }
  if (config.cni.plugin === "canal" && config.k3s.ipFamilies === "dual-stack" && config.site.kind === "ssh") {
    // (Hetzner sites are refused dual-stack for any CNI, in checkDualStack.)
    problems.push({
      path: "cni.plugin",
      message:
        "canal does not support k3s.ipFamilies dual-stack here: the Canal manifest runs Calico with IPv6 off and " +
        "Flannel on one IPv4 network. Use cni.plugin cilium for a dual-stack site, or k3s.ipFamilies ipv4",
    });
  }
  return problems;
}

/** The pod MTU leaves room for Flannel's VXLAN header inside the network under it. */
export function checkCanalMtu(config: SiteConfig): Problem[] {
  const { canal } = config.cni;
  const { underlay, where } = underlayOf(config);
  if (config.cni.plugin !== "canal" || canal.mtu === undefined || canal.mtu <= underlay - VXLAN_OVERHEAD) return [];
  return [
    {
      path: "cni.canal.mtu",
      message:
        `${canal.mtu} is larger than the network allows: ${where} and Flannel's VXLAN header takes ${VXLAN_OVERHEAD} ` +
        `of them, so pod packets can be at most ${underlay - VXLAN_OVERHEAD} bytes; set ${underlay - VXLAN_OVERHEAD} or ` +
        "less, or leave cni.canal.mtu unset",
    },
  ];
}
