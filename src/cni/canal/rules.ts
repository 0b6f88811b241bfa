/**
 * Cross-field rules of Canal's settings: what is refused on a Canal site, and why. src/config runs them with the
 * other rules.
 */
import type { Problem } from "../../config/problems";
import type { SiteConfig } from "../../config/site";
import { CALICO_PINS } from "../manifest";

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
