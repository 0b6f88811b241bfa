import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { AppConfig } from "../../src/policy/schema";
import type { SiteConfig } from "../../src/config/site";
import { managedNamespaces, networkPolicies, type NetworkPolicy } from "../../src/policy/network-policies";
import { clone, hetznerSections, parse1 } from "../helpers";
import { matches } from "../../plan/charts/reach";

type Raw = Record<string, any>;

const CALLER_CIDRS = ["192.0.2.0/24", "198.51.100.7/32", "2001:db8::/48"];

/** One app's random traffic, by index into the site's apps. */
const appShape = (count: number) =>
  fc.record({
    namespace: fc.constantFrom("ns1", "ns2", "ns3"),
    ports: fc.uniqueArray(
      fc.record({ port: fc.constantFrom(80, 443, 5432, 8080, 9000), protocol: fc.constantFrom("TCP", "UDP") }),
      { minLength: 1, maxLength: 3, selector: (p) => `${p.port}/${p.protocol}` },
    ),
    callers: fc.subarray([...Array(count).keys()]),
    nginx: fc.boolean(),
    loadBalancer: fc.boolean(),
    cidrs: fc.subarray(CALLER_CIDRS),
    dns: fc.boolean(),
    relay: fc.boolean(),
    firstPortOnly: fc.boolean(),
  });

/** A Hetzner site with 1-6 apps whose declarations agree at both ends (as checkApps demands). */
const sites = fc
  .integer({ min: 1, max: 6 })
  .chain((count) =>
    fc.tuple(
      fc.array(appShape(count), { minLength: count, maxLength: count }),
      fc.boolean(),
      fc.constantFrom("http01", "dns01", "off"),
    ),
  )
  .map(([shapes, defaultDeny, certificates]) => {
    const apps: Raw[] = shapes.map((s, i) => ({
      name: `a${i}`,
      namespace: s.namespace,
      ports: s.ports,
      from: [
        ...s.callers.map((j) => ({ app: `a${j}` })),
        ...(s.nginx ? [{ nginx: true }] : []),
        ...(s.loadBalancer ? [{ loadBalancer: true }] : []),
        ...s.cidrs.map((cidr) => ({ cidr })),
      ],
      to: [
        ...(s.dns ? [{ dns: true }] : []),
        ...(s.relay ? [{ cidr: "203.0.113.0/24", ports: [{ port: 587 }] }] : []),
      ],
    }));
    shapes.forEach((s, i) => {
      for (const j of s.callers) {
        apps[j]!.to.push({ app: `a${i}`, ...(s.firstPortOnly ? { ports: [s.ports[0]] } : {}) });
      }
    });
    const raw = clone(hetznerSections());
    raw.networkPolicies = { defaultDeny, apps };
    if (certificates === "off") raw.certificates = { enabled: false };
    if (certificates === "dns01") raw.certificates.dns01 = { provider: "cloudflare" };
    return parse1(raw);
  });

const key = (value: unknown): string => JSON.stringify(value);

/** Whether a policy in the app's namespace selects the app's pods (an empty selector selects them all). */
function selects(policy: NetworkPolicy, app: AppConfig): boolean {
  return policy.metadata.namespace === app.namespace && matches(policy.spec.podSelector, app.podSelector);
}

function podsOf(app: AppConfig) {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": app.namespace } },
    podSelector: { matchLabels: app.podSelector },
  };
}

const NGINX = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "nginx-ingress" } },
  podSelector: { matchLabels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/part-of": "k3s-sites" } },
};
const COREDNS = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};

/** The peers an app's `from` names, as policy peers, written independently of the builder. */
function declaredCallers(site: SiteConfig, app: AppConfig): Set<string> {
  const apps = new Map(site.networkPolicies.apps.map((a) => [a.name, a]));
  return new Set(
    app.from.map((peer) => {
      if (peer.app !== undefined) return key(podsOf(apps.get(peer.app)!));
      if (peer.ingress) return key(NGINX);
      if (peer.loadBalancer) return key({ ipBlock: { cidr: "10.0.0.10/32" } });
      return key({ ipBlock: { cidr: peer.cidr } });
    }),
  );
}

function declaredCallees(site: SiteConfig, app: AppConfig): Set<string> {
  const apps = new Map(site.networkPolicies.apps.map((a) => [a.name, a]));
  const callees = app.to.map((peer) => {
    if (peer.app !== undefined) return key(podsOf(apps.get(peer.app)!));
    if (peer.dns) return key(COREDNS);
    return key({ ipBlock: { cidr: peer.cidr } });
  });
  // With defaultDeny every pod of a managed namespace may use DNS.
  return new Set([...callees, ...(site.networkPolicies.defaultDeny ? [key(COREDNS)] : [])]);
}

describe("policy properties", () => {
  it("no policy lets a peer reach an app unless the app lists it in from, and only on the app's ports", () => {
    fc.assert(
      fc.property(sites, (site) => {
        const policies = networkPolicies(site);
        for (const app of site.networkPolicies.apps) {
          const allowed = declaredCallers(site, app);
          const ports = new Set(app.ports.map((p) => key({ protocol: p.protocol, port: p.port })));
          for (const policy of policies.filter((p) => selects(p, app))) {
            for (const rule of policy.spec.ingress ?? []) {
              const where = `${policy.metadata.namespace}/${policy.metadata.name} for app ${app.name}`;
              assert.ok(rule.from && rule.from.length > 0, `${where} admits any source`);
              for (const peer of rule.from) assert.ok(allowed.has(key(peer)), `${where} admits ${key(peer)}`);
              assert.ok(rule.ports && rule.ports.length > 0, `${where} admits any port`);
              for (const port of rule.ports) assert.ok(ports.has(key(port)), `${where} admits port ${key(port)}`);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("no policy lets an app call a peer it does not list in to (DNS aside, with defaultDeny)", () => {
    fc.assert(
      fc.property(sites, (site) => {
        const policies = networkPolicies(site);
        for (const app of site.networkPolicies.apps) {
          const allowed = declaredCallees(site, app);
          for (const policy of policies.filter((p) => selects(p, app))) {
            for (const rule of policy.spec.egress ?? []) {
              const where = `${policy.metadata.namespace}/${policy.metadata.name} for app ${app.name}`;
              assert.ok(rule.to && rule.to.length > 0, `${where} allows any destination`);
              for (const peer of rule.to) assert.ok(allowed.has(key(peer)), `${where} allows ${key(peer)}`);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("every call declared at both ends is allowed at both ends", () => {
    fc.assert(
      fc.property(sites, (site) => {
        const policies = networkPolicies(site);
        const apps = new Map(site.networkPolicies.apps.map((a) => [a.name, a]));
        for (const caller of site.networkPolicies.apps) {
          for (const peer of caller.to.filter((t) => t.app !== undefined)) {
            const callee = apps.get(peer.app!)!;
            const egress = policies
              .filter((p) => selects(p, caller))
              .flatMap((p) => p.spec.egress ?? [])
              .some((r) => r.to?.some((t) => key(t) === key(podsOf(callee))));
            const ingress = policies
              .filter((p) => selects(p, callee))
              .flatMap((p) => p.spec.ingress ?? [])
              .some((r) => r.from?.some((f) => key(f) === key(podsOf(caller))));
            assert.ok(egress && ingress, `${caller.name} -> ${callee.name}: egress ${egress}, ingress ${ingress}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("with defaultDeny, every managed namespace denies all traffic by default", () => {
    fc.assert(
      fc.property(sites, (site) => {
        if (!site.networkPolicies.defaultDeny) return;
        const policies = networkPolicies(site);
        for (const ns of managedNamespaces(site)) {
          const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === "default-deny");
          assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] }, ns);
        }
      }),
      { numRuns: 100 },
    );
  });
});
