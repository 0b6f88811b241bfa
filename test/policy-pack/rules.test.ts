import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  SECRET_MARK,
  TYPES,
  commandSecretProblems,
  INGRESS_NAMESPACES,
  defaultDenyProblems,
  firewallProblems,
  portCovers,
  privilegedProblems,
  protectProblems,
  userDataProblems,
  type KubeObject,
  type PolicyResource,
} from "../../policy/rules";

const sshRule = (sourceIps: string[], port = "22") => ({ description: "SSH", direction: "in", protocol: "tcp", port, sourceIps });

describe("policy rule: no world-open SSH or API", () => {
  it("refuses 22 and 6443 open to 0.0.0.0/0 or ::/0, and a range covering them", () => {
    assert.deepEqual(
      firewallProblems(TYPES.firewall, { name: "prod", rules: [sshRule(["0.0.0.0/0"]), sshRule(["::/0"], "6443")] }),
      [
        'firewall prod: the rule "SSH" opens port 22 to 0.0.0.0/0: list your own addresses in site.operatorCidrs, or set site.allowWorld: true if the site is meant to be open',
        'firewall prod: the rule "SSH" opens port 6443 to ::/0: list your own addresses in site.operatorCidrs, or set site.allowWorld: true if the site is meant to be open',
      ],
    );
    assert.equal(firewallProblems(TYPES.firewall, { name: "p", rules: [sshRule(["0.0.0.0/0"], "1-1024")] }).length, 1);
    assert.equal(portCovers("any", 6443), true);
    assert.equal(portCovers("1-1024", 6443), false);
  });

  it("passes operator addresses, ICMP to the world, and the world when the firewall carries the allowWorld label", () => {
    assert.deepEqual(firewallProblems(TYPES.firewall, { name: "p", rules: [sshRule(["203.0.113.7/32"])] }), []);
    assert.deepEqual(
      firewallProblems(TYPES.firewall, { name: "p", rules: [{ direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0"] }] }),
      [],
    );
    assert.deepEqual(
      firewallProblems(TYPES.firewall, { name: "p", labels: { "k3s-sites/allow-world": "true" }, rules: [sshRule(["0.0.0.0/0"])] }),
      [],
    );
    // Another type with the same shape is not a firewall.
    assert.deepEqual(firewallProblems(TYPES.server, { rules: [sshRule(["0.0.0.0/0"])] }), []);
  });
});

describe("policy rule: no server user data", () => {
  it("refuses a server with user data and passes one without", () => {
    assert.match(userDataProblems(TYPES.server, { name: "prod-control-1", userData: "#cloud-config\n" })[0] ?? "", /server prod-control-1 has user data/);
    assert.deepEqual(userDataProblems(TYPES.server, { name: "prod-control-1" }), []);
    assert.deepEqual(userDataProblems(TYPES.server, { name: "prod-control-1", userData: "" }), []);
  });
});

describe("policy rule: remote command secrets", () => {
  it("refuses a plain private key, a plain jump-host key and a plain stdin", () => {
    assert.deepEqual(
      commandSecretProblems(TYPES.command, {
        connection: { host: "h", privateKey: "-----BEGIN", proxy: { host: "j", privateKey: "-----BEGIN" } },
        stdin: "token",
      }),
      [
        "remote command connection.privateKey is not secret: pass it with pulumi.secret(...)",
        "remote command connection.proxy.privateKey is not secret: pass it with pulumi.secret(...)",
        "remote command stdin (it carries the join token) is not secret: pass it with pulumi.secret(...)",
      ],
    );
  });

  it("passes a secret connection, or secret keys inside a plain one, and a secret stdin", () => {
    assert.deepEqual(commandSecretProblems(TYPES.command, { connection: SECRET_MARK, stdin: SECRET_MARK }), []);
    assert.deepEqual(
      commandSecretProblems(TYPES.command, { connection: { host: "h", privateKey: SECRET_MARK, proxy: SECRET_MARK } }),
      [],
    );
  });
});

const deny = (namespace: string): KubeObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "default-deny", namespace },
  spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] },
});
const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

describe("policy rule: default-deny in every managed namespace", () => {
  it("refuses a namespace without one, or with a policy that selects some pods or allows something", () => {
    assert.deepEqual(defaultDenyProblems([ns("web")]), [
      "namespace web has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules): add it with the namespace (src/policy/system.ts namespaceBaseline), or, where the site does not isolate the namespace (networkPolicies.defaultDeny false), label it k3s-sites/default-deny: off",
    ]);
    // A namespace the program says it does not isolate passes; any other value of the label does not.
    const labelled = (value: string): KubeObject => ({ ...ns("web"), metadata: { name: "web", labels: { "k3s-sites/default-deny": value } } });
    assert.deepEqual(defaultDenyProblems([labelled("off")]), []);
    assert.equal(defaultDenyProblems([labelled("on")]).length, 1);
    const some = { ...deny("web"), spec: { podSelector: { matchLabels: { app: "a" } }, policyTypes: ["Ingress", "Egress"] } };
    assert.equal(defaultDenyProblems([ns("web"), some]).length, 1);
    const ingressOnly = { ...deny("web"), spec: { podSelector: {}, policyTypes: ["Ingress"] } };
    assert.equal(defaultDenyProblems([ns("web"), ingressOnly]).length, 1);
    const allows = { ...deny("web"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [{}] } };
    assert.equal(defaultDenyProblems([ns("web"), allows]).length, 1);
  });

  it("refuses an \"off\" label where the site isolates its namespaces (nginx's has its default-deny), naming the namespace and the fix", () => {
    const off = (name: string): KubeObject => ({ ...ns(name), metadata: { name, labels: { "k3s-sites/default-deny": "off" } } });
    assert.deepEqual(defaultDenyProblems([ns("nginx-ingress"), deny("nginx-ingress"), off("dmz")]), [
      "namespace dmz is labelled k3s-sites/default-deny: off, but the site isolates its namespaces (nginx-ingress has a default-deny NetworkPolicy, networkPolicies.defaultDeny true): give it the baseline policies like the others (src/policy/system.ts namespaceBaseline) and drop the label",
    ]);
    // On a site that isolates nothing the label stands.
    assert.deepEqual(defaultDenyProblems([off("nginx-ingress"), off("dmz")]), []);
    assert.deepEqual(defaultDenyProblems([ns("nginx-ingress"), deny("nginx-ingress"), ns("dmz"), deny("dmz")]), []);
  });

  it("reads the isolation from whichever ingress controller the site runs: Traefik's namespace, Cilium's Gateway's", () => {
    const off = (name: string): KubeObject => ({ ...ns(name), metadata: { name, labels: { "k3s-sites/default-deny": "off" } } });
    assert.deepEqual(INGRESS_NAMESPACES, ["nginx-ingress", "traefik", "gateway"]);
    for (const controller of ["traefik", "gateway"]) {
      const problems = defaultDenyProblems([ns(controller), deny(controller), off("dmz")]);
      assert.equal(problems.length, 1, controller);
      assert.match(problems[0]!, new RegExp(`^namespace dmz is labelled k3s-sites/default-deny: off, but the site isolates its namespaces \\(${controller} has a default-deny`));
    }
    // A namespace no ingress controller uses says nothing of the site's isolation.
    assert.deepEqual(defaultDenyProblems([ns("web"), deny("web"), off("dmz")]), []);
  });

  it("passes a namespace with its default-deny", () => {
    assert.deepEqual(defaultDenyProblems([ns("web"), deny("web")]), []);
  });
});

const daemonSet = (namespace: string, securityContext: Record<string, unknown>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "agent", namespace },
  spec: { template: { spec: { containers: [{ name: "agent", image: "x", securityContext }] } } },
});

describe("policy rule: no privileged workloads outside kube-system and the CNI's namespace", () => {
  it("refuses privileged, SYS_ADMIN, and a privileged init container of a Job, in an app namespace", () => {
    assert.deepEqual(privilegedProblems([daemonSet("web", { privileged: true })]), [
      "DaemonSet web/agent: container agent runs privileged outside kube-system, calico-system and hcloud-csi: drop privileged (and SYS_ADMIN), or run it in the CNI's namespace",
    ]);
    assert.equal(privilegedProblems([daemonSet("web", { capabilities: { add: ["SYS_ADMIN"] } })]).length, 1);
    const job: KubeObject = {
      kind: "Job",
      metadata: { name: "j", namespace: "web" },
      spec: { template: { spec: { initContainers: [{ name: "i", securityContext: { privileged: true } }], containers: [] } } },
    };
    assert.equal(privilegedProblems([job]).length, 1);
  });

  it("passes privileged pods in kube-system and unprivileged ones anywhere", () => {
    assert.deepEqual(privilegedProblems([daemonSet("kube-system", { privileged: true })]), []);
    assert.deepEqual(privilegedProblems([daemonSet("web", { privileged: false, capabilities: { add: ["NET_BIND_SERVICE"] } })]), []);
  });
});

const res = (type: string, name: string, protect: boolean, inputs: Record<string, unknown>): PolicyResource => ({ type, name, protect, inputs });

describe("policy rule: protected resources stay protected", () => {
  const protectedSite = [
    res(TYPES.network, "net", true, { deleteProtection: true }),
    res(TYPES.subnet, "sub", true, {}),
    res(TYPES.server, "c1", true, { deleteProtection: true, rebuildProtection: true, labels: { "k3s-sites/role": "server" } }),
    res(TYPES.server, "w1", false, { deleteProtection: false, labels: { "k3s-sites/role": "agent" } }),
  ];

  it("passes a protected site and a throwaway one (site.protect false everywhere)", () => {
    assert.deepEqual(protectProblems(protectedSite), []);
    assert.deepEqual(
      protectProblems([
        res(TYPES.network, "net", false, { deleteProtection: false }),
        res(TYPES.subnet, "sub", false, {}),
        res(TYPES.server, "c1", false, { deleteProtection: false, rebuildProtection: false, labels: { "k3s-sites/role": "server" } }),
      ]),
      [],
    );
  });

  it("refuses a network, a subnet or a control-plane server that lost its Pulumi protection", () => {
    assert.deepEqual(protectProblems([{ ...protectedSite[0]!, protect: false }, protectedSite[1]!]), [
      "network net: protect is false but deleteProtection is true: set both from site.protect",
      "subnet sub: protect is true but its network's is false: subnets follow site.protect",
    ]);
    assert.deepEqual(protectProblems([protectedSite[0]!, { ...protectedSite[2]!, protect: false }]), [
      "control-plane server c1: protect false, deleteProtection true, rebuildProtection true: all three follow site.protect",
    ]);
  });
});
