/**
 * The rules of Hetzner's driver: it needs Hetzner servers, its encryption needs it, and the declared volumes fit
 * Hetzner's limits (limits.ts).
 */
import type { Problem } from "../../config/problems";
import type { StorageRuleInput } from "../volumes/rules";
import { checkHetznerVolumeLimits } from "./limits";

export function checkHcloudCsi(config: StorageRuleInput): Problem[] {
  const { driver } = config.storage;
  const problems: Problem[] = [];
  if (driver === "hcloud-csi" && config.site.kind !== "hetzner") {
    problems.push({
      path: "storage.driver",
      message:
        "hcloud-csi needs Hetzner Cloud servers (its node plugin reads Hetzner's metadata service), and this is an ssh " +
        "site: use local-path (the default on ssh sites) or none",
    });
  }
  if (config.storage.hcloudCsi.encryption && driver !== "hcloud-csi") {
    problems.push({
      path: "storage.hcloudCsi.encryption",
      message: `true encrypts Hetzner volumes, but storage.driver is ${driver}: remove it, or use storage.driver hcloud-csi`,
    });
  }
  if (driver === "hcloud-csi") problems.push(...checkHetznerVolumeLimits({ volumes: config.storage.volumes, nodeCount: config.nodes.length }));
  return problems;
}
