/**
 * Names the edge (nginx, cert-manager) and the network policies agree on: namespaces, pod labels and ports. One
 * place, so that a policy never selects pods that no longer carry the label it expects.
 */

export const NGINX = {
  namespace: "nginx-ingress",
  /** The controller's name: ServiceAccount, DaemonSet, ClusterRole and their bindings. */
  name: "nginx-ingress",
  /** Labels on the controller's pods. */
  podLabels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/part-of": "k3s-sites" },
  ingressClass: "nginx",
  /** Ports on the node (hostPort) and in the pod. */
  httpPort: 80,
  httpsPort: 443,
  /** The readiness endpoint of NGINX Ingress Controller. */
  readinessPort: 8081,
} as const;

export const CERT_MANAGER = {
  namespace: "cert-manager",
  /** Helm release name: the chart's resources and labels derive from it. */
  release: "cert-manager",
  /** `app.kubernetes.io/name` of the chart's three deployments (the chart's own labels). */
  controllerName: "cert-manager",
  webhookName: "webhook",
  cainjectorName: "cainjector",
  /** The port the webhook listens on in its pod (chart value webhook.securePort). */
  webhookPort: 10250,
  /** Label cert-manager puts on HTTP-01 solver pods, and the port they listen on. */
  solverLabel: { "acme.cert-manager.io/http01-solver": "true" },
  solverPort: 8089,
} as const;

/** CoreDNS as k3s deploys it. */
export const COREDNS = {
  namespace: "kube-system",
  podLabels: { "k8s-app": "kube-dns" },
  port: 53,
} as const;
