/**
 * Names Traefik's chart renders and the network policies, checks and apps agree on. The labels, ports and class are
 * what charts/traefik/41.3.0 renders with release `traefik` in namespace `traefik` (templates/_helpers.tpl: name
 * `traefik`, instance `<release>-<namespace>`; values.yaml `ports`), held by test/ingress/traefik/chart.test.ts
 * against a real render.
 */
export const TRAEFIK = {
  namespace: "traefik",
  /** Helm release name: the DaemonSet, ServiceAccount and ClusterRole are named after it. */
  release: "traefik",
  name: "traefik",
  /** Selector labels of the DaemonSet's pods. */
  podLabels: { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-traefik" },
  ingressClass: "traefik",
  /** spec.controller of the chart's IngressClass. */
  controller: "traefik.io/ingress-controller",
  /** Entry points in the pod: `web` and `websecure` listen here, the nodes' 80 and 443 are their hostPorts. */
  httpPort: 8000,
  httpsPort: 8443,
  /** Prometheus metrics (entry point `metrics`) and the API and /ping (entry point `traefik`): no hostPort. */
  metricsPort: 9100,
  pingPort: 8080,
  /** Container ports of the extra TCP entry points start here, one per site.loadBalancer.services entry. */
  extraPortBase: 10000,
} as const;

/** Entry points the chart defines itself; an extra entry point may not take their names. */
export const TRAEFIK_ENTRY_POINTS = ["web", "websecure", "metrics", "traefik"] as const;
