/**
 * Hetzner's limits on volumes, checked on the volumes a stack declares (storage.volumes) before any resource.
 *
 * - Sizes: "The minimum Volume size is 10GB and the maximum size is 10TB (10240GB)" (Hetzner Cloud API reference,
 *   POST /volumes); the driver rounds a smaller request up to 10 (internal/driver/driver.go MinVolumeSize, helper.go
 *   volumeSizeFromCapacityRange, v2.22.1), so a 5 GB claim would silently bill 10.
 * - Per server: the node plugin reports MaxVolumesPerNode = 16 (internal/driver/driver.go, node.go NodeGetInfo), so
 *   the scheduler places at most 16 of its volumes on one node; more volumes than 16 per node leave pods Pending.
 */
import type { Problem } from "../../config/problems";
import type { VolumeSpec } from "../section";

export const HETZNER_VOLUME_LIMITS = {
  minGb: 10,
  maxGb: 10240,
  perServer: 16,
} as const;

/** What the limits read: the declared volumes and how many nodes can attach them. */
export interface VolumeLimitsInput {
  readonly volumes: readonly VolumeSpec[];
  readonly nodeCount: number;
}

export function checkHetznerVolumeLimits({ volumes, nodeCount }: VolumeLimitsInput): Problem[] {
  const problems: Problem[] = [];
  volumes.forEach((v, i) => {
    const path = `storage.volumes[${i}].sizeGb`;
    if (v.sizeGb < HETZNER_VOLUME_LIMITS.minGb) {
      problems.push({
        path,
        message:
          `${v.sizeGb} is below Hetzner's smallest volume, ${HETZNER_VOLUME_LIMITS.minGb} GB: the driver would create ` +
          `(and Hetzner bill) ${HETZNER_VOLUME_LIMITS.minGb} GB anyway; set sizeGb: ${HETZNER_VOLUME_LIMITS.minGb}`,
      });
    } else if (v.sizeGb > HETZNER_VOLUME_LIMITS.maxGb) {
      problems.push({
        path,
        message:
          `${v.sizeGb} is above Hetzner's largest volume, ${HETZNER_VOLUME_LIMITS.maxGb} GB (10 TB): split the data over ` +
          `several volumes of at most ${HETZNER_VOLUME_LIMITS.maxGb} GB`,
      });
    }
  });
  const room = HETZNER_VOLUME_LIMITS.perServer * nodeCount;
  if (volumes.length > room) {
    problems.push({
      path: "storage.volumes",
      message:
        `declares ${volumes.length} volumes, more than the ${room} that ${nodeCount} node${nodeCount === 1 ? "" : "s"} can ` +
        `attach (Hetzner's driver attaches at most ${HETZNER_VOLUME_LIMITS.perServer} per server): add nodes, or merge volumes`,
    });
  }
  return problems;
}
