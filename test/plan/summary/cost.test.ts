/** The plan summary's monthly cost, from the servers and load balancer the run orders at Hetzner. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manifestsOf } from "../../../plan/render";
import { costLines } from "../../../plan/summary/cost";
import { hetznerSections } from "../../helpers";
import { planOf, planOfSections } from "../run";

describe("the plan summary's monthly cost", () => {
  it("adds up the prod example's servers, load balancer and IPv4 addresses, with the prices' date and source", async () => {
    assert.deepEqual(costLines(await planOf("prod")), [
      "monthly cost at Hetzner, EUR net of VAT: Hetzner's prices as of 2026-09-04 (put together 2026-12-07, src/hetzner/prices.ts; check hetzner.com/cloud)",
      "    5 x server cpx22        at  19.49 =   97.45",
      "    1 x load balancer lb21  at  21.49 =   21.49",
      "    5 x primary IPv4        at   0.50 =    2.50",
      "  total 121.44 a month (the network, firewall, placement groups, SSH key and IPv6 cost nothing; traffic beyond the included volume comes on top)",
    ]);
  });

  it("adds the Hetzner volumes the plan's claims ask for: the declared ones and the storage check's", async () => {
    const run = await planOf("prod");
    const lines = costLines(run, manifestsOf(run));
    assert.deepEqual(lines.slice(1), [
      "  volumes at 0.0572 EUR per GB and month as of 2026-05-27 (src/hetzner/prices.ts)",
      "    5 x server cpx22                              at  19.49 =   97.45",
      "    1 x load balancer lb21                        at  21.49 =   21.49",
      "    5 x primary IPv4                              at   0.50 =    2.50",
      "    1 x volume verify-storage-hcloud-csi (10 GB)  at   0.57 =    0.57",
      "    1 x volume postgres-data (20 GB)              at   1.14 =    1.14",
      "  total 123.15 a month (the network, firewall, placement groups, SSH key and IPv6 cost nothing; traffic beyond the included volume comes on top)",
    ]);
  });

  it("says what it cannot price, and that the total is then a lower bound", async () => {
    const raw = hetznerSections();
    raw.site.pools = [{ name: "control", role: "server", count: 1, serverType: "cpx32" }];
    const lines = costLines(await planOfSections(raw));
    assert.deepEqual(lines.slice(1), [
      "    1 x server cpx32        price not known here",
      "    1 x load balancer lb11  at   7.49 =    7.49",
      "    1 x primary IPv4        at   0.50 =    0.50",
      "  total at least 7.99 a month: server cpx32 not priced here",
    ]);
  });

  it("costs nothing at Hetzner on a home site", async () => {
    assert.deepEqual(costLines(await planOf("home")), ["monthly cost: nothing at Hetzner (your own hosts)"]);
  });
});
