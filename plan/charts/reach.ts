/**
 * Whether the site's NetworkPolicies let through what must reach a chart's pods, derived from the rendered objects:
 * the webhooks the API server calls (admission webhook configurations, APIServices, CRD conversion webhooks) followed
 * through their Service to the pod's port, and Hubble Relay's calls to every agent's Hubble server.
 *
 * NetworkPolicy semantics (Kubernetes networking.k8s.io/v1): a pod is isolated for a direction once any policy of
 * that direction selects it; then a connection is allowed when some selecting policy has a rule whose ports and peers
 * both match. Host-network pods are not selected by policies. The API server calls webhooks from the servers' host
 * network, so it matches only ipBlock peers (or rules without peers).
 */
import * as ipaddr from "ipaddr.js";
import { workloadsOf, type Workload } from "../../src/kubernetes/pods";
import type { KubernetesObject } from "../../src/kubernetes/object";

export interface Peer {
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
  readonly podSelector?: Selector;
  readonly namespaceSelector?: Selector;
}
export interface Selector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}
export interface Rule {
  readonly ports?: readonly { readonly port?: number | string; readonly protocol?: string; readonly endPort?: number }[];
  readonly from?: readonly Peer[];
  readonly to?: readonly Peer[];
}
export interface PolicySpec {
  readonly podSelector: Selector;
  readonly policyTypes?: readonly string[];
  readonly ingress?: readonly Rule[];
  readonly egress?: readonly Rule[];
}
/** A NetworkPolicy as the evaluator reads it: the rendered charts' objects and the program's own both fit. */
export interface EvaluatedPolicy {
  readonly metadata: { readonly name?: string; readonly namespace?: string };
  readonly spec: PolicySpec;
}
export interface Policy extends KubernetesObject {
  readonly spec: PolicySpec;
}

export function matches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = (e.values ?? []).includes(labels[e.key] ?? "");
    if (e.operator === "In" && !(has && inValues)) return false;
    if (e.operator === "NotIn" && has && inValues) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** The end of a connection: a pod (namespace and labels) or a host address. */
export type Endpoint =
  | { readonly pod: { readonly namespace: string; readonly labels: Record<string, string> }; readonly ip?: undefined }
  | { readonly ip: string; readonly pod?: undefined };

function inCidr(ip: string, cidr: string): boolean {
  const addr = ipaddr.parse(ip);
  const [range, bits] = ipaddr.parseCIDR(cidr);
  return addr.kind() === range.kind() && addr.match(range, bits);
}

function peerMatches(peer: Peer, ep: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    if (!ep.ip) return false; // pod-to-pod traffic matches ipBlocks only by pod IP, which the plan does not know
    return inCidr(ep.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(ep.ip as string, c));
  }
  if (!ep.pod) return false;
  const nsLabels = { "kubernetes.io/metadata.name": ep.pod.namespace };
  if (peer.namespaceSelector) {
    return matches(peer.namespaceSelector, nsLabels) && matches(peer.podSelector, ep.pod.labels);
  }
  return ep.pod.namespace === policyNamespace && matches(peer.podSelector, ep.pod.labels);
}

export function portMatches(rule: Rule, port: number, portName: string | undefined, protocol = "TCP"): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some((p) => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return p.port === portName;
    return p.endPort !== undefined ? port >= p.port && port <= p.endPort : p.port === port;
  });
}

export function types(p: EvaluatedPolicy): readonly string[] {
  return p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

/** Whether `policies` allow a connection (TCP unless `protocol` says UDP) from `source` into pod `target` on `port`. */
export function ingressAllowed(
  policies: readonly EvaluatedPolicy[],
  target: { namespace: string; labels: Record<string, string> },
  port: number,
  portName: string | undefined,
  source: Endpoint,
  protocol = "TCP",
): boolean {
  const selecting = policies.filter(
    (p) => p.metadata.namespace === target.namespace && types(p).includes("Ingress") && matches(p.spec.podSelector, target.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.ingress ?? []).some(
      (r) => portMatches(r, port, portName, protocol) && (!r.from || r.from.length === 0 || r.from.some((peer) => peerMatches(peer, source, p.metadata.namespace ?? "default"))),
    ),
  );
}

/** Whether `policies` let pod `source` open a connection (TCP unless `protocol` says UDP) to `dest` on `port`. */
export function egressAllowed(
  policies: readonly EvaluatedPolicy[],
  source: { namespace: string; labels: Record<string, string> },
  port: number,
  dest: Endpoint,
  protocol = "TCP",
): boolean {
  const selecting = policies.filter(
    (p) => p.metadata.namespace === source.namespace && types(p).includes("Egress") && matches(p.spec.podSelector, source.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.egress ?? []).some(
      (r) => portMatches(r, port, undefined, protocol) && (!r.to || r.to.length === 0 || r.to.some((peer) => peerMatches(peer, dest, p.metadata.namespace ?? "default"))),
    ),
  );
}

/** Something that must reach a chart's pods, found in its rendered objects. */
export interface Reach {
  /** What calls: `the API server (ValidatingWebhookConfiguration cert-manager-webhook)`. */
  readonly caller: string;
  readonly from: "api-server" | Workload;
  readonly service: string;
  readonly target: Workload;
  readonly port: number;
  readonly portName?: string;
}

function serviceRefs(o: KubernetesObject): { name: string; namespace: string; port: number }[] {
  const refs: { name: string; namespace: string; port: number }[] = [];
  const add = (s: { name?: string; namespace?: string; port?: number } | undefined) => {
    if (s?.name && s.namespace) refs.push({ name: s.name, namespace: s.namespace, port: s.port ?? 443 });
  };
  if (o.kind === "ValidatingWebhookConfiguration" || o.kind === "MutatingWebhookConfiguration") {
    for (const w of (o.webhooks as { clientConfig?: { service?: { name: string; namespace: string; port?: number } } }[] | undefined) ?? []) {
      add(w.clientConfig?.service);
    }
  }
  if (o.kind === "APIService") add((o.spec as { service?: { name: string; namespace: string; port?: number } }).service);
  if (o.kind === "CustomResourceDefinition") {
    add((o.spec as { conversion?: { webhook?: { clientConfig?: { service?: { name: string; namespace: string; port?: number } } } } }).conversion?.webhook?.clientConfig?.service);
  }
  return refs;
}

interface ServiceObj extends KubernetesObject {
  readonly spec: { selector?: Record<string, string>; ports?: { port: number; targetPort?: number | string; name?: string }[] };
}

/** The pods and container port behind `service:port`, or a problem sentence. */
export function resolve(objects: readonly KubernetesObject[], ns: string, name: string, port: number): { target: Workload; port: number; portName?: string } | string {
  const svc = objects.find((o): o is ServiceObj => o.kind === "Service" && o.metadata.name === name && o.metadata.namespace === ns);
  if (!svc) return `Service ${ns}/${name} is not rendered`;
  const sp = svc.spec.ports?.find((p) => p.port === port);
  if (!sp) return `Service ${ns}/${name} has no port ${port}`;
  const selector = svc.spec.selector ?? {};
  const target = workloadsOf(objects).find((w) => w.namespace === ns && Object.keys(selector).length > 0 && matches({ matchLabels: selector }, w.labels));
  if (!target) return `Service ${ns}/${name} selects no rendered pod`;
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === "number") {
    const named = (target.spec.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.containerPort === tp);
    return { target, port: tp, ...(named?.name ? { portName: named.name } : {}) };
  }
  const cp = (target.spec.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === tp);
  if (!cp) return `Service ${ns}/${name} targets port ${tp}, which no container of ${target.owner.metadata.name} names`;
  return { target, port: cp.containerPort, portName: tp };
}

/** Everything the API server calls among `objects`, resolved to pods and ports; unresolvable ones as problems. */
export function webhookReaches(objects: readonly KubernetesObject[]): { reaches: Reach[]; problems: string[] } {
  const reaches: Reach[] = [];
  const problems: string[] = [];
  for (const o of objects) {
    for (const ref of serviceRefs(o)) {
      const caller = `the API server (${o.kind} ${o.metadata.name})`;
      const r = resolve(objects, ref.namespace, ref.name, ref.port);
      if (typeof r === "string") problems.push(`${caller} calls ${ref.namespace}/${ref.name}:${ref.port}: ${r}`);
      else reaches.push({ caller, from: "api-server", service: `${ref.namespace}/${ref.name}:${ref.port}`, ...r });
    }
  }
  return { reaches, problems };
}

/**
 * Hubble Relay dials every agent's Hubble server through the hubble-peer Service (its config's peer-service). The
 * agents run on the host network, so the relay's egress decides.
 */
export function hubbleReaches(objects: readonly KubernetesObject[]): { reaches: Reach[]; problems: string[] } {
  const relay = workloadsOf(objects).find((w) => w.owner.kind === "Deployment" && w.owner.metadata.name === "hubble-relay");
  if (!relay) return { reaches: [], problems: [] };
  const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "hubble-relay-config");
  const text = String((config?.data as Record<string, string> | undefined)?.["config.yaml"] ?? "");
  const peer = /peer-service:\s*"?([^"\s]+)"?/.exec(text)?.[1];
  if (!peer) return { reaches: [], problems: ["hubble-relay-config has no peer-service"] };
  const m = /^(?:([^./:]+)\.([^./:]+)(?:\.svc[^:]*)?)?:?(\d+)?$/.exec(peer) ?? [];
  const [name, ns, port] = [m[1] ?? "hubble-peer", m[2] ?? relay.namespace, Number(m[3] ?? 443)];
  const r = resolve(objects, ns, name, port);
  if (typeof r === "string") return { reaches: [], problems: [`hubble-relay dials ${peer}: ${r}`] };
  return { reaches: [{ caller: "hubble-relay", from: relay, service: `${ns}/${name}:${port}`, ...r }], problems: [] };
}

/**
 * Reaches the site's policies block, as sentences. `apiServerIps`: where the API server calls from (every server's
 * private IP); `nodeIps`: every node's, where host-network pods listen.
 */
export function blockedReaches(
  reaches: readonly Reach[],
  policies: readonly KubernetesObject[],
  apiServerIps: readonly string[],
  nodeIps: readonly string[],
): string[] {
  const ps = policies.filter((p): p is Policy => p.kind === "NetworkPolicy");
  const problems: string[] = [];
  for (const r of reaches) {
    const what = `${r.caller} -> ${r.service} (${r.target.owner.kind} ${r.target.namespace}/${r.target.owner.metadata.name} port ${r.port})`;
    if (r.from === "api-server") {
      if (r.target.spec.hostNetwork) continue;
      const blocked = apiServerIps.filter((ip) => !ingressAllowed(ps, r.target, r.port, r.portName, { ip }));
      if (blocked.length > 0) problems.push(`${what}: the site's NetworkPolicies block it from ${blocked.join(", ")}`);
      continue;
    }
    const source = { namespace: r.from.namespace, labels: r.from.labels };
    if (r.target.spec.hostNetwork) {
      const blocked = nodeIps.filter((ip) => !egressAllowed(ps, source, r.port, { ip }));
      if (blocked.length > 0) problems.push(`${what}: the site's NetworkPolicies block egress to ${blocked.join(", ")}`);
    } else if (!egressAllowed(ps, source, r.port, { pod: r.target }) || !ingressAllowed(ps, r.target, r.port, r.portName, { pod: source })) {
      problems.push(`${what}: the site's NetworkPolicies block it`);
    }
  }
  return problems;
}
