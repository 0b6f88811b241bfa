import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectorsDisjoint } from "../../src/config/rules-apps";
import { clone, declaredApps as apps, hetznerSections, parse1, problemsOf, sshSections } from "../helpers";

type Raw = ReturnType<typeof hetznerSections>;


function hetzner(edit: (apps: Record<string, any>[], raw: Raw) => void): Raw {
  const raw = clone(hetznerSections());
  const list = apps();
  edit(list, raw);
  raw.networkPolicies = { apps: list };
  return raw;
}

describe("networkPolicies.apps", () => {
  it("accepts the fixture and fills in the defaults", () => {
    const raw = hetzner(() => {});
    assert.deepEqual(problemsOf(raw), []);
    const [website, postgres] = parse1(raw).networkPolicies.apps;
    assert.deepEqual(website!.podSelector, { app: "website" });
    assert.deepEqual(website!.ports, [{ port: 8080, protocol: "TCP", name: "http" }]);
    assert.deepEqual(postgres!.to, []);
  });

  it("keeps a declared podSelector", () => {
    const raw = hetzner((a) => {
      a[0]!.podSelector = { "app.kubernetes.io/name": "website" };
      a[1]!.podSelector = { "app.kubernetes.io/name": "postgres", role: "primary" };
    });
    assert.deepEqual(parse1(raw).networkPolicies.apps[1]!.podSelector, {
      "app.kubernetes.io/name": "postgres",
      role: "primary",
    });
  });

  it("rejects a call to an unknown app", () => {
    const raw = hetzner((a) => (a[0]!.to[1] = { app: "db" }));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[0].to[1].app "db" is not a declared app: declare it under networkPolicies.apps, or fix the name',
      'networkPolicies.apps[1].from[0].app "website" does not list "postgres" under to, so its own policy stops the call: add {app: postgres} to networkPolicies.apps[0].to, or remove this entry',
    ]);
  });

  it("rejects a caller that is not a declared app", () => {
    const raw = hetzner((a) => a[1]!.from.push({ app: "backup" }));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[1].from[1].app "backup" is not a declared app: declare it under networkPolicies.apps, or fix the name',
    ]);
  });

  it("rejects a port the target app does not declare", () => {
    const raw = hetzner((a) => (a[0]!.to[1] = { app: "postgres", ports: [{ port: 5433 }] }));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[0].to[1].ports[0] 5433/TCP is not a port of app "postgres", which declares 5432/TCP: use one of those, or add it to networkPolicies.apps[1].ports',
    ]);
  });

  it("rejects a port of the wrong protocol", () => {
    const raw = hetzner((a) => (a[0]!.to[1] = { app: "postgres", ports: [{ port: 5432, protocol: "UDP" }] }));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[0].to[1].ports[0] 5432/UDP is not a port of app "postgres", which declares 5432/TCP: use one of those, or add it to networkPolicies.apps[1].ports',
    ]);
  });

  it("rejects a duplicate app name", () => {
    const raw = hetzner((a) => a.push({ name: "mail", namespace: "mail2" }));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[3].name "mail" is also the name of networkPolicies.apps[2]: app names must be unique',
    ]);
  });

  it("rejects an invalid cidr at its key", () => {
    const raw = hetzner((a) => (a[2]!.to[1].cidr = "198.51.100.300/32"));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[2].to[1].cidr "198.51.100.300/32" is invalid: expected a CIDR range such as 10.42.0.0/16',
    ]);
  });

  it("rejects a cidr with host bits and suggests the range", () => {
    const raw = hetzner((a) => (a[2]!.to[1].cidr = "198.51.100.25/24"));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[2].to[1].cidr "198.51.100.25/24" is invalid: has host bits set: did you mean 198.51.100.0/24?',
    ]);
  });

  it("rejects a cidr inside the service range", () => {
    const raw = hetzner((a) => (a[2]!.to[1].cidr = "10.43.0.0/24"));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[2].to[1].cidr 10.43.0.0/24 lies inside k3s.serviceCidr 10.43.0.0/16: policies see a Service's pods, after its address is translated, so nothing ever matches it; name the app behind the Service instead",
    ]);
  });

  it("rejects a caller cidr inside the pod range", () => {
    const raw = hetzner((a) => (a[1]!.from = [{ app: "website" }, { cidr: "10.42.3.0/24" }]));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[1].from[1].cidr 10.42.3.0/24 lies inside k3s.clusterCidr 10.42.0.0/16: pod addresses change whenever a pod restarts; declare those pods as an app and name it",
    ]);
  });

  it("rejects a cidr peer without ports", () => {
    const raw = hetzner((a) => delete a[2]!.to[1].ports);
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[2].to[1].ports is required with cidr: list the ports mail calls at 198.51.100.25/32, e.g. [{port: 587}]",
    ]);
  });

  it("rejects ports on dns", () => {
    const raw = hetzner((a) => (a[0]!.to[0] = { dns: true, ports: [{ port: 53 }] }));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[0].to[0].ports does not apply to dns, which is always port 53 over UDP and TCP: remove it",
    ]);
  });

  it("rejects a peer that names two things", () => {
    const raw = hetzner((a) => (a[0]!.from[0] = { nginx: true, cidr: "192.0.2.0/24" }));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[0].from[0] {"nginx":true,"cidr":"192.0.2.0/24"} is invalid: sets nginx and cidr: set exactly one of app, ingress, nginx, loadBalancer, cidr',
    ]);
  });

  it("rejects a peer that names nothing", () => {
    const raw = hetzner((a) => (a[0]!.to[0] = {}));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[0].to[0] {} is invalid: names no peer: set exactly one of app, dns, cidr",
    ]);
  });

  it("rejects nginx: false instead of leaving it out", () => {
    const raw = hetzner((a) => (a[0]!.from[0] = { nginx: false }));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[0].from[0].nginx false is invalid: expected true, or leave the key out",
    ]);
  });

  it("reads nginx: true, the peer's older name, as ingress: true", () => {
    const old = parse1(hetzner((a) => (a[0]!.from[0] = { nginx: true })));
    const now = parse1(hetzner((a) => (a[0]!.from[0] = { ingress: true })));
    assert.deepEqual(old.networkPolicies.apps[0]!.from, [{ ingress: true }]);
    assert.deepEqual(now.networkPolicies.apps, old.networkPolicies.apps);
  });

  it("rejects a peer that names the ingress twice", () => {
    const raw = hetzner((a) => (a[0]!.from[0] = { ingress: true, nginx: true }));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[0].from[0] {\"ingress\":true,\"nginx\":true} is invalid: sets ingress and nginx: set exactly one of app, ingress, nginx, loadBalancer, cidr",
    ]);
  });

  it("rejects a call the callee does not accept", () => {
    const raw = hetzner((a) => (a[1]!.from = []));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[0].to[1].app "postgres" does not accept calls from "website": add {app: website} to networkPolicies.apps[1].from, or remove this entry',
    ]);
  });

  it("rejects callers of an app without ports", () => {
    const raw = hetzner((a) => {
      a[1]!.ports = [];
      a[0]!.to[1] = { app: "postgres" };
    });
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[1].ports is empty, but from lists callers: declare the ports they call, e.g. [{port: 8080}]",
    ]);
  });

  it("rejects a port declared twice", () => {
    const raw = hetzner((a) => a[2]!.ports.push({ port: 25, protocol: "TCP" }));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[2].ports[2] 25/TCP is also networkPolicies.apps[2].ports[0]: declare each port once",
    ]);
  });

  it("rejects apps in one namespace whose selectors can pick the same pods", () => {
    const raw = hetzner((a) => (a[1]!.podSelector = { tier: "db" }));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[1].podSelector {tier: db} can select the pods of networkPolicies.apps[0] (website, {app: website}) in namespace web, and each app's policy would apply to both: give the two apps different values of one label, e.g. app: postgres and app: website",
    ]);
  });

  it("rejects an empty podSelector", () => {
    const raw = hetzner((a) => (a[1]!.podSelector = {}));
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[1].podSelector {} is invalid: selects every pod of the namespace: list the app's own labels, e.g. {app: web}",
    ]);
  });

  for (const namespace of ["kube-system", "nginx-ingress", "cert-manager"]) {
    it(`rejects an app in the namespace ${namespace}`, () => {
      const raw = hetzner((a) => (a[2]!.namespace = namespace));
      const problems = problemsOf(raw);
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, new RegExp(`^networkPolicies\\.apps\\[2\\]\\.namespace "${namespace}" is .*, whose policies k3s-sites writes itself: put the app in a namespace of its own, e\\.g\\. mail$`));
    });
  }

  it("rejects an app in Traefik's namespace on a site whose controller is nginx", () => {
    const raw = hetzner((a) => (a[2]!.namespace = "traefik"));
    assert.deepEqual(problemsOf(raw), [
      `networkPolicies.apps[2].namespace "traefik" is the ingress controller's namespace, whose policies k3s-sites writes itself: put the app in a namespace of its own, e.g. mail`,
    ]);
  });

  it("names k3s's own pods when refusing kube-system", () => {
    const raw = hetzner((a) => (a[2]!.namespace = "kube-system"));
    assert.deepEqual(problemsOf(raw), [
      `networkPolicies.apps[2].namespace "kube-system" is k3s's own namespace (CoreDNS, the CNI, metrics-server), whose policies k3s-sites writes itself: put the app in a namespace of its own, e.g. mail`,
    ]);
  });

  it("rejects a namespace that is not a DNS label", () => {
    const raw = hetzner((a) => (a[2]!.namespace = "Mail"));
    assert.deepEqual(problemsOf(raw), [
      'networkPolicies.apps[2].namespace "Mail" is invalid: expected a DNS label: lower-case letters, digits and \'-\', at most 63 characters, e.g. worker-1',
    ]);
  });

  it("rejects loadBalancer callers on a home site and suggests the LAN", () => {
    const raw = clone(sshSections());
    raw.networkPolicies = { apps: [{ name: "mail", namespace: "mail", ports: [{ port: 25 }], from: [{ loadBalancer: true }] }] };
    assert.deepEqual(problemsOf(raw), [
      "networkPolicies.apps[0].from[0].loadBalancer is for hetzner sites, whose load balancer forwards from its private address; on this site traffic comes from the clients themselves: list them as cidr, e.g. 192.168.1.0/24 (the LAN) or 0.0.0.0/0 (anyone)",
    ]);
  });

  it("collects every problem at once", () => {
    const raw = hetzner((a) => {
      a[0]!.to[1] = { app: "db" };
      a.push({ name: "mail", namespace: "mail2" });
    });
    assert.equal(problemsOf(raw).length, 3);
  });
});

describe("selectorsDisjoint", () => {
  it("is true only when the selectors require different values of one label", () => {
    assert.equal(selectorsDisjoint({ app: "a" }, { app: "b" }), true);
    assert.equal(selectorsDisjoint({ app: "a", tier: "x" }, { tier: "y" }), true);
    assert.equal(selectorsDisjoint({ app: "a" }, { app: "a", tier: "db" }), false);
    assert.equal(selectorsDisjoint({ app: "a" }, { tier: "db" }), false);
  });
});
