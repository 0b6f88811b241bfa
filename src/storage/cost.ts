/**
 * What a site's volumes cost a month, as data the plan's summary can print. Only Hetzner volumes cost money here:
 * local-path volumes are directories on the site's own disks.
 */
import { HETZNER_VOLUME_LIMITS } from "./hcloud-csi/limits";
import type { StorageConfig } from "./section";

/**
 * Hetzner's volume price, net of VAT. Read from Hetzner's pricing API (`GET /v1/pricing`,
 * `volume.price_per_gb_month`) on 2026-05-27 as quoted in devantler-tech/platform commit cb791c6; not read from
 * Hetzner directly here (upstream/SOURCES.md, "hcloud-csi"). Check `GET /v1/pricing` before relying on it.
 */
export const HETZNER_VOLUME_PRICE = {
  eurPerGbMonth: 0.0572,
  date: "2026-05-27",
  source: "Hetzner Cloud API GET /v1/pricing volume.price_per_gb_month, as quoted in devantler-tech/platform commit cb791c6",
} as const;

/** The verification check's claim on Hetzner sites (src/storage/verify.ts): the smallest volume, while the stack lives. */
export const VERIFY_VOLUME_GB = HETZNER_VOLUME_LIMITS.minGb;

export interface VolumeCostLine {
  /** `<namespace>/<name>`, or `verification check` for the check's own claim. */
  readonly what: string;
  /** The size Hetzner bills: the request rounded up to its smallest volume. */
  readonly gb: number;
  readonly eurPerMonth: number;
}

export interface VolumeCost {
  readonly lines: readonly VolumeCostLine[];
  readonly eurPerMonth: number;
  /** The price used, with its day and source, for the summary to print beside the total. */
  readonly price: typeof HETZNER_VOLUME_PRICE;
}

/** What monthlyVolumeCost reads: the storage section and whether the verification checks run. */
export interface VolumeCostInput {
  readonly storage: StorageConfig;
  readonly verify: boolean;
}

const round = (eur: number): number => Math.round(eur * 100) / 100;

/**
 * The monthly cost of the volumes the stack declares (storage.volumes) and of the verification check's claim, on
 * a site whose volumes are Hetzner's; zero lines elsewhere. Volumes the site's apps claim at run time are not known
 * to the plan: `hcloud volume list -l k3s-sites/site=<stack>` lists them.
 */
export function monthlyVolumeCost(config: VolumeCostInput): VolumeCost {
  if (config.storage.driver !== "hcloud-csi") return { lines: [], eurPerMonth: 0, price: HETZNER_VOLUME_PRICE };
  const billed = (gb: number): number => Math.max(gb, HETZNER_VOLUME_LIMITS.minGb);
  const lines: VolumeCostLine[] = config.storage.volumes.map((v) => ({
    what: `${v.namespace}/${v.name}`,
    gb: billed(v.sizeGb),
    eurPerMonth: round(billed(v.sizeGb) * HETZNER_VOLUME_PRICE.eurPerGbMonth),
  }));
  if (config.verify) {
    lines.push({ what: "verification check", gb: VERIFY_VOLUME_GB, eurPerMonth: round(VERIFY_VOLUME_GB * HETZNER_VOLUME_PRICE.eurPerGbMonth) });
  }
  const total = lines.reduce((gb, l) => gb + l.gb, 0) * HETZNER_VOLUME_PRICE.eurPerGbMonth;
  return { lines, eurPerMonth: round(total), price: HETZNER_VOLUME_PRICE };
}
