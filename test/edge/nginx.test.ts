import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { isHetzner, type SiteConfig } from "../../src/config/site";
import { networkPolicies } from "../../src/policy/network-policies";
import { NGINX } from "../../src/edge/names";
import { NGINX_IMAGE } from "../../src/ingress/nginx/concern";
import {
  NGINX_CONFIG_MAP,
  NGINX_LEADER_LOCK,
  nginxObjects,
  type NginxOptions,
} from "../../src/edge/nginx";
import { clone, exampleSections, hetznerSections, parse1, ROOT, sshSections } from "../helpers";
import { validateBuiltin } from "../support/schemas";

type Json = Record<string, any>;
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

const UPSTREAM = join(ROOT, "upstream/nginx-ingress/v5.5.4");
const GOLDEN = join(__dirname, "nginx");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
/** The load balancer's public IPv4 as the component would pass it (documentation range). */
const LB_ADDRESS = "198.51.100.7";

const upstream = (file: string): Json[] =>
  parseAllDocuments(readFileSync(join(UPSTREAM, file), "utf8")).map((d) => d.toJS() as Json);
const REF_DAEMONSET = upstream("daemon-set-nginx-ingress.yaml")[0]!;
const REF_CONTAINER = REF_DAEMONSET.spec.template.spec.containers[0];
const REF_RULES = upstream("rbac-rbac.yaml").find((d) => d.kind === "ClusterRole")!.rules as Rule[];

const prod = () => parse1(exampleSections("prod"));
const home = () => parse1(exampleSections("home"));

function withIngress(raw: Json, ingress: Json): SiteConfig {
  const copy = clone(raw);
  copy.ingress = { ...copy.ingress, ...ingress };
  return parse1(copy);
}

/** A site whose ingress.config is set past the config rules (checkIngressConfig), to reach the builder's own check. */
function withUserKeys(raw: Json, keys: Record<string, string>): SiteConfig {
  const config = parse1(clone(raw));
  return { ...config, ingress: { ...config.ingress, config: keys } };
}

function objectsOf(config: SiteConfig, opts: NginxOptions = {}): Json[] {
  return nginxObjects(config, opts) as unknown as Json[];
}
function one(objects: Json[], kind: string): Json {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0]!;
}
const containerOf = (objects: Json[]): Json => one(objects, "DaemonSet").spec.template.spec.containers[0];
const argsOf = (objects: Json[]): string[] => containerOf(objects).args;
const dataOf = (config: SiteConfig, opts: NginxOptions = {}): Record<string, string> =>
  one(objectsOf(config, opts), "ConfigMap").data;

/** What the rules grant, as `<group>/<resource>` (core group: `core`) -> sorted verbs. */
function grants(rules: readonly Rule[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? [""]) {
      for (const resource of rule.resources ?? []) {
        const key = `${group || "core"}/${resource}`;
        const verbs = out.get(key) ?? new Set<string>();
        rule.verbs.forEach((v) => verbs.add(v));
        out.set(key, verbs);
      }
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** Verbs one side grants and the other does not, per `<group>/<resource>`. */
function missingFrom(from: Map<string, string[]>, other: Map<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, verbs] of from) {
    const lacking = verbs.filter((v) => !(other.get(key) ?? []).includes(v));
    if (lacking.length > 0) out[key] = lacking;
  }
  return out;
}

/**
 * Every difference between our rules (ClusterRole and Role together) and the reference ClusterRole, with its reason
 * from the controller's code at v5.5.4. We grant nothing the reference does not.
 */
const DROPPED: Record<string, string[]> = {
  // -enable-telemetry-reporting=false: telemetry/cluster.go reads the owner of its own pod and counts the nodes. The
  // other readers are NGINX Plus only (zone sync: utils.go CreateUniformSelectorsFromController; license reporting).
  "apps/daemonsets": ["get"],
  "apps/replicasets": ["get"],
  "apps/statefulsets": ["get"],
  "core/nodes": ["list"],
  // Read only with -watch-namespace-label (the one Namespace informer: controller.go isDynamicNs, k8s/namespace.go;
  // main.go checkNamespaces), -watch-namespace/-watch-secret-namespace (main.go checkNamespaceExists), by telemetry,
  // -agent metadata and Plus license reporting (common_cluster_info.go). We watch all namespaces, with none of them.
  "core/namespaces": ["get", "list", "watch"],
  // Services are written only for the NGINX Plus zone-sync headless Service (k8s/service.go, main.go).
  "core/services": ["create", "delete", "patch", "update"],
  // Nothing in 5.5.4 writes ConfigMaps (the leader lock was a ConfigMap once; it is a Lease now, k8s/leader.go).
  "core/configmaps": ["create", "update"],
  // client-go's LeaseLock gets, creates and updates its Lease; it never lists or watches.
  "coordination.k8s.io/leases": ["list", "watch"],
  // -enable-custom-resources=false: no VirtualServer, VirtualServerRoute, TransportServer, Policy or
  // GlobalConfiguration informers or status writes (controller.go addCustomResourceHandlers, status.go).
  "k8s.nginx.org/dnsendpoints/status": ["update"],
  "k8s.nginx.org/globalconfigurations": ["get", "list", "watch"],
  "k8s.nginx.org/policies": ["get", "list", "watch"],
  "k8s.nginx.org/policies/status": ["update"],
  "k8s.nginx.org/transportservers": ["get", "list", "watch"],
  "k8s.nginx.org/transportservers/status": ["update"],
  "k8s.nginx.org/virtualserverroutes": ["get", "list", "watch"],
  "k8s.nginx.org/virtualserverroutes/status": ["update"],
  "k8s.nginx.org/virtualservers": ["get", "list", "watch"],
  "k8s.nginx.org/virtualservers/status": ["update"],
  // No -ingresslink (F5 BIG-IP): no IngressLink informer.
  "cis.f5.com/ingresslinks": ["get", "list", "watch"],
  // No -enable-cert-manager: that integration is for VirtualServers; cert-manager's own ingress-shim serves Ingresses.
  "cert-manager.io/certificates": ["create", "delete", "get", "list", "update", "watch"],
  // No -enable-external-dns (VirtualServers only).
  "externaldns.nginx.org/dnsendpoints": ["create", "delete", "get", "list", "update", "watch"],
  "externaldns.nginx.org/dnsendpoints/status": ["update"],
};

/** Granted in the controller's namespace only (Role), where the reference grants them cluster-wide. */
const NAMESPACED: Record<string, string[]> = {
  "coordination.k8s.io/leases": ["create", "get", "update"], // the leader Lease lives in the controller's namespace
  "core/configmaps": ["get", "list", "watch"], // the informer watches the controller's namespace only
  "core/pods": ["update"], // only its own pod's version labels
};

type Scope = "cluster" | "namespace";
interface Need {
  readonly feature: string;
  readonly on: (args: string[]) => boolean;
  readonly needs: readonly [key: string, verbs: string[], scope: Scope, name?: string][];
}
const has = (args: string[], flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
const notOff = (args: string[], flag: string) => !args.includes(`${flag}=false`);

/** What each feature needs, read from the controller's code at v5.5.4; `on` says when the args turn it on. */
const NEEDS: readonly Need[] = [
  {
    feature: "informers in all namespaces (controller.go newNamespacedInformer)",
    on: () => true,
    needs: [
      ["networking.k8s.io/ingresses", ["list", "watch"], "cluster"],
      ["core/services", ["list", "watch"], "cluster"],
      ["discovery.k8s.io/endpointslices", ["list", "watch"], "cluster"],
      ["core/pods", ["list", "watch"], "cluster"],
      ["core/secrets", ["get", "list", "watch"], "cluster"],
    ],
  },
  {
    feature: "own pod, version labels, events, IngressClass check (main.go)",
    on: () => true,
    needs: [
      ["core/pods", ["get", "update"], "namespace"],
      ["core/events", ["create", "patch"], "cluster"],
      ["networking.k8s.io/ingressclasses", ["get"], "cluster"],
    ],
  },
  {
    feature: "-nginx-configmaps (main.go processConfigMaps, k8s/configmap.go informer)",
    on: (a) => has(a, "-nginx-configmaps"),
    needs: [["core/configmaps", ["get", "list", "watch"], "namespace"]],
  },
  {
    feature: "-report-ingress-status (status.go UpdateStatus, retry with Get)",
    on: (a) => has(a, "-report-ingress-status") && notOff(a, "-report-ingress-status"),
    needs: [
      ["networking.k8s.io/ingresses/status", ["update"], "cluster"],
      ["networking.k8s.io/ingresses", ["get"], "cluster"],
    ],
  },
  {
    feature: "leader election, on by default (k8s/leader.go LeaseLock)",
    on: (a) => notOff(a, "-enable-leader-election"),
    needs: [
      ["coordination.k8s.io/leases", ["create"], "namespace"],
      ["coordination.k8s.io/leases", ["get", "update"], "namespace", NGINX_LEADER_LOCK],
    ],
  },
  {
    feature: "custom resources, on by default",
    on: (a) => notOff(a, "-enable-custom-resources"),
    needs: [
      ["k8s.nginx.org/virtualservers", ["list", "watch"], "cluster"],
      ["k8s.nginx.org/virtualservers/status", ["update"], "cluster"],
    ],
  },
  {
    feature: "telemetry, on by default (telemetry/cluster.go)",
    on: (a) => notOff(a, "-enable-telemetry-reporting"),
    needs: [
      ["core/nodes", ["list"], "cluster"],
      // common_cluster_info.go GetClusterID: the UID of Namespace kube-system.
      ["core/namespaces", ["get"], "cluster"],
      ["apps/daemonsets", ["get"], "namespace"],
    ],
  },
  {
    // The only Namespace informer: controller.go starts it when the label is set (isDynamicNs ->
    // addNamespaceHandler, k8s/namespace.go); main.go checkNamespaces lists the labelled ones first, and
    // syncNamespace gets a namespace that left the informer.
    feature: "-watch-namespace-label (k8s/namespace.go informer, main.go checkNamespaces)",
    on: (a) => has(a, "-watch-namespace-label"),
    needs: [["core/namespaces", ["get", "list", "watch"], "cluster"]],
  },
  {
    feature: "-watch-namespace or -watch-secret-namespace (main.go checkNamespaceExists)",
    on: (a) => has(a, "-watch-namespace") || has(a, "-watch-secret-namespace"),
    needs: [["core/namespaces", ["get"], "cluster"]],
  },
  {
    feature: "-agent, NGINX Agent metadata (metadata.go: GetClusterID, GetInstallationID)",
    on: (a) => has(a, "-agent") && notOff(a, "-agent"),
    needs: [
      ["core/namespaces", ["get"], "cluster"],
      ["apps/daemonsets", ["get"], "namespace"],
    ],
  },
  {
    feature: "-nginx-plus license reporting (license_reporting.go: GetClusterID, GetNodeCount)",
    on: (a) => has(a, "-nginx-plus") && notOff(a, "-nginx-plus"),
    needs: [
      ["core/nodes", ["list"], "cluster"],
      ["core/namespaces", ["get"], "cluster"],
    ],
  },
];

/**
 * Whether the controller, with these args, starts an informer on (or lists) Namespaces or Nodes: every caller of
 * Namespaces() and Nodes() in cmd/ and internal/ at v5.5.4 is behind one of these flags (k8s/namespace.go,
 * main.go checkNamespaces, common_cluster_info.go via telemetry, license reporting and agent metadata).
 */
const READS_NAMESPACES_OR_NODES = [
  "-watch-namespace-label",
  "-watch-namespace",
  "-watch-secret-namespace",
  "-agent",
  "-nginx-plus",
] as const;

/** Whether some rule allows the verb on `<group>/<resource>` (and the object name, when given). */
function allows(rules: readonly Rule[], key: string, verb: string, name?: string): boolean {
  const slash = key.indexOf("/");
  const [group, resource] = [key.slice(0, slash), key.slice(slash + 1)];
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => (g || "core") === group) &&
      (r.resources ?? []).includes(resource) &&
      r.verbs.includes(verb) &&
      (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))),
  );
}

/** The permissions the turned-on features need and the rules do not give, in a readable form. */
function unmetNeeds(args: string[], clusterRules: readonly Rule[], roleRules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const need of NEEDS.filter((n) => n.on(args))) {
    for (const [key, verbs, scope, name] of need.needs) {
      const rules = scope === "cluster" ? clusterRules : [...clusterRules, ...roleRules];
      for (const verb of verbs.filter((v) => !allows(rules, key, v, name))) out.push(`${need.feature}: ${verb} ${key}`);
    }
  }
  return out;
}

describe("nginx objects", () => {
  const sites: [string, () => SiteConfig, NginxOptions][] = [
    ["prod", prod, { statusAddress: LB_ADDRESS }],
    ["home", home, {}],
    ["small ssh site", () => parse1(sshSections()), {}],
  ];

  for (const [name, config, opts] of sites) {
    it(`validate against the Kubernetes OpenAPI schemas (${name})`, async () => {
      const objects = nginxObjects(config(), opts);
      assert.ok(objects.length >= 9);
      for (const obj of objects) await validateBuiltin(obj);
    });
  }

  for (const [name, config, opts] of sites.slice(0, 2)) {
    it(`match the golden manifests of ${name}`, () => {
      const actual = objectsOf(config(), opts).map((o) => stringify(o)).join("---\n");
      const path = join(GOLDEN, `${name}.yaml`);
      if (UPDATE) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(path, actual);
      }
      assert.equal(actual, readFileSync(path, "utf8"), `${name}.yaml differs from its golden file (UPDATE_GOLDEN=1)`);
    });
  }

  it("are new objects on every call, so callers cannot change the shared rules", () => {
    const first = objectsOf(prod());
    one(first, "ClusterRole").rules[0].verbs.push("delete");
    one(first, "DaemonSet").spec.selector.matchLabels.extra = "x";
    const second = objectsOf(prod());
    assert.deepEqual(one(second, "ClusterRole").rules[0].verbs, ["get", "list", "watch"]);
    assert.deepEqual(one(second, "DaemonSet").spec.selector.matchLabels, NGINX.podLabels);
  });
});

describe("nginx RBAC", () => {
  const objects = objectsOf(prod(), { statusAddress: LB_ADDRESS });
  const clusterRules = one(objects, "ClusterRole").rules as Rule[];
  const roleRules = one(objects, "Role").rules as Rule[];

  it("differs from the reference rbac.yaml exactly by the explained list", () => {
    const ours = grants([...clusterRules, ...roleRules]);
    const reference = grants(REF_RULES);
    assert.deepEqual(missingFrom(ours, reference), {}, "we grant something the reference does not");
    assert.deepEqual(missingFrom(reference, ours), DROPPED);
  });

  it("grants in the controller's namespace only what the list says, and none of it cluster-wide", () => {
    assert.deepEqual(Object.fromEntries(grants(roleRules)), NAMESPACED);
    const cluster = grants(clusterRules);
    for (const [key, verbs] of Object.entries(NAMESPACED)) {
      const both = verbs.filter((v) => (cluster.get(key) ?? []).includes(v));
      assert.deepEqual(both, [], `${key} is also granted cluster-wide`);
    }
    assert.equal(one(objects, "Role").metadata.namespace, NGINX.namespace);
  });

  for (const [name, config] of [["prod", prod], ["home", home]] as const) {
    it(`covers every permission the features the ${name} args turn on need`, () => {
      const objs = objectsOf(config());
      const rules = (kind: string) => one(objs, kind).rules as Rule[];
      assert.deepEqual(unmetNeeds(argsOf(objs), rules("ClusterRole"), rules("Role")), []);
    });
  }

  for (const [name, config] of [["prod", prod], ["home", home]] as const) {
    it(`starts no Namespace or Node informer with the ${name} args, so it needs no grant on them`, () => {
      const args = argsOf(objectsOf(config()));
      assert.deepEqual(
        READS_NAMESPACES_OR_NODES.filter((flag) => has(args, flag)),
        [],
        "a flag that makes the controller read Namespaces or Nodes",
      );
      assert.ok(args.includes("-enable-telemetry-reporting=false"));
      const cluster = grants(one(objectsOf(config()), "ClusterRole").rules as Rule[]);
      assert.equal(cluster.get("core/namespaces"), undefined);
      assert.equal(cluster.get("core/nodes"), undefined);
    });
  }

  it("would need Namespaces and Nodes with the flags that read them, which the rules do not grant", () => {
    const args = argsOf(objects);
    assert.deepEqual(unmetNeeds([...args, "-watch-namespace-label=team=web"], clusterRules, roleRules), [
      "-watch-namespace-label (k8s/namespace.go informer, main.go checkNamespaces): get core/namespaces",
      "-watch-namespace-label (k8s/namespace.go informer, main.go checkNamespaces): list core/namespaces",
      "-watch-namespace-label (k8s/namespace.go informer, main.go checkNamespaces): watch core/namespaces",
    ]);
    assert.deepEqual(unmetNeeds([...args, "-watch-namespace=web"], clusterRules, roleRules), [
      "-watch-namespace or -watch-secret-namespace (main.go checkNamespaceExists): get core/namespaces",
    ]);
    const telemetryOn = args.filter((a) => a !== "-enable-telemetry-reporting=false");
    assert.deepEqual(unmetNeeds(telemetryOn, clusterRules, roleRules), [
      "telemetry, on by default (telemetry/cluster.go): list core/nodes",
      "telemetry, on by default (telemetry/cluster.go): get core/namespaces",
      "telemetry, on by default (telemetry/cluster.go): get apps/daemonsets",
    ]);
    assert.equal(unmetNeeds([...args, "-nginx-plus"], clusterRules, roleRules).length, 2);
    assert.equal(unmetNeeds([...args, "-agent"], clusterRules, roleRules).length, 2);
  });

  it("reports a missing permission when a feature is turned on without its rules", () => {
    const args = argsOf(objects);
    const withoutStatus = clusterRules.filter((r) => !(r.resources ?? []).includes("ingresses/status"));
    assert.deepEqual(unmetNeeds(args, withoutStatus, roleRules), [
      "-report-ingress-status (status.go UpdateStatus, retry with Get): update networking.k8s.io/ingresses/status",
    ]);
    const crsOn = args.filter((a) => a !== "-enable-custom-resources=false");
    assert.equal(unmetNeeds(crsOn, clusterRules, roleRules).length, 3);
    // A Lease rule limited to another name does not let the leader renew its own.
    const otherLock = roleRules.map((r) => (r.resourceNames ? { ...r, resourceNames: ["other"] } : r));
    assert.equal(unmetNeeds(args, clusterRules, otherLock).length, 2);
  });

  it("binds both roles to the ServiceAccount the DaemonSet runs as", () => {
    const sa = one(objects, "ServiceAccount").metadata;
    assert.equal(one(objects, "DaemonSet").spec.template.spec.serviceAccountName, sa.name);
    for (const [binding, role] of [["ClusterRoleBinding", "ClusterRole"], ["RoleBinding", "Role"]]) {
      const b = one(objects, binding!);
      assert.deepEqual(b.subjects, [{ kind: "ServiceAccount", name: sa.name, namespace: sa.namespace }]);
      const roleName = one(objects, role!).metadata.name;
      assert.deepEqual(b.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: role, name: roleName });
    }
  });
});

describe("nginx ConfigMap", () => {
  it("turns on the PROXY protocol on the cloud site, trusting the load balancer's private address only", () => {
    const config = prod();
    assert.ok(isHetzner(config.site));
    assert.equal(config.site.plan.loadBalancerIp, "10.0.0.10");
    assert.deepEqual(dataOf(config), {
      "proxy-protocol": "True",
      "real-ip-header": "proxy_protocol",
      "set-real-ip-from": "10.0.0.10/32",
    });
    // The network policy lets nginx be reached from that same address only.
    const clients = networkPolicies(config).find((p) => p.metadata.name === "nginx-ingress-from-clients")!;
    assert.deepEqual(clients.spec.ingress?.[0]?.from, [{ ipBlock: { cidr: "10.0.0.10/32" } }]);
  });

  it("follows the load balancer's address when site.network.cidr moves it", () => {
    const raw = clone(hetznerSections());
    raw.site.network = { cidr: "172.16.0.0/16" };
    const config = parse1(raw);
    assert.ok(isHetzner(config.site));
    assert.notEqual(config.site.plan.loadBalancerIp, "10.0.0.10");
    assert.equal(dataOf(config)["set-real-ip-from"], `${config.site.plan.loadBalancerIp}/32`);
  });

  it("leaves the PROXY protocol off on the home site, and on when configured there, trusting the LAN", () => {
    assert.deepEqual(dataOf(home()), {});
    const data = dataOf(withIngress(exampleSections("home"), { proxyProtocol: true }));
    assert.equal(data["proxy-protocol"], "True");
    assert.equal(data["set-real-ip-from"], "192.168.1.0/24");
  });

  it("reports the status address given, and none without one", () => {
    assert.equal(dataOf(prod(), { statusAddress: LB_ADDRESS })["external-status-address"], LB_ADDRESS);
    assert.equal(dataOf(prod())["external-status-address"], undefined);
  });

  it("adds the keys of ingress.config", () => {
    const userKeys = { "client-max-body-size": "20m", "server-tokens": "False" };
    const config = withIngress(exampleSections("prod"), { config: userKeys });
    const data = dataOf(config, { statusAddress: LB_ADDRESS });
    assert.equal(data["client-max-body-size"], "20m");
    assert.equal(data["server-tokens"], "False");
    assert.equal(data["proxy-protocol"], "True");
    assert.equal(Object.keys(data).length, 6);
  });

  it("lets a home site set the keys k3s-sites does not manage there", () => {
    const userKeys = { "external-status-address": "home.example.com", "real-ip-header": "X-Real-IP" };
    assert.deepEqual(dataOf(withIngress(sshSections(), { config: userKeys })), userKeys);
  });

  it("rejects ingress.config keys that would replace the PROXY protocol keys, naming each", () => {
    const userKeys = { "proxy-protocol": "False", "set-real-ip-from": "0.0.0.0/0" };
    const config = withUserKeys(hetznerSections(), userKeys);
    const because = "because ingress.proxyProtocol is true";
    const orElse = ", or set ingress.proxyProtocol: false and set all three PROXY protocol keys yourself";
    assert.throws(() => nginxObjects(config), {
      message:
        `ingress.config.proxy-protocol is "False", but k3s-sites sets it to "True" ${because}: ` +
        `remove ingress.config.proxy-protocol${orElse}\n` +
        `ingress.config.set-real-ip-from is "0.0.0.0/0", but k3s-sites sets it to "10.0.0.10/32" ${because}: ` +
        `remove ingress.config.set-real-ip-from${orElse}`,
    });
  });

  it("rejects ingress.config.external-status-address when the load balancer's address is reported", () => {
    const config = withUserKeys(hetznerSections(), { "external-status-address": "203.0.113.9" });
    assert.doesNotThrow(() => nginxObjects(config));
    assert.throws(() => nginxObjects(config, { statusAddress: LB_ADDRESS }), {
      message:
        `ingress.config.external-status-address is "203.0.113.9", but k3s-sites sets it to "${LB_ADDRESS}" ` +
        "because Ingress status reports the load balancer's address: remove ingress.config.external-status-address",
    });
  });

  it("rejects an ingress.config key that cannot be a ConfigMap key", () => {
    const config = withUserKeys(sshSections(), { "proxy protocol": "True" });
    assert.throws(() => nginxObjects(config), {
      message:
        `ingress.config.proxy protocol "proxy protocol" is not a valid ConfigMap key: ` +
        "use letters, digits, '-', '_' and '.'",
    });
  });

  it("rejects an empty status address", () => {
    assert.throws(() => nginxObjects(prod(), { statusAddress: " " }), /statusAddress is empty/);
  });
});

describe("nginx DaemonSet", () => {
  const objects = objectsOf(prod(), { statusAddress: LB_ADDRESS });
  const ds = one(objects, "DaemonSet");
  const pod = ds.spec.template.spec;
  const container = containerOf(objects);

  it("runs the pinned image of the reference manifests", () => {
    assert.equal(container.image, REF_CONTAINER.image);
    assert.equal(NGINX_IMAGE, "nginx/nginx-ingress:5.5.4");
  });

  it("listens on 80 and 443 of every node through hostPorts, not the host network", () => {
    const hostPorts = container.ports.filter((p: Json) => p.hostPort !== undefined);
    assert.deepEqual(
      hostPorts.map((p: Json) => [p.name, p.containerPort, p.hostPort]),
      [["http", 80, 80], ["https", 443, 443]],
    );
    assert.equal(pod.hostNetwork, undefined);
    assert.ok(argsOf(objects).includes("-default-http-listener-port=80"));
    assert.ok(argsOf(objects).includes("-default-https-listener-port=443"));
  });

  it("is hardened: non-root as the image's user, no escalation, only NET_BIND_SERVICE, RuntimeDefault seccomp", () => {
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      runAsUser: REF_CONTAINER.securityContext.runAsUser,
      capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
    });
    assert.equal(container.securityContext.runAsUser, 101);
    assert.deepEqual(pod.securityContext, { seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "128Mi" } });
  });

  it("has the reference readiness probe on the port the controller is told to serve it on", () => {
    assert.deepEqual(container.readinessProbe.httpGet, REF_CONTAINER.readinessProbe.httpGet);
    const port = container.ports.find((p: Json) => p.name === container.readinessProbe.httpGet.port);
    assert.equal(port.containerPort, NGINX.readinessPort);
    assert.ok(argsOf(objects).includes(`-ready-status-port=${NGINX.readinessPort}`));
  });

  it("selects exactly the labels of its pods", () => {
    assert.deepEqual(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels);
    assert.deepEqual(ds.spec.template.metadata.labels, NGINX.podLabels);
  });

  it("rolls one node at a time, waiting one load balancer health check on Hetzner", () => {
    const rollingUpdate = { maxUnavailable: 1, maxSurge: 0 };
    assert.deepEqual(ds.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate });
    assert.equal(ds.spec.minReadySeconds, 15 + 10);
    assert.equal(one(objectsOf(home()), "DaemonSet").spec.minReadySeconds, undefined);
  });

  it("reads its ConfigMap and reports Ingress status with leader election, custom resources and telemetry off", () => {
    const args = argsOf(objects);
    for (const arg of [
      `-nginx-configmaps=${NGINX.namespace}/${NGINX_CONFIG_MAP}`,
      `-ingress-class=${NGINX.ingressClass}`,
      "-enable-custom-resources=false",
      "-enable-telemetry-reporting=false",
      "-report-ingress-status",
      "-enable-leader-election",
      `-leader-election-lock-name=${NGINX_LEADER_LOCK}`,
    ]) {
      assert.ok(args.includes(arg), `missing ${arg}`);
    }
    assert.equal(one(objects, "ConfigMap").metadata.name, NGINX_CONFIG_MAP);
    assert.equal(args.some((a) => a.startsWith("-external-service")), false);
    assert.deepEqual(container.env.map((e: Json) => [e.name, e.valueFrom.fieldRef.fieldPath]), [
      ["POD_NAMESPACE", "metadata.namespace"],
      ["POD_NAME", "metadata.name"],
    ]);
  });
});

describe("nginx IngressClass and Service", () => {
  it("names the NGINX Ingress Controller, under the class the controller is started with", () => {
    const objects = objectsOf(prod());
    const ingressClass = one(objects, "IngressClass");
    assert.equal(ingressClass.spec.controller, "nginx.org/ingress-controller");
    assert.equal(ingressClass.spec.controller, upstream("common-ingress-class.yaml")[0]!.spec.controller);
    assert.equal(ingressClass.metadata.name, NGINX.ingressClass);
    assert.ok(argsOf(objects).includes(`-ingress-class=${ingressClass.metadata.name}`));
  });

  it("puts a LoadBalancer Service, externalTrafficPolicy Local, in front of nginx on home sites with LB pools", () => {
    const objects = objectsOf(home());
    const svc = one(objects, "Service");
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.equal(svc.spec.externalTrafficPolicy, "Local");
    assert.deepEqual(svc.spec.selector, one(objects, "DaemonSet").spec.template.metadata.labels);
    const portNames = containerOf(objects).ports.map((p: Json) => p.name);
    assert.deepEqual(svc.spec.ports.map((p: Json) => [p.port, p.targetPort]), [[80, "http"], [443, "https"]]);
    for (const p of svc.spec.ports) assert.ok(portNames.includes(p.targetPort), `no container port ${p.targetPort}`);
    assert.ok(argsOf(objects).includes(`-external-service=${svc.metadata.name}`));
    assert.equal(svc.metadata.namespace, NGINX.namespace);
  });

  it("has no Service on cloud sites or on home sites without LB pools", () => {
    for (const config of [prod(), parse1(sshSections())]) {
      const objects = objectsOf(config);
      assert.equal(objects.filter((o) => o.kind === "Service").length, 0);
      assert.equal(argsOf(objects).some((a) => a.startsWith("-external-service")), false);
    }
  });
});
