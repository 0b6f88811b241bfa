/**
 * The rules of the k3s-sites policy pack as plain functions of a resource's type and inputs (and, for the rules
 * over the whole stack, of every resource). The pack (policy/index.ts) runs them on a real `pulumi preview`; the
 * tests run them on the offline plan's resources of every example stack. One code path for both.
 *
 * Each function returns the problems it finds, as messages in the user's terms; an empty list passes.
 */
import { LABEL } from "../src/hetzner/model";
import { INGRESS_CONTROLLERS } from "../src/concerns/registry";
import { DEFAULT_DENY_LABEL } from "../src/policy/objects";

/** A resource as both the plan and the pack can give it. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  /** Inputs; in the plan, a secret value is SECRET_MARK. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly protect: boolean;
}

/** A Kubernetes object as recorded: the program's, a ConfigGroup's, or a rendered chart's. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec?: unknown;
  readonly [key: string]: unknown;
}

/** How the offline plan shows a secret input (plan/engine.ts SECRET). */
export const SECRET_MARK = "[secret]";

export const TYPES = {
  firewall: "hcloud:index/firewall:Firewall",
  server: "hcloud:index/server:Server",
  network: "hcloud:index/network:Network",
  subnet: "hcloud:index/networkSubnet:NetworkSubnet",
  command: "command:remote:Command",
  configGroup: "kubernetes:yaml/v2:ConfigGroup",
  chart: "kubernetes:helm.sh/v4:Chart",
} as const;

/** Ports that must never face the whole internet unless the site says so: SSH and the Kubernetes API. */
export const GUARDED_PORTS = [22, 6443] as const;
const WORLD = ["0.0.0.0/0", "::/0"];

/**
 * Namespaces where a privileged pod is allowed: k3s' own, the CNI's and the volume driver's. Canal and Cilium run in
 * kube-system; Calico installed by its operator runs in calico-system; Hetzner's CSI node plugin mounts volumes on
 * the host and runs privileged (its chart at 2.22.1, templates/node/daemonset.yaml).
 */
export const PRIVILEGED_NAMESPACES = ["kube-system", "calico-system", "hcloud-csi"] as const;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Whether a Hetzner firewall port field ("22", "20-30", "any") covers `port`. */
export function portCovers(field: unknown, port: number): boolean {
  if (field === undefined || field === null || field === "any") return true;
  const text = String(field);
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) return Number(range[1]) <= port && port <= Number(range[2]);
  return Number(text) === port;
}

/** No inbound rule opens SSH or the API to 0.0.0.0/0 or ::/0, unless the firewall carries the allowWorld label. */
export function firewallProblems(type: string, inputs: Readonly<Record<string, unknown>>): string[] {
  if (type !== TYPES.firewall) return [];
  if (record(inputs.labels)[LABEL.allowWorld] === "true") return [];
  const problems: string[] = [];
  for (const raw of list(inputs.rules)) {
    const rule = record(raw);
    if (rule.direction !== "in" || !(rule.protocol === "tcp" || rule.protocol === undefined)) continue;
    const open = list(rule.sourceIps).filter((s) => WORLD.includes(String(s)));
    for (const port of GUARDED_PORTS.filter((p) => portCovers(rule.port, p))) {
      for (const source of open) {
        problems.push(
          `firewall ${String(inputs.name)}: the rule "${String(rule.description ?? "")}" opens port ${port} to ${String(source)}: ` +
            `list your own addresses in site.operatorCidrs, or set site.allowWorld: true if the site is meant to be open`,
        );
      }
    }
  }
  return problems;
}

/** Servers boot without user data: everything a node needs comes from its bootstrap command, which is reviewed. */
export function userDataProblems(type: string, inputs: Readonly<Record<string, unknown>>): string[] {
  if (type !== TYPES.server) return [];
  const userData = inputs.userData;
  if (userData === undefined || userData === null || userData === "") return [];
  return [
    `server ${String(inputs.name)} has user data: k3s-sites configures nodes through their bootstrap command only; ` +
      `remove userData (cloud-init runs once and out of sight of pulumi preview)`,
  ];
}

/**
 * A remote command's SSH private keys (of the host and of a jump host) and its stdin (the join token and other
 * secrets) are secret. `isSecret` tells whether a value is marked secret; the plan marks them as SECRET_MARK.
 */
export function commandSecretProblems(
  type: string,
  inputs: Readonly<Record<string, unknown>>,
  isSecret: (value: unknown) => boolean = (v) => v === SECRET_MARK,
): string[] {
  if (type !== TYPES.command) return [];
  const problems: string[] = [];
  const connection = inputs.connection;
  if (connection !== undefined && !isSecret(connection)) {
    const conn = record(connection);
    const keys: [string, unknown][] = [["connection.privateKey", conn.privateKey]];
    if (conn.proxy !== undefined) {
      const proxy = record(conn.proxy);
      keys.push(["connection.proxy.privateKey", isSecret(conn.proxy) ? SECRET_MARK : proxy.privateKey]);
    }
    for (const [path, value] of keys) {
      if (value !== undefined && !isSecret(value)) problems.push(`remote command ${path} is not secret: pass it with pulumi.secret(...)`);
    }
  }
  if (inputs.stdin !== undefined && !isSecret(inputs.stdin)) {
    problems.push("remote command stdin (it carries the join token) is not secret: pass it with pulumi.secret(...)");
  }
  return problems;
}

/** Every Kubernetes object of these resources, with the rendered chart objects given; each object once. */
export function kubeObjectsOf(resources: readonly PolicyResource[], chartObjects: readonly KubeObject[] = []): KubeObject[] {
  const all: KubeObject[] = [];
  for (const r of resources) {
    if (r.type === TYPES.configGroup) all.push(...(list(r.inputs.objs) as KubeObject[]));
    else if (r.type.startsWith("kubernetes:") && !/^kubernetes:(helm\.sh|yaml|kustomize)\//.test(r.type) && !r.type.startsWith("pulumi:")) {
      if (typeof r.inputs.kind === "string") all.push(r.inputs as KubeObject);
    }
  }
  all.push(...chartObjects);
  const seen = new Set<string>();
  return all.filter((o) => {
    const key = `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A policy that selects every pod of its namespace and allows nothing in either direction. */
export function isDefaultDeny(o: KubeObject): boolean {
  if (o.kind !== "NetworkPolicy") return false;
  const spec = record(o.spec);
  const selector = record(spec.podSelector);
  const selectsAll = Object.keys(record(selector.matchLabels)).length === 0 && list(selector.matchExpressions).length === 0;
  const types = list(spec.policyTypes);
  return selectsAll && types.includes("Ingress") && types.includes("Egress") && list(spec.ingress).length === 0 && list(spec.egress).length === 0;
}

/** The namespaces of every ingress controller in the registry: a site has one of them, default-denied where it isolates. */
export const INGRESS_NAMESPACES: readonly string[] = Object.values(INGRESS_CONTROLLERS).map((c) => c.edge.namespace);

/**
 * Namespaces a chart creates for objects that are not pods: the Cilium chart's cilium-secrets holds the TLS Secrets
 * the agent reads, and no pod runs in it (test/policy-pack/plan.test.ts checks that against the rendered chart).
 */
export const DEFAULT_DENY_EXEMPT = ["cilium-secrets"] as const;

/**
 * Every namespace the program creates (outside DEFAULT_DENY_EXEMPT) has a default-deny NetworkPolicy, unless the
 * program says it does not isolate it (the DEFAULT_DENY_LABEL, set where networkPolicies.defaultDeny is false, a
 * choice the config schema accepts): such a site is valid, and refusing it would refuse every preview of it. The
 * label is believed only on a site that isolates nothing: where the ingress controller's namespace (whichever the
 * site runs, from the registry: INGRESS_NAMESPACES) has its default-deny (the site has networkPolicies.defaultDeny),
 * a namespace labelled "off" is one the program forgot to isolate, and is refused.
 */
export function defaultDenyProblems(objects: readonly KubeObject[]): string[] {
  const denied = new Set(objects.filter(isDefaultDeny).map((o) => o.metadata?.namespace ?? "default"));
  const ingress = INGRESS_NAMESPACES.find((ns) => denied.has(ns));
  const isolating = ingress !== undefined;
  const managed = objects
    .filter((o) => o.kind === "Namespace")
    .map((o) => ({ name: o.metadata?.name ?? "", off: o.metadata?.labels?.[DEFAULT_DENY_LABEL] === "off" }))
    .filter((ns) => !(DEFAULT_DENY_EXEMPT as readonly string[]).includes(ns.name) && !denied.has(ns.name));
  return managed
    .filter((ns) => !ns.off || isolating)
    .map((ns) =>
      ns.off
        ? `namespace ${ns.name} is labelled ${DEFAULT_DENY_LABEL}: off, but the site isolates its namespaces (${ingress} has a ` +
          `default-deny NetworkPolicy, networkPolicies.defaultDeny true): give it the baseline policies like the others ` +
          `(src/policy/system.ts namespaceBaseline) and drop the label`
        : `namespace ${ns.name} has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules): ` +
          `add it with the namespace (src/policy/system.ts namespaceBaseline), or, where the site does not isolate the ` +
          `namespace (networkPolicies.defaultDeny false), label it ${DEFAULT_DENY_LABEL}: off`,
    );
}

interface PodTemplate {
  readonly owner: KubeObject;
  readonly spec: Record<string, unknown>;
}

/** The pod templates of Pods, Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs and CronJobs. */
export function podTemplatesOf(objects: readonly KubeObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const o of objects) {
    const spec = record(o.spec);
    let pod: unknown;
    if (o.kind === "Pod") pod = spec;
    else if (o.kind === "CronJob") pod = record(record(record(spec.jobTemplate).spec).template).spec;
    else if (["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"].includes(String(o.kind))) pod = record(spec.template).spec;
    if (pod !== undefined) out.push({ owner: o, spec: record(pod) });
  }
  return out;
}

function privilegedContainers(pod: Record<string, unknown>): string[] {
  return [...list(pod.initContainers), ...list(pod.containers)]
    .map(record)
    .filter((c) => {
      const sc = record(c.securityContext);
      const added = list(record(sc.capabilities).add).map(String);
      return sc.privileged === true || added.includes("SYS_ADMIN") || added.includes("ALL");
    })
    .map((c) => String(c.name));
}

/** No workload runs a privileged container (or one given SYS_ADMIN or ALL) outside PRIVILEGED_NAMESPACES. */
export function privilegedProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const { owner, spec } of podTemplatesOf(objects)) {
    const namespace = owner.metadata?.namespace ?? "default";
    if ((PRIVILEGED_NAMESPACES as readonly string[]).includes(namespace)) continue;
    for (const container of privilegedContainers(spec)) {
      problems.push(
        `${owner.kind} ${namespace}/${owner.metadata?.name}: container ${container} runs privileged outside ` +
          `${PRIVILEGED_NAMESPACES.slice(0, -1).join(", ")} and ${PRIVILEGED_NAMESPACES.at(-1)}: drop privileged (and SYS_ADMIN), or run it in the CNI's namespace`,
      );
    }
  }
  return problems;
}

/**
 * The network and the control-plane servers are protected in Pulumi exactly when they are at Hetzner
 * (deleteProtection, which site.protect sets), and subnets follow their network: a change that drops one
 * protection and keeps the other is refused.
 */
export function protectProblems(resources: readonly PolicyResource[]): string[] {
  const problems: string[] = [];
  const networks = resources.filter((r) => r.type === TYPES.network);
  for (const r of networks) {
    if (r.protect !== (r.inputs.deleteProtection === true)) {
      problems.push(`network ${r.name}: protect is ${r.protect} but deleteProtection is ${r.inputs.deleteProtection === true}: set both from site.protect`);
    }
  }
  for (const r of resources.filter((x) => x.type === TYPES.server)) {
    if (record(r.inputs.labels)[LABEL.role] !== "server") continue;
    const del = r.inputs.deleteProtection === true;
    const rebuild = r.inputs.rebuildProtection === true;
    if (r.protect !== del || del !== rebuild) {
      problems.push(
        `control-plane server ${r.name}: protect ${r.protect}, deleteProtection ${del}, rebuildProtection ${rebuild}: ` +
          `all three follow site.protect`,
      );
    }
  }
  const networkProtected = networks.some((n) => n.protect);
  for (const r of resources.filter((x) => x.type === TYPES.subnet)) {
    if (networks.length > 0 && r.protect !== networkProtected) {
      problems.push(`subnet ${r.name}: protect is ${r.protect} but its network's is ${networkProtected}: subnets follow site.protect`);
    }
  }
  return problems;
}

/** Every resource rule, for one resource. */
export function resourceProblems(type: string, inputs: Readonly<Record<string, unknown>>): string[] {
  return [...firewallProblems(type, inputs), ...userDataProblems(type, inputs), ...commandSecretProblems(type, inputs)];
}

/**
 * Every rule over a whole stack: the resource rules of each resource and the stack rules, each problem prefixed with
 * the name of the pack's policy that reports it (policy/pack.ts), as `pulumi preview --policy-pack` shows it.
 */
export function stackProblems(resources: readonly PolicyResource[], chartObjects: readonly KubeObject[] = []): string[] {
  const objects = kubeObjectsOf(resources, chartObjects);
  const named = (policy: string, problems: string[]) => problems.map((p) => `[${policy}] ${p}`);
  return [
    ...resources.flatMap((r) => [
      ...named("no-world-ssh-or-api", firewallProblems(r.type, r.inputs)),
      ...named("no-server-user-data", userDataProblems(r.type, r.inputs)),
      ...named("remote-command-secrets", commandSecretProblems(r.type, r.inputs)),
    ]),
    ...named("namespaces-default-deny", defaultDenyProblems(objects)),
    ...named("no-privileged-workloads", privilegedProblems(objects)),
    ...named("protected-stays-protected", protectProblems(resources)),
  ];
}
