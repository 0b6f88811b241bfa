/**
 * The metrics endpoints the rendered charts serve, and whether the site's NetworkPolicies match what the site
 * configures for them.
 *
 * "Where configured": a site asks for metrics to be scraped only by rendering a ServiceMonitor or PodMonitor
 * (monitoring.coreos.com, Prometheus Operator), which the chart values the program passes never turn on
 * (cert-manager prometheus.servicemonitor/podmonitor.enabled, cilium's *.serviceMonitor.enabled: all false by
 * default in values.yaml of v1.21.2, 1.19.6 and 1.20.0). So:
 * - a monitored endpoint (a ServiceMonitor or PodMonitor selects it) must be reachable by some pod through the
 *   site's NetworkPolicies, or the monitor scrapes nothing;
 * - an endpoint nobody is configured to scrape must stay closed on the pod network (no policy lets a pod in), and
 *   one on the host network, where NetworkPolicies do not apply, must be listed in plan/charts/known.ts with why it
 *   may serve there (or be turned off in the chart's values).
 *
 * Endpoints are found in the rendered objects: container ports named like metrics (`http-metrics`, `prometheus`,
 * `envoy-metrics`, `hubble-metrics`), pods annotated `prometheus.io/scrape: "true"` with `prometheus.io/port`,
 * Services with such ports or that annotation, and what monitors select.
 */
import { workloadsOf, type Workload } from "../../src/kubernetes/pods";
import { matches, portMatches, resolve, types, type Policy, type Selector } from "./reach";
import type { KubernetesObject } from "../../src/kubernetes/object";

export interface MetricsEndpoint {
  readonly target: Workload;
  readonly port: number;
  readonly portName?: string;
  /** Where it was found: `container port http-metrics`, `Service cert-manager/cert-manager port 9402` ... */
  readonly via: readonly string[];
  /** The ServiceMonitors and PodMonitors that scrape it. */
  readonly monitors: readonly string[];
}

/** An endpoint on the host network that is on with the site's values, and why that is accepted. */
export interface KnownMetrics {
  readonly chart: string;
  readonly kind: string;
  readonly name: string;
  readonly port: number;
  readonly reason: string;
}

const METRICS_PORT_NAME = /(^|-)(metrics|prometheus)$/;
const MONITOR_GROUP = "monitoring.coreos.com/";

function label(w: Workload): string {
  return `${w.owner.kind} ${w.namespace}/${w.owner.metadata.name}`;
}

function portNameOf(w: Workload, port: number): string | undefined {
  return (w.spec.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.containerPort === port)?.name;
}

interface ServiceObj extends KubernetesObject {
  readonly spec: { selector?: Record<string, string>; ports?: { port: number; name?: string; targetPort?: number | string }[] };
}

interface Monitor extends KubernetesObject {
  readonly spec: {
    selector?: Selector;
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    endpoints?: { port?: string; targetPort?: number | string }[];
    podMetricsEndpoints?: { port?: string; portNumber?: number; targetPort?: number | string }[];
  };
}

/** Every metrics endpoint among `objects`, one per pod and port. */
export function metricsEndpoints(objects: readonly KubernetesObject[]): MetricsEndpoint[] {
  const found = new Map<string, { target: Workload; port: number; via: string[]; monitors: string[] }>();
  const add = (target: Workload, port: number, via: string, monitor?: string) => {
    const key = `${label(target)}:${port}`;
    const e = found.get(key) ?? { target, port, via: [], monitors: [] };
    if (!e.via.includes(via)) e.via.push(via);
    if (monitor && !e.monitors.includes(monitor)) e.monitors.push(monitor);
    found.set(key, e);
  };
  const workloads = workloadsOf(objects);
  for (const w of workloads) {
    for (const p of (w.spec.containers ?? []).flatMap((c) => c.ports ?? [])) {
      if (p.name && METRICS_PORT_NAME.test(p.name)) add(w, p.containerPort, `container port ${p.name}`);
    }
    const annotations = (w.owner.kind === "Pod" ? w.owner.metadata.annotations : templateAnnotations(w.owner)) ?? {};
    const port = Number(annotations["prometheus.io/port"]);
    if (annotations["prometheus.io/scrape"] === "true" && Number.isInteger(port)) add(w, port, "annotation prometheus.io/port");
  }
  const services = objects.filter((o): o is ServiceObj => o.kind === "Service");
  const throughService = (svc: ServiceObj, servicePort: number, via: string, monitor?: string) => {
    const r = resolve(objects, svc.metadata.namespace ?? "default", svc.metadata.name, servicePort);
    if (typeof r !== "string") add(r.target, r.port, via, monitor);
  };
  for (const svc of services) {
    const scraped = svc.metadata.annotations?.["prometheus.io/scrape"] === "true";
    for (const p of svc.spec.ports ?? []) {
      if (scraped || (p.name && METRICS_PORT_NAME.test(p.name))) {
        throughService(svc, p.port, `Service ${svc.metadata.namespace}/${svc.metadata.name} port ${p.port}`);
      }
    }
  }
  for (const m of objects.filter((o): o is Monitor => o.apiVersion.startsWith(MONITOR_GROUP))) {
    const name = `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`;
    const ns = m.spec.namespaceSelector;
    const inNamespace = (n: string | undefined) => ns?.any === true || (ns?.matchNames ?? [m.metadata.namespace]).includes(n);
    if (m.kind === "ServiceMonitor") {
      for (const svc of services.filter((s) => inNamespace(s.metadata.namespace) && matches(m.spec.selector, s.metadata.labels ?? {}))) {
        // `port` names the Service's port; `targetPort` the pod's, by name or number (Prometheus Operator's API).
        for (const ep of m.spec.endpoints ?? []) {
          for (const sp of svc.spec.ports ?? []) {
            const r = resolve(objects, svc.metadata.namespace ?? "default", svc.metadata.name, sp.port);
            if (typeof r === "string") continue;
            const hit = ep.port !== undefined ? sp.name === ep.port : ep.targetPort === r.port || ep.targetPort === r.portName;
            if (hit) add(r.target, r.port, name, name);
          }
        }
      }
    } else if (m.kind === "PodMonitor") {
      for (const w of workloads.filter((w) => inNamespace(w.namespace) && matches(m.spec.selector, w.labels))) {
        for (const ep of m.spec.podMetricsEndpoints ?? []) {
          const cp = (w.spec.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === ep.port || p.containerPort === ep.portNumber);
          if (cp) add(w, cp.containerPort, name, name);
        }
      }
    }
  }
  return [...found.values()].map((e) => {
    const portName = portNameOf(e.target, e.port);
    return { target: e.target, port: e.port, ...(portName ? { portName } : {}), via: e.via, monitors: e.monitors };
  });
}

function templateAnnotations(o: KubernetesObject): Record<string, string> | undefined {
  const spec = o.spec as { template?: { metadata?: { annotations?: Record<string, string> } }; jobTemplate?: { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } } } | undefined;
  return (o.kind === "CronJob" ? spec?.jobTemplate?.spec?.template : spec?.template)?.metadata?.annotations;
}

/**
 * Whether the policies let some pod connect to `target` on `port`: no ingress policy selects it, or a selecting one
 * has a rule for the port whose peers are pods (a pod or namespace selector, or no peers at all). ipBlock peers are
 * not counted: on Cilium they never match pods, and on Canal they match pods only by address.
 */
export function admitsSomePod(policies: readonly Policy[], target: Workload, port: number, portName: string | undefined): boolean {
  const selecting = policies.filter(
    (p) => p.metadata.namespace === target.namespace && types(p).includes("Ingress") && matches(p.spec.podSelector, target.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.ingress ?? []).some((r) => portMatches(r, port, portName) && (!r.from || r.from.length === 0 || r.from.some((peer) => !peer.ipBlock))),
  );
}

/** Metrics endpoints whose reachability does not match what the site configures, as sentences. */
export function metricsProblems(
  chart: string,
  endpoints: readonly MetricsEndpoint[],
  policies: readonly KubernetesObject[],
  known: readonly KnownMetrics[],
): string[] {
  const ps = policies.filter((p): p is Policy => p.kind === "NetworkPolicy");
  const problems: string[] = [];
  for (const e of endpoints) {
    const what = `${chart}: ${label(e.target)} serves metrics on port ${e.port} (${e.via.join(", ")})`;
    const hostNetwork = e.target.spec.hostNetwork === true;
    if (e.monitors.length > 0) {
      if (!hostNetwork && !admitsSomePod(ps, e.target, e.port, e.portName)) {
        problems.push(
          `${what} and ${e.monitors.join(", ")} scrapes it, but the site's NetworkPolicies let no pod reach it: ` +
            `allow the scraper's namespace in on port ${e.port}, or turn the monitor off in the chart's values`,
        );
      }
      continue;
    }
    if (hostNetwork) {
      const listed = known.some(
        (k) => k.chart === chart && k.kind === e.target.owner.kind && k.name === e.target.owner.metadata.name && k.port === e.port,
      );
      if (!listed) {
        problems.push(
          `${what} on the host network, where NetworkPolicies do not apply, and no scraper is configured: turn it off ` +
            `in the chart's values, or list it in plan/charts/known.ts with why it may serve there`,
        );
      }
    } else if (admitsSomePod(ps, e.target, e.port, e.portName)) {
      problems.push(
        `${what}, the site's NetworkPolicies let pods reach it, and no ServiceMonitor or PodMonitor is configured: ` +
          `keep its namespace default-deny on port ${e.port}, or configure the scraping`,
      );
    }
  }
  return problems;
}
