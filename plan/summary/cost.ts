/**
 * The monthly cost of what a Hetzner site orders, from the prices kept as data in src/hetzner/prices.ts, and of the
 * Hetzner volumes its claims ask for.
 */
import type { ProgramRun } from "../engine";
import {
  HETZNER_VOLUME_PRICE,
  monthlyCost,
  PRICED_LOCATIONS,
  PRICES_AS_OF,
  PRICES_READ,
  PRICES_SOURCE,
  type Cost,
  type CostItem,
} from "../../src/hetzner/prices";
import { HCLOUD_CLASSES } from "../../src/storage/hcloud-csi/driver";
import { HETZNER_VOLUME_LIMITS } from "../../src/storage/hcloud-csi/limits";

interface Claim {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: { readonly storageClassName?: string; readonly resources?: { readonly requests?: { readonly storage?: string } } };
}

const HCLOUD_CLASS_NAMES: readonly string[] = Object.values(HCLOUD_CLASSES);

/**
 * One cost item per claim the plan applies on a Hetzner StorageClass: the size Hetzner bills (at least its smallest
 * volume), at the volume price. Claims apps make at run time are not in the plan.
 */
export function volumeItems(objects: readonly Record<string, unknown>[]): CostItem[] {
  return (objects as readonly Claim[])
    .filter((o) => o.kind === "PersistentVolumeClaim" && HCLOUD_CLASS_NAMES.includes(o.spec?.storageClassName ?? ""))
    .map((o) => {
      // The program writes sizes as <n>Gi (src/storage/volumes/claims.ts, src/storage/verify.ts).
      const gb = Math.max(Number(/^(\d+)Gi$/.exec(o.spec?.resources?.requests?.storage ?? "")?.[1] ?? 0), HETZNER_VOLUME_LIMITS.minGb);
      return { what: `volume ${o.metadata?.name} (${gb} GB)`, count: 1, each: Math.round(gb * HETZNER_VOLUME_PRICE.eurPerGbMonth * 100) / 100 };
    });
}

/** What the run orders at Hetzner, or undefined for a site on your own hosts. */
export function costOf(run: ProgramRun, objects: readonly Record<string, unknown>[] = []): { location: string; cost: Cost } | undefined {
  const servers = run.resources.filter((r) => r.type === "hcloud:index/server:Server");
  if (servers.length === 0) return undefined;
  const location = String(servers[0]!.inputs.location);
  const lb = run.resources.find((r) => r.type === "hcloud:index/loadBalancer:LoadBalancer");
  const cost = monthlyCost({
    location,
    servers: servers.map((s) => ({
      serverType: String(s.inputs.serverType),
      publicIpv4: ((s.inputs.publicNets as { ipv4Enabled?: boolean }[] | undefined) ?? []).some((n) => n.ipv4Enabled !== false),
    })),
    loadBalancerType: lb ? String(lb.inputs.loadBalancerType) : undefined,
  });
  const volumes = volumeItems(objects);
  if (volumes.length === 0) return { location, cost };
  const items = [...cost.items, ...volumes];
  const known = Math.round(items.reduce((sum, i) => sum + (i.each ?? 0) * i.count, 0) * 100) / 100;
  return { location, cost: { items, known, unknown: cost.unknown } };
}

const eur = (n: number) => n.toFixed(2);

export function costLines(run: ProgramRun, objects: readonly Record<string, unknown>[] = []): string[] {
  const of = costOf(run, objects);
  if (!of) return ["monthly cost: nothing at Hetzner (your own hosts)"];
  const { cost, location } = of;
  const lines = [
    `monthly cost at Hetzner, EUR net of VAT: Hetzner's prices as of ${PRICES_AS_OF} (put together ${PRICES_READ}, ${PRICES_SOURCE}; ` +
      "check hetzner.com/cloud)",
  ];
  if (cost.items.some((i) => i.what.startsWith("volume "))) {
    lines.push(`  volumes at ${HETZNER_VOLUME_PRICE.eurPerGbMonth} EUR per GB and month as of ${HETZNER_VOLUME_PRICE.date} (${PRICES_SOURCE})`);
  }
  const width = Math.max(...cost.items.map((i) => i.what.length));
  for (const i of cost.items) {
    lines.push(
      i.each === undefined
        ? `  ${String(i.count).padStart(3)} x ${i.what.padEnd(width)}  price not known here${PRICED_LOCATIONS.includes(location) ? "" : ` (the table holds ${PRICED_LOCATIONS.join(", ")} only)`}`
        : `  ${String(i.count).padStart(3)} x ${i.what.padEnd(width)}  at ${eur(i.each).padStart(6)} = ${eur(i.each * i.count).padStart(7)}`,
    );
  }
  lines.push(
    cost.unknown.length === 0
      ? `  total ${eur(cost.known)} a month (the network, firewall, placement groups, SSH key and IPv6 cost nothing; traffic beyond the included volume comes on top)`
      : `  total at least ${eur(cost.known)} a month: ${cost.unknown.map((i) => i.what).join(", ")} not priced here`,
  );
  return lines;
}
