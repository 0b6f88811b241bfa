/** The monthly cost of what a Hetzner site orders, from the prices kept as data in src/hetzner/prices.ts. */
import type { ProgramRun } from "../engine";
import { monthlyCost, PRICED_LOCATIONS, PRICES_AS_OF, PRICES_READ, PRICES_SOURCE, type Cost } from "../../src/hetzner/prices";

/** What the run orders at Hetzner, or undefined for a site on your own hosts. */
export function costOf(run: ProgramRun): { location: string; cost: Cost } | undefined {
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
  return { location, cost };
}

const eur = (n: number) => n.toFixed(2);

export function costLines(run: ProgramRun): string[] {
  const of = costOf(run);
  if (!of) return ["monthly cost: nothing at Hetzner (your own hosts)"];
  const { cost, location } = of;
  const lines = [
    `monthly cost at Hetzner, EUR net of VAT: Hetzner's prices as of ${PRICES_AS_OF} (put together ${PRICES_READ}, ${PRICES_SOURCE}; ` +
      "check hetzner.com/cloud)",
  ];
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
