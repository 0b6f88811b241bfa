import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  API_BUCKET,
  API_REQUESTS_PER_SERVER,
  apiRequestEstimate,
  hetznerWarnings,
  placementGroupCount,
} from "../../src/hetzner/limits";
import { clone, exampleSections, hetznerSections, parse1, problemsOf } from "../helpers";

/** The small Hetzner site with `edit` applied to its site section. */
function site(edit: (site: any) => void): Record<string, any> {
  const raw = clone(hetznerSections());
  edit(raw.site);
  return raw;
}

const mail = [
  { name: "smtp", listenPort: 25 },
  { name: "submissions", listenPort: 465 },
  { name: "submission", listenPort: 587 },
  { name: "imaps", listenPort: 993 },
];

describe("Hetzner's load-balancer limits", () => {
  it("refuse 6 services on an lb11, naming the count and the type that fits", () => {
    assert.deepEqual(
      problemsOf(site((s) => (s.loadBalancer = { type: "lb11", services: mail }))),
      [
        "site.loadBalancer.type lb11 has at most 5 services, and the site asks for 6 (80 and 443, plus the 4 of " +
          "site.loadBalancer.services): set site.loadBalancer.type: lb21 (15 services, 75 targets), " +
          "or forward fewer ports",
      ],
    );
  });

  it("accept 5 services on an lb11 and 6 on an lb21", () => {
    assert.deepEqual(problemsOf(site((s) => (s.loadBalancer = { type: "lb11", services: mail.slice(0, 3) }))), []);
    assert.deepEqual(problemsOf(site((s) => (s.loadBalancer = { type: "lb21", services: mail }))), []);
  });

  it("refuse more servers than the type's targets, since the label selector matches every server", () => {
    const problems = problemsOf(site((s) => (s.pools[1].count = 24))); // 3 + 24 = 27 > 25
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^site\.loadBalancer\.type lb11 has at most 25 targets, and the site's label selector matches its 27 servers .*: set site\.loadBalancer\.type: lb21/);
    assert.deepEqual(problemsOf(site((s) => (s.pools[1].count = 22))), []);
  });

  it("refuse a load-balancer type that is not in the table, listing those that are", () => {
    assert.deepEqual(problemsOf(site((s) => (s.loadBalancer = { type: "lb99" }))), [
      'site.loadBalancer.type "lb99" is not a Hetzner load balancer type k3s-sites knows: use one of lb11, lb21, lb31',
    ]);
  });
});

describe("Hetzner's network and project limits", () => {
  it("refuse more than 100 servers in the network, counting the NAT server", () => {
    const big = (s: any) => {
      s.loadBalancer = { type: "lb31" };
      s.pools = [
        { name: "control", role: "server", count: 3, serverType: "cpx22" },
        { name: "worker", role: "agent", count: 97, serverType: "cpx22" },
      ];
    };
    assert.deepEqual(problemsOf(site(big)), [], "100 servers fit");
    const withNat = problemsOf(
      site((s) => {
        big(s);
        s.publicIpv4 = false;
        s.operatorCidrs = ["2001:db8::/48"];
        s.network = { natGateway: "10.0.0.2" };
      }),
    );
    assert.deepEqual(withNat, [
      "site.pools ask for 100 servers and the NAT server (site.network.natGateway), 101 in the site's network: a Hetzner " +
        'network holds at most 100 servers (docs.hetzner.com/cloud/networks/overview). Lower the pools\' counts to 100 servers ' +
        "in all, or split the site into two stacks",
    ]);
  });

  it("refuse more than 50 placement groups, one per started ten nodes of each pool", () => {
    // 49 pools of one node and one of 12: 51 groups for 61 servers.
    const raw = site((s) => {
      s.pools = Array.from({ length: 50 }, (_, i) => ({
        name: `p${i}`,
        role: i === 0 ? "server" : "agent",
        count: i === 49 ? 12 : 1,
        serverType: "cpx22",
        subnet: `10.0.${i + 1}.0/24`,
      }));
      s.loadBalancer = { type: "lb21" };
    });
    const problems = problemsOf(raw);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^site\.pools need 51 spread placement groups \(one per 10 nodes of each pool\): a Hetzner project holds at most 50 \(docs\.hetzner\.com\/cloud\/placement-groups\/overview\)/);
    raw.site.pools[49].count = 10;
    assert.deepEqual(problemsOf(raw), []);
    assert.equal(placementGroupCount(parse1(raw)), 50);
  });
});

describe("warnings before a run", () => {
  it("warn that the Cost-Optimized types cannot be ordered, with an orderable type of the same size", () => {
    const warnings = hetznerWarnings(
      parse1(
        site((s) => {
          s.pools[0].serverType = "cx23";
          s.pools[1].serverType = "cax21";
        }),
      ),
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /^site\.pools\[0\]\.serverType cx23 cannot be ordered now \(Hetzner's plans as of 2026-12-02\): .*choose an orderable type such as cpx22 \(amd64, 2 vCPU, 4 GB\)$/);
    assert.match(warnings[1]!, /^site\.pools\[1\]\.serverType cax21 cannot be ordered now .*such as cpx32 \(amd64, 4 vCPU, 8 GB\): no arm64 type can be ordered now, and the pool's nodes become amd64$/);
  });

  it("warn about nothing for the prod example", () => {
    assert.deepEqual(hetznerWarnings(parse1(exampleSections("prod"))), []);
  });

  it("warn about a type missing from the table and about lb31's unverified limits", () => {
    const warnings = hetznerWarnings(
      parse1(
        site((s) => {
          s.pools[0].serverType = "ccx13";
          s.pools[1].serverType = "cpx22";
          s.loadBalancer = { type: "lb31" };
        }),
      ),
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /^site\.pools\[0\]\.serverType ccx13 is not in k3s-sites' table of Hetzner server types/);
    assert.match(warnings[1]!, /^site\.loadBalancer\.type lb31: its limits \(30 services, 150 targets\) are not from Hetzner's own data/);
  });

  it("estimate the API requests from the provider's calls per server, and warn once they pass half the bucket", () => {
    // 15: a protected control-plane server with the site's polling (src/hetzner/api-calls.ts, HCLOUD_POLL).
    assert.equal(API_REQUESTS_PER_SERVER, 15);
    const prod = parse1(exampleSections("prod"));
    const small = apiRequestEstimate(prod);
    assert.equal(small.servers, 5);
    assert.equal(small.requests, 5 * 15 + small.objects * 3);
    assert.equal(hetznerWarnings(prod).length, 0);
    const big = parse1(
      site((s) => {
        s.pools = [
          { name: "control", role: "server", count: 3, serverType: "cpx22" },
          { name: "worker", role: "agent", count: 97, serverType: "cpx22" },
        ];
        s.loadBalancer = { type: "lb31" };
      }),
    );
    // The largest site one network holds now stays under half the 3,600-request bucket: no warning.
    const estimate = apiRequestEstimate(big);
    assert.ok(estimate.requests < API_BUCKET / 2, String(estimate.requests));
    assert.deepEqual(hetznerWarnings(big).filter((w) => w.startsWith("creating this site")), []);
    // At the provider's default polling (19 a server) the same site would pass half the bucket: the warning reads so.
    const budget = hetznerWarnings(big, 19).filter((w) => w.startsWith("creating this site"));
    assert.equal(budget.length, 1);
    assert.match(budget[0]!, /^creating this site takes about \d+ Hetzner API requests \(19 per server for 100 servers/);
    assert.match(budget[0]!, /it fits a full bucket, but if other runs or tools share the project's token budget the run may wait up to about \d+ minutes\. Create the site in steps/);
  });
});
