import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SiteConfig } from "../../src/config/site";
import { isHetzner } from "../../src/config/site";
import {
  appPolicy,
  managedNamespaces,
  networkPolicies,
  type NetworkPolicy,
} from "../../src/policy/network-policies";
import { ciliumValues } from "../../src/cni/cilium";
import { remoteNodeSources } from "../../src/policy/context";
import { clone, declaredApps, exampleSections, hetznerSections, parse1, problemsOf, sshSections } from "../helpers";
import { egressAllowed, ingressAllowed } from "../../plan/charts/reach";
import { NGINX } from "../../src/edge/names";
import { validateBuiltin } from "../support/schemas";

type Raw = Record<string, any>;


/** The Hetzner fixture (servers 10.0.116.10-12, load balancer 10.0.0.10, Canal) with the apps. */
function hetznerSite(edit: (raw: Raw) => void = () => {}): SiteConfig {
  const raw = clone(hetznerSections());
  raw.networkPolicies = { apps: declaredApps() };
  edit(raw);
  return parse1(raw);
}

/** The home fixture (server nuc 192.168.1.10, Cilium) with the mail server open to anyone. */
function sshSite(edit: (raw: Raw) => void = () => {}): SiteConfig {
  const raw = clone(sshSections());
  const apps = declaredApps();
  apps[2]!.from = [{ cidr: "0.0.0.0/0" }];
  raw.networkPolicies = { apps };
  edit(raw);
  return parse1(raw);
}

function byName(policies: readonly NetworkPolicy[], namespace: string, name: string): NetworkPolicy {
  const found = policies.filter((p) => p.metadata.namespace === namespace && p.metadata.name === name);
  assert.equal(found.length, 1, `expected one policy ${namespace}/${name}, found ${found.length}`);
  return found[0]!;
}

const names = (policies: readonly NetworkPolicy[]): string[] =>
  policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);

const LABELS = { "app.kubernetes.io/managed-by": "k3s-sites" };

function pods(namespace: string, labels: Record<string, string>) {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: labels },
  };
}

const NGINX_LABELS = { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/part-of": "k3s-sites" };
const NGINX_PODS = pods("nginx-ingress", NGINX_LABELS);
const SOLVER = { "acme.cert-manager.io/http01-solver": "true" };
const DNS = {
  to: [pods("kube-system", { "k8s-app": "kube-dns" })],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};
const SERVERS = ["10.0.116.10/32", "10.0.116.11/32", "10.0.116.12/32"].map((cidr) => ({ ipBlock: { cidr } }));
const API = { to: SERVERS, ports: [{ protocol: "TCP", port: 6443 }] };
/** HTTP-01 solver pods in any namespace, on the solver's port. */
const SOLVERS_ANYWHERE = {
  to: [{ namespaceSelector: {}, podSelector: { matchLabels: SOLVER } }],
  ports: [{ protocol: "TCP", port: 8089 }],
};

function policy(namespace: string, name: string, spec: Raw): Raw {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels: LABELS }, spec };
}

describe("app policies", () => {
  const site = hetznerSite();
  const apps = site.networkPolicies.apps;

  it("a website reached through nginx calls DNS and its database", () => {
    assert.deepEqual(
      appPolicy(site, apps[0]!),
      policy("web", "app-website", {
        podSelector: { matchLabels: { app: "website" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [NGINX_PODS], ports: [{ protocol: "TCP", port: 8080 }] }],
        egress: [DNS, { to: [pods("web", { app: "postgres" })], ports: [{ protocol: "TCP", port: 5432 }] }],
      }),
    );
  });

  it("a database accepts the website only, and calls nothing", () => {
    assert.deepEqual(
      appPolicy(site, apps[1]!),
      policy("web", "app-postgres", {
        podSelector: { matchLabels: { app: "postgres" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [pods("web", { app: "website" })], ports: [{ protocol: "TCP", port: 5432 }] }],
        egress: [],
      }),
    );
  });

  it("a mail server accepts the load balancer's private address and calls a relay", () => {
    assert.deepEqual(
      appPolicy(site, apps[2]!),
      policy("mail", "app-mail", {
        podSelector: { matchLabels: { app: "mail" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [{ ipBlock: { cidr: "10.0.0.10/32" } }],
            ports: [
              { protocol: "TCP", port: 25 },
              { protocol: "TCP", port: 993 },
            ],
          },
        ],
        egress: [DNS, { to: [{ ipBlock: { cidr: "198.51.100.25/32" } }], ports: [{ protocol: "TCP", port: 587 }] }],
      }),
    );
  });

  it("a call limited to some ports allows only those, with the selector the callee declares", () => {
    const s = hetznerSite((raw) => {
      const [website, postgres] = raw.networkPolicies.apps;
      postgres.podSelector = { app: "postgres", role: "primary" };
      postgres.ports = [{ port: 5432 }, { port: 9187, name: "metrics" }];
      website.to[1] = { app: "postgres", ports: [{ port: 5432 }] };
    });
    assert.deepEqual(appPolicy(s, s.networkPolicies.apps[0]!).spec.egress?.[1], {
      to: [pods("web", { app: "postgres", role: "primary" })],
      ports: [{ protocol: "TCP", port: 5432 }],
    });
  });

  it("a UDP port and a caller cidr", () => {
    const s = hetznerSite((raw) =>
      raw.networkPolicies.apps.push({
        name: "dns",
        namespace: "dns",
        ports: [{ port: 5353, protocol: "UDP" }],
        from: [{ cidr: "192.0.2.0/24" }, { cidr: "2001:db8::/32" }],
      }),
    );
    assert.deepEqual(appPolicy(s, s.networkPolicies.apps[3]!).spec.ingress, [
      {
        from: [{ ipBlock: { cidr: "192.0.2.0/24" } }, { ipBlock: { cidr: "2001:db8::/32" } }],
        ports: [{ protocol: "UDP", port: 5353 }],
      },
    ]);
  });

  it("an app nobody calls denies all ingress", () => {
    const s = hetznerSite((raw) => raw.networkPolicies.apps.push({ name: "worker", namespace: "jobs", to: [{ dns: true }] }));
    const p = appPolicy(s, s.networkPolicies.apps[3]!);
    assert.deepEqual(p.spec.policyTypes, ["Ingress", "Egress"]);
    assert.deepEqual(p.spec.ingress, []);
    assert.deepEqual(p.spec.egress, [DNS]);
  });
});

describe("networkPolicies on a Hetzner site", () => {
  const site = hetznerSite();
  const all = networkPolicies(site);

  it("writes exactly these policies, namespace by namespace", () => {
    assert.deepEqual(names(all), [
      "nginx-ingress/default-deny",
      "nginx-ingress/allow-dns",
      "nginx-ingress/nginx-ingress-from-clients",
      "nginx-ingress/nginx-ingress-to-api-server",
      "nginx-ingress/nginx-ingress-to-backends",
      "cert-manager/default-deny",
      "cert-manager/allow-dns",
      "cert-manager/cert-manager-to-api-server",
      "cert-manager/cert-manager-webhook-from-api-server",
      "cert-manager/cert-manager-to-acme",
      "hcloud-csi/default-deny",
      "hcloud-csi/allow-dns",
      "hcloud-csi/hcloud-csi-controller",
      "hcloud-csi/hcloud-csi-node-to-metadata",
      "k3s-sites-verify-storage/default-deny",
      "k3s-sites-verify-storage/allow-dns",
      "web/default-deny",
      "web/allow-dns",
      "web/acme-http01-solver-from-nginx",
      "web/app-website",
      "web/app-postgres",
      "mail/default-deny",
      "mail/allow-dns",
      "mail/acme-http01-solver-from-nginx",
      "mail/app-mail",
    ]);
  });

  it("denies everything in every managed namespace, and lets every pod there use DNS", () => {
    assert.deepEqual(managedNamespaces(site), ["nginx-ingress", "cert-manager", "web", "mail"]);
    for (const ns of managedNamespaces(site)) {
      assert.deepEqual(
        byName(all, ns, "default-deny"),
        policy(ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] }),
      );
      assert.deepEqual(
        byName(all, ns, "allow-dns"),
        policy(ns, "allow-dns", { podSelector: {}, policyTypes: ["Egress"], egress: [DNS] }),
      );
    }
  });

  it("lets only the load balancer's private address reach nginx on 80 and 443", () => {
    assert.ok(isHetzner(site.site));
    assert.equal(site.site.plan.loadBalancerIp, "10.0.0.10");
    assert.deepEqual(
      byName(all, "nginx-ingress", "nginx-ingress-from-clients"),
      policy("nginx-ingress", "nginx-ingress-from-clients", {
        podSelector: { matchLabels: NGINX_LABELS },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ ipBlock: { cidr: "10.0.0.10/32" } }],
            ports: [
              { protocol: "TCP", port: 80 },
              { protocol: "TCP", port: 443 },
            ],
          },
        ],
      }),
    );
  });

  it("lets nginx reach the API on every server's private address, port 6443", () => {
    assert.deepEqual(
      site.nodes.filter((n) => n.role === "server").map((n) => `${n.privateIp}/32`),
      SERVERS.map((s) => s.ipBlock.cidr),
    );
    assert.deepEqual(byName(all, "nginx-ingress", "nginx-ingress-to-api-server").spec, {
      podSelector: { matchLabels: NGINX_LABELS },
      policyTypes: ["Egress"],
      egress: [API],
    });
  });

  it("lets nginx reach the apps that list it, on their ports, and the HTTP-01 solvers of every namespace", () => {
    assert.deepEqual(byName(all, "nginx-ingress", "nginx-ingress-to-backends").spec, {
      podSelector: { matchLabels: NGINX_LABELS },
      policyTypes: ["Egress"],
      egress: [
        { to: [pods("web", { app: "website" })], ports: [{ protocol: "TCP", port: 8080 }] },
        SOLVERS_ANYWHERE,
      ],
    });
  });

  it("lets nginx reach HTTP-01 solvers when no app is declared, so the first certificate can be issued", () => {
    const s = hetznerSite((raw) => (raw.networkPolicies.apps = []));
    assert.equal(s.certificates.enabled, true);
    assert.equal(s.certificates.dns01, undefined);
    assert.deepEqual(byName(networkPolicies(s), "nginx-ingress", "nginx-ingress-to-backends").spec.egress, [
      SOLVERS_ANYWHERE,
    ]);
  });

  it("lets nginx reach the HTTP-01 solver pods in every app namespace", () => {
    for (const ns of ["web", "mail"]) {
      assert.deepEqual(
        byName(all, ns, "acme-http01-solver-from-nginx"),
        policy(ns, "acme-http01-solver-from-nginx", {
          podSelector: { matchLabels: SOLVER },
          policyTypes: ["Ingress"],
          ingress: [{ from: [NGINX_PODS], ports: [{ protocol: "TCP", port: 8089 }] }],
        }),
      );
    }
  });

  it("lets every cert-manager pod reach the API", () => {
    assert.deepEqual(byName(all, "cert-manager", "cert-manager-to-api-server").spec, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [API],
    });
  });

  it("lets the API server reach the webhook from the servers and, on Canal, from the flannel.1 addresses", () => {
    assert.equal(site.cni.plugin, "canal");
    assert.deepEqual(byName(all, "cert-manager", "cert-manager-webhook-from-api-server").spec, {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "webhook", "app.kubernetes.io/instance": "cert-manager" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [...SERVERS, { ipBlock: { cidr: "10.42.0.0/16" } }], ports: [{ protocol: "TCP", port: 10250 }] }],
    });
  });

  it("lets the controller reach ACME on 443 and its HTTP-01 self-check on 80, outside the cluster's ranges", () => {
    assert.deepEqual(byName(all, "cert-manager", "cert-manager-to-acme").spec, {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/instance": "cert-manager" } },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.42.0.0/16", "10.43.0.0/16"] } }, { ipBlock: { cidr: "::/0" } }],
          ports: [
            { protocol: "TCP", port: 80 },
            { protocol: "TCP", port: 443 },
          ],
        },
      ],
    });
  });

  it("leaves cert-manager's namespace alone when certificates are off", () => {
    const s = hetznerSite((raw) => (raw.certificates = { enabled: false }));
    assert.deepEqual(managedNamespaces(s), ["nginx-ingress", "web", "mail"]);
    const ps = networkPolicies(s);
    assert.deepEqual(ps.filter((p) => p.metadata.namespace === "cert-manager"), []);
    assert.deepEqual(ps.filter((p) => p.metadata.name === "acme-http01-solver-from-nginx"), []);
    assert.equal(byName(ps, "nginx-ingress", "nginx-ingress-to-backends").spec.egress?.length, 1);
  });

  it("writes no backends policy for nginx when no app lists it", () => {
    const s = hetznerSite((raw) => {
      raw.networkPolicies.apps = [];
      raw.certificates = { enabled: false };
    });
    assert.deepEqual(names(networkPolicies(s)), [
      "nginx-ingress/default-deny",
      "nginx-ingress/allow-dns",
      "nginx-ingress/nginx-ingress-from-clients",
      "nginx-ingress/nginx-ingress-to-api-server",
      "hcloud-csi/default-deny",
      "hcloud-csi/allow-dns",
      "hcloud-csi/hcloud-csi-controller",
      "hcloud-csi/hcloud-csi-node-to-metadata",
      "k3s-sites-verify-storage/default-deny",
      "k3s-sites-verify-storage/allow-dns",
    ]);
  });

  it("writes only the apps' policies when defaultDeny is off", () => {
    const s = hetznerSite((raw) => (raw.networkPolicies.defaultDeny = false));
    assert.deepEqual(networkPolicies(s), s.networkPolicies.apps.map((a) => appPolicy(s, a)));
    assert.deepEqual(names(networkPolicies(s)), ["web/app-website", "web/app-postgres", "mail/app-mail"]);
  });
});

describe("the API server's calls to webhooks on another node", () => {
  // A node's host traffic to a remote pod leaves through the CNI's overlay device, whose address is in the node's pod
  // range: flannel.1 on Canal, cilium_host on Cilium's tunnel (src/policy/system.ts remoteNodeSources).
  const cases: [string, (raw: Raw) => void][] = [
    ["canal on hetzner", (raw) => (raw.cni = { plugin: "canal" })],
    ["cilium on hetzner", (raw) => (raw.cni = { plugin: "cilium" })],
  ];
  for (const [label, cni] of cases) {
    it(`are let in from the servers and the pod range (${label}), for cert-manager's and Hetzner's webhooks`, () => {
      const s = hetznerSite((raw) => {
        cni(raw);
        raw.k3s.clusterCidr = "10.52.0.0/16";
        raw.certificates = { email: "ops@example.com", dns01: { provider: "hetzner" } };
      });
      assert.equal(s.cni.plugin, label.split(" ")[0]);
      const all = networkPolicies(s);
      const from = [...SERVERS, { ipBlock: { cidr: "10.52.0.0/16" } }];
      assert.deepEqual(byName(all, "cert-manager", "cert-manager-webhook-from-api-server").spec.ingress, [
        { from, ports: [{ protocol: "TCP", port: 10250 }] },
      ]);
      assert.deepEqual(byName(all, "cert-manager", "hetzner-webhook").spec.ingress?.[0]?.from, from);
    });
  }

  it("on Cilium, follow the routing mode the chart values set: a tunnel", () => {
    const s = hetznerSite((raw) => (raw.cni = { plugin: "cilium" }));
    assert.equal(ciliumValues(s).routingMode, "tunnel");
    assert.deepEqual(remoteNodeSources(s), [{ ipBlock: { cidr: "10.42.0.0/16" } }]);
  });
});

describe("networkPolicies with DNS-01", () => {
  it("drops the HTTP-01 rules and lets the controller query nameservers anywhere", () => {
    const s = hetznerSite((raw) => (raw.certificates = { email: "ops@example.com", dns01: { provider: "cloudflare" } }));
    const all = networkPolicies(s);
    assert.deepEqual(all.filter((p) => p.metadata.name === "acme-http01-solver-from-nginx"), []);
    assert.deepEqual(byName(all, "nginx-ingress", "nginx-ingress-to-backends").spec.egress, [
      { to: [pods("web", { app: "website" })], ports: [{ protocol: "TCP", port: 8080 }] },
    ]);
    assert.deepEqual(byName(all, "cert-manager", "cert-manager-to-acme").spec.egress?.[0]?.ports, [
      { protocol: "TCP", port: 443 },
    ]);
    assert.deepEqual(byName(all, "cert-manager", "cert-manager-to-dns").spec.egress, [
      {
        to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
  });

  it("adds an rfc2136 nameserver's own port", () => {
    const s = hetznerSite(
      (raw) =>
        (raw.certificates = {
          email: "ops@example.com",
          dns01: { provider: "rfc2136", rfc2136: { nameserver: "[2001:db8::53]:5353", tsigKeyName: "k3s" } },
        }),
    );
    assert.deepEqual(byName(networkPolicies(s), "cert-manager", "cert-manager-to-dns").spec.egress?.[0]?.ports, [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
      { protocol: "UDP", port: 5353 },
      { protocol: "TCP", port: 5353 },
    ]);
  });
});

describe("networkPolicies on a home site", () => {
  const site = sshSite();
  const all = networkPolicies(site);

  it("lets anyone reach nginx on 80 and 443: clients come from the LAN or through the router", () => {
    assert.deepEqual(byName(all, "nginx-ingress", "nginx-ingress-from-clients").spec.ingress, [
      {
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 443 },
        ],
      },
    ]);
  });

  it("lets the API server reach the webhook from the server and, on Cilium's tunnel, from the cilium_host addresses", () => {
    assert.equal(site.cni.plugin, "cilium");
    assert.deepEqual(byName(all, "cert-manager", "cert-manager-webhook-from-api-server").spec.ingress, [
      {
        from: [{ ipBlock: { cidr: "192.168.1.10/32" } }, { ipBlock: { cidr: "10.42.0.0/16" } }],
        ports: [{ protocol: "TCP", port: 10250 }],
      },
    ]);
  });

  it("keeps the IPv6 pod and Service ranges out of cert-manager's internet on dual-stack", () => {
    const home = parse1(exampleSections("home"));
    assert.deepEqual(byName(networkPolicies(home), "cert-manager", "cert-manager-to-acme").spec.egress?.[0]?.to, [
      { ipBlock: { cidr: "0.0.0.0/0", except: ["10.42.0.0/16", "10.43.0.0/16"] } },
      { ipBlock: { cidr: "::/0", except: ["fd00:42::/56", "fd00:43::/112"] } },
    ]);
  });
});

describe("the example cloud stack", () => {
  const prod = parse1(exampleSections("prod"));

  it("declares a website, its database and a mail server", () => {
    assert.deepEqual(
      prod.networkPolicies.apps.map((a) => [a.name, a.namespace, a.ports.map((p) => p.port)]),
      [
        ["website", "web", [8080]],
        ["postgres", "web", [5432]],
        ["mail", "mail", [25, 465, 587, 993]],
      ],
    );
  });

  it("accepts on the mail server exactly the ports the load balancer forwards to the nodes", () => {
    assert.ok(isHetzner(prod.site));
    const forwarded = prod.site.loadBalancer.services.map((s) => s.destinationPort ?? s.listenPort);
    const mail = byName(networkPolicies(prod), "mail", "app-mail");
    assert.deepEqual(mail.spec.ingress, [
      {
        from: [{ ipBlock: { cidr: `${prod.site.plan.loadBalancerIp}/32` } }],
        ports: forwarded.map((port) => ({ protocol: "TCP", port })),
      },
    ]);
  });

  it("lets the database be called by the website only", () => {
    assert.deepEqual(byName(networkPolicies(prod), "web", "app-postgres").spec.ingress, [
      { from: [pods("web", { app: "website" })], ports: [{ protocol: "TCP", port: 5432 }] },
    ]);
  });
});

describe("every policy validates against the Kubernetes schema", () => {
  const sites: [string, () => SiteConfig][] = [
    ["the prod example", () => parse1(exampleSections("prod"))],
    ["the home example", () => parse1(exampleSections("home"))],
    ["the Hetzner fixture", () => hetznerSite()],
    ["the home fixture", () => sshSite()],
    [
      "DNS-01 over rfc2136",
      () =>
        hetznerSite(
          (raw) =>
            (raw.certificates = {
              email: "ops@example.com",
              dns01: { provider: "rfc2136", rfc2136: { nameserver: "192.0.2.53:5353", tsigKeyName: "k3s" } },
            }),
        ),
    ],
  ];
  for (const [what, site] of sites) {
    it(what, async () => {
      const policies = networkPolicies(site());
      assert.ok(policies.length > 0);
      for (const p of policies) await validateBuiltin(p);
    });
  }

  it("and the check itself refuses a broken policy", async () => {
    const broken = clone(networkPolicies(hetznerSite())[0]!) as Raw;
    broken.spec.policyTypes = ["Inbound"];
    await assert.rejects(validateBuiltin(broken as NetworkPolicy), /NetworkPolicy default-deny: .*policyTypes/);
  });
});

describe("cert-manager's HTTP-01 self-check through nginx's LoadBalancer Service", () => {
  // The controller GETs http://<domain>/.well-known/acme-challenge/<token> itself (pkg/issuer/acme/http/http.go); at
  // home the name often resolves to the Service's LAN address, which kube-proxy or Cilium turns into nginx's pod
  // before the policy sees it. Judged by the program's one evaluator (plan/charts/reach.ts).
  const controller = { namespace: "cert-manager", labels: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/instance": "cert-manager" } };
  const nginxPod = { pod: { namespace: NGINX.namespace, labels: { ...NGINX.podLabels } } };

  it("lets the controller reach nginx's pods on port 80 where nginx has a LoadBalancer Service, and nothing more", () => {
    const home = networkPolicies(parse1(exampleSections("home"))) as never;
    assert.equal(egressAllowed(home, controller, 80, nginxPod), true);
    assert.equal(egressAllowed(home, controller, 443, nginxPod), false);
    // nginx lets it in: a home site's nginx takes clients from anywhere on 80.
    assert.equal(ingressAllowed(home, { namespace: NGINX.namespace, labels: { ...NGINX.podLabels } }, 80, undefined, { pod: controller }), true);
  });

  it("adds nothing where nginx has no LoadBalancer Service, or certificates use DNS-01", () => {
    const prod = networkPolicies(parse1(exampleSections("prod"))) as never;
    assert.equal(egressAllowed(prod, controller, 80, nginxPod), false);
    const sections = exampleSections("home") as Record<string, any>;
    const dns01 = { ...sections, certificates: { ...sections.certificates, dns01: { provider: "rfc2136", rfc2136: { nameserver: "192.168.1.1", tsigKeyName: "k3s" } } } };
    assert.deepEqual(problemsOf(dns01), []);
    assert.equal(egressAllowed(networkPolicies(parse1(dns01)) as never, controller, 80, nginxPod), false);
  });
});
