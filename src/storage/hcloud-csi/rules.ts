/**
 * The rules of Hetzner's driver: it needs Hetzner servers, and the declared volumes fit Hetzner's limits (limits.ts).
 */
import type { Problem } from "../../config/problems";
import type { StorageRuleInput } from "../volumes/rules";
import { checkHetznerVolumeLimits } from "./limits";

/** Why the driver cannot run on a kind of site: its node plugin reads Hetzner's metadata service. */
export function hcloudCsiUnavailableOn(kind: StorageRuleInput["site"]["kind"]): string | undefined {
  return kind === "hetzner" ? undefined : "Hetzner's driver needs Hetzner Cloud servers";
}

export function checkHcloudCsi(config: StorageRuleInput): Problem[] {
  const { driver } = config.storage;
  const problems: Problem[] = [];
  if (driver === "hcloud-csi" && hcloudCsiUnavailableOn(config.site.kind) !== undefined) {
    problems.push({
      path: "storage.driver",
      message:
        "hcloud-csi needs Hetzner Cloud servers (its node plugin reads Hetzner's metadata service), and this is an ssh " +
        "site: use local-path (the default on ssh sites) or none",
    });
  }
  // Its settings on a site with another driver: src/config/rules-unused.ts, for every driver alike.
  if (driver === "hcloud-csi") problems.push(...checkHetznerVolumeLimits({ volumes: config.storage.volumes, nodeCount: config.nodes.length }));
  return problems;
}
