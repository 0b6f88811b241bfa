/**
 * Hetzner Cloud's monthly prices, as data, for the plan's cost line. Euros a month, net of VAT, for new orders in
 * the EU locations (fsn1, nbg1, hel1): Hetzner bills by the hour up to these caps; traffic beyond the included volume
 * comes on top. Hetzner's own site was out of reach where this was written, so every figure comes from a copy of
 * Hetzner's tables, named per row (see upstream/SOURCES.md, "hetzner"). Check hetzner.com/cloud before you deploy.
 */

/** When the figures below were put together, and the newest of the copies they come from. */
export const PRICES_READ = "2026-12-07";
export const PRICES_AS_OF = "2026-09-04";
export const PRICES_SOURCE = "src/hetzner/prices.ts";

/** The locations these prices are for: Hetzner prices its US and Singapore locations apart. */
export const PRICED_LOCATIONS: readonly string[] = ["fsn1", "nbg1", "hel1"];

export interface Price {
  /** EUR a month, net. */
  readonly monthly: number;
  readonly source: string;
}

/**
 * hetzner.com's price API as the three plan pages use it, read on 2026-09-03 (quoted in robhunter/agentdeals#1286),
 * gives each server type's price with its primary IPv4 (0.50) included; the price-adjustment table at
 * docs.hetzner.com (general/infrastructure-and-availability/price-adjustment, quoted on 2026-09-04 in
 * robhunter/agentdeals#1324) gives the server alone, e.g. cpx22 19.49, cx23 5.49, cax41 40.99: the API's figure
 * less 0.50 in each. The rows below are the server alone, so that a site without public IPv4 is not charged for it.
 */
const PRICE_API = "hetzner.com price API 2026-09-03 (robhunter/agentdeals#1286), less the 0.50 primary IPv4";
const ADJUSTMENT = "docs.hetzner.com price-adjustment table, 15 June 2026 (robhunter/agentdeals#1324)";

export const SERVER_PRICES: Readonly<Record<string, Price>> = {
  cpx12: { monthly: 11.49, source: PRICE_API },
  cpx22: { monthly: 19.49, source: `${ADJUSTMENT}; ${PRICE_API}` },
  cx23: { monthly: 5.49, source: `${ADJUSTMENT}; ${PRICE_API}` },
  cx33: { monthly: 8.49, source: PRICE_API },
  cx43: { monthly: 15.99, source: PRICE_API },
  cx53: { monthly: 29.49, source: PRICE_API },
  cax11: { monthly: 5.99, source: PRICE_API },
  cax21: { monthly: 10.49, source: PRICE_API },
  cax31: { monthly: 20.99, source: PRICE_API },
  cax41: { monthly: 40.99, source: `${ADJUSTMENT}; ${PRICE_API}` },
};

/** Load balancers: their public IPv4 and IPv6 are included. lb31's price was not found in any copy read. */
const HCLOUD_PYTHON = "hetznercloud/hcloud-python v2.23.0 tests/unit/load_balancer_types/conftest.py (a fixture, fsn1)";
export const LOAD_BALANCER_PRICES: Readonly<Record<string, Price>> = {
  lb11: { monthly: 7.49, source: HCLOUD_PYTHON },
  lb21: { monthly: 21.49, source: HCLOUD_PYTHON },
};

/** A server's primary IPv4; its IPv6 is free (docs.hetzner.com/cloud/servers/primary-ips/overview). */
export const PRIMARY_IPV4: Price = {
  monthly: 0.5,
  source: `docs.hetzner.com/cloud/servers/primary-ips/overview; ${PRICE_API.split(",")[0]} (cpx22 19.99 with it, 19.49 without)`,
};

/** One line of a bill: what, how many, each (undefined when the price is not known here). */
export interface CostItem {
  readonly what: string;
  readonly count: number;
  readonly each: number | undefined;
}

export interface Cost {
  readonly items: readonly CostItem[];
  /** The sum of the items whose price is known. */
  readonly known: number;
  /** The items without a price: the total is then a lower bound. */
  readonly unknown: readonly CostItem[];
}

/** The monthly cost of what a site orders at Hetzner. */
export function monthlyCost(order: {
  readonly location: string;
  readonly servers: readonly { readonly serverType: string; readonly publicIpv4: boolean }[];
  readonly loadBalancerType?: string;
}): Cost {
  const eu = PRICED_LOCATIONS.includes(order.location);
  const byType = new Map<string, number>();
  for (const s of order.servers) byType.set(s.serverType, (byType.get(s.serverType) ?? 0) + 1);
  const items: CostItem[] = [...byType].map(([type, count]) => ({
    what: `server ${type}`,
    count,
    each: eu ? SERVER_PRICES[type]?.monthly : undefined,
  }));
  if (order.loadBalancerType) {
    items.push({ what: `load balancer ${order.loadBalancerType}`, count: 1, each: eu ? LOAD_BALANCER_PRICES[order.loadBalancerType]?.monthly : undefined });
  }
  const ipv4 = order.servers.filter((s) => s.publicIpv4).length;
  if (ipv4 > 0) items.push({ what: "primary IPv4", count: ipv4, each: PRIMARY_IPV4.monthly });
  const known = items.reduce((sum, i) => sum + (i.each === undefined ? 0 : i.each * i.count), 0);
  return { items, known: Math.round(known * 100) / 100, unknown: items.filter((i) => i.each === undefined) };
}

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
