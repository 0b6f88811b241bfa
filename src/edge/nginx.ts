/**
 * NGINX Ingress Controller (nginx/kubernetes-ingress, open source) as plain Kubernetes objects: one pod per node,
 * listening on the node's 80 and 443. The component applies them; nothing here talks to a cluster.
 *
 * Sources: the reference manifests of the pinned release in upstream/nginx-ingress/v5.5.4/ (see upstream/SOURCES.md)
 * and the controller's code at the same tag (cmd/nginx-ingress/flags.go and main.go, internal/k8s/), read for which
 * API calls each feature we turn on makes.
 */
import type { IDaemonSet } from "kubernetes-models/apps/v1" with { "resolution-mode": "import" };
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1" with { "resolution-mode": "import" };
import type {
  IClusterRole,
  IClusterRoleBinding,
  IPolicyRule,
  IRole,
  IRoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1" with { "resolution-mode": "import" };
import type { IConfigMap, INamespace, IService, IServiceAccount } from "kubernetes-models/v1" with {
  "resolution-mode": "import",
};
import { ingressLoadBalancerService } from "../concerns/registry";
import { NGINX_IMAGE } from "../ingress/nginx/concern";
import { isHetzner, type SiteConfig } from "../config/site";
import { NGINX } from "./names";
import { isolationLabels } from "../policy/objects";
import { METALLB, metallbOf, nginxAddressOf } from "../lb/metallb/metallb";
import { formatProblem } from "../config/problems";
import { ingressConfigProblems, managedConfigKeys } from "./nginx-config";

/** The controller's ConfigMap, named as in the reference manifests (deployments/common/nginx-config.yaml). */
export const NGINX_CONFIG_MAP = "nginx-config";
/** The Lease the replicas elect a leader with (the controller's default -leader-election-lock-name). */
export const NGINX_LEADER_LOCK = "nginx-ingress-leader-election";
/** The user the image runs nginx as (reference DaemonSet: runAsUser 101 #nginx). */
const NGINX_UID = 101;

export interface NginxOptions {
  /**
   * The address Ingress status reports (ConfigMap key external-status-address): the load balancer's public IP or a
   * DNS name. Known at deploy time only, so the component passes it from inside an apply.
   * @default - none: on home sites with a LoadBalancer Service, its LB-IPAM address (-external-service); else nothing
   */
  readonly statusAddress?: string;
}

export type NginxObject =
  | INamespace
  | IServiceAccount
  | IClusterRole
  | IClusterRoleBinding
  | IRole
  | IRoleBinding
  | IConfigMap
  | IIngressClass
  | IDaemonSet
  | IService;

const labels = (): Record<string, string> => ({ ...NGINX.podLabels });
const meta = (name: string) => ({ name, namespace: NGINX.namespace, labels: labels() });

/**
 * Cluster-wide rules: the controller watches Ingresses, Services, EndpointSlices, Pods and Secrets in every namespace
 * (internal/k8s/controller.go, newNamespacedInformer with the default -watch-namespace, all), records Events on the
 * objects it configures, reads its IngressClass at start (main.go, mustValidateIngressClass) and writes Ingress
 * status (-report-ingress-status: status.go, UpdateStatus). No Namespaces and no Nodes: at v5.5.4 the only
 * Namespace informer starts with -watch-namespace-label (controller.go, isDynamicNs -> addNamespaceHandler in
 * namespace.go), Namespaces are otherwise read only for -watch-namespace/-watch-secret-namespace (main.go,
 * checkNamespaces) and Nodes only by telemetry, NGINX Agent metadata and Plus license reporting
 * (common_cluster_info.go), none of which these args turn on. test/edge/nginx.test.ts lists every difference from
 * the reference rbac.yaml with its reason and holds the flags that would need more.
 */
const NGINX_CLUSTER_RULES: readonly IPolicyRule[] = [
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["services", "secrets", "pods"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "list"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses/status"], verbs: ["update"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"], verbs: ["get", "list"] },
];

/**
 * Rules in the controller's own namespace only: its ConfigMap (an informer on that namespace, internal/k8s/
 * configmap.go), the version labels it writes on its own pod (main.go, updateSelfWithVersionInfo), and the leader
 * Lease (internal/k8s/leader.go uses client-go's LeaseLock, which gets, creates and updates one Lease).
 */
const NGINX_NAMESPACE_RULES: readonly IPolicyRule[] = [
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["update"] },
  // create cannot be limited by name (the object does not exist yet); get and update can.
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
  {
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    resourceNames: [NGINX_LEADER_LOCK],
    verbs: ["get", "update"],
  },
];

/**
 * Home sites whose Cilium or MetalLB hands out LoadBalancer addresses get a LoadBalancer Service in front of nginx;
 * with MetalLB, at a fixed address of its pools.
 */
export function hasLoadBalancerService(config: SiteConfig): boolean {
  return ingressLoadBalancerService(config);
}

function loadBalancerAnnotations(config: SiteConfig): Record<string, string> {
  const metallb = metallbOf(config);
  const address = metallb ? nginxAddressOf(metallb) : undefined;
  return address ? { [METALLB.loadBalancerIpsAnnotation]: address } : {};
}

function withAnnotations(annotations: Record<string, string>): { annotations?: Record<string, string> } {
  return Object.keys(annotations).length > 0 ? { annotations } : {};
}

/**
 * The ConfigMap's data: the PROXY protocol keys when ingress.proxyProtocol is on, the status address when given,
 * then ingress.config. A user key may add to what k3s-sites sets but never silently replace it.
 */
function configData(config: SiteConfig, opts: NginxOptions): Record<string, string> {
  if (opts.statusAddress !== undefined && opts.statusAddress.trim() === "") {
    throw new Error("statusAddress is empty: pass the load balancer's public address, or leave statusAddress out");
  }
  const managed = managedConfigKeys(config, opts.statusAddress !== undefined ? { address: opts.statusAddress } : undefined);
  // checkIngressConfig refused these before any resource; asked again for the address known only now.
  const problems = ingressConfigProblems(config, managed);
  if (problems.length > 0) throw new Error(problems.map(formatProblem).join("\n"));
  return { ...Object.fromEntries([...managed].map(([key, { value }]) => [key, value])), ...config.ingress.config };
}

function controllerArgs(config: SiteConfig): string[] {
  return [
    `-nginx-configmaps=${NGINX.namespace}/${NGINX_CONFIG_MAP}`,
    `-ingress-class=${NGINX.ingressClass}`,
    // VirtualServer, TransportServer, Policy and GlobalConfiguration are not used here: with custom resources off the
    // controller neither watches them nor needs their CRDs or RBAC (flags.go: on by default).
    "-enable-custom-resources=false",
    // On by default, it reports to F5 (oss.edge.df.f5.com:443) once a day and needs to list nodes (controller.go).
    "-enable-telemetry-reporting=false",
    `-default-http-listener-port=${NGINX.httpPort}`,
    `-default-https-listener-port=${NGINX.httpsPort}`,
    `-ready-status-port=${NGINX.readinessPort}`,
    "-report-ingress-status",
    // One pod per node: only the elected leader writes Ingress status (default on; stated since the RBAC needs it).
    "-enable-leader-election",
    `-leader-election-lock-name=${NGINX_LEADER_LOCK}`,
    // The Service's LB-IPAM address is the status; the ConfigMap's external-status-address would override it.
    ...(hasLoadBalancerService(config) ? [`-external-service=${NGINX.name}`] : []),
  ];
}

function daemonSet(config: SiteConfig): IDaemonSet {
  const healthCheck = isHetzner(config.site) ? config.site.loadBalancer.healthCheck : undefined;
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: meta(NGINX.name),
    spec: {
      selector: { matchLabels: labels() },
      // A hostPort is taken on the node until the old pod is gone, so a surge pod could never start: replace one
      // node at a time. A PodDisruptionBudget would not help: DaemonSet rolling updates do not go through evictions,
      // and kubectl drain skips DaemonSet pods.
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      // Hetzner: give the load balancer one health check (interval plus timeout) to take the node back in before the
      // next node's pod goes down, so that two targets are never out at once.
      ...(healthCheck ? { minReadySeconds: healthCheck.intervalSeconds + healthCheck.timeoutSeconds } : {}), // seconds
      template: {
        // No checksum annotation: the controller watches its ConfigMap and reloads nginx without a restart.
        metadata: { labels: labels() },
        spec: {
          serviceAccountName: NGINX.name,
          automountServiceAccountToken: true,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: NGINX.name,
              image: NGINX_IMAGE,
              imagePullPolicy: "IfNotPresent",
              args: controllerArgs(config),
              env: [
                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              // hostPort, not hostNetwork: the pod keeps its own network namespace, so NetworkPolicies select it
              // (the CNI enforces them on pod interfaces, never on host-network pods) and its other ports (8080
              // stub_status, 8081 readiness) stay off the node's addresses. Canal's portmap plugin and Cilium's
              // kube-proxy replacement keep the client's source address. The node's public 80/443 are closed by the
              // Hetzner firewall; the load balancer comes in over the private network.
              ports: [
                { name: "http", containerPort: NGINX.httpPort, hostPort: NGINX.httpPort, protocol: "TCP" },
                { name: "https", containerPort: NGINX.httpsPort, hostPort: NGINX.httpsPort, protocol: "TCP" },
                { name: "readiness-port", containerPort: NGINX.readinessPort, protocol: "TCP" },
              ],
              readinessProbe: { httpGet: { path: "/nginx-ready", port: "readiness-port" }, periodSeconds: 1 },
              resources: { requests: { cpu: "100m", memory: "128Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                runAsNonRoot: true,
                runAsUser: NGINX_UID,
                // nginx binds 80 and 443 in the pod as user 101.
                capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * Every object of the ingress controller of a site. Throws when ingress.config sets a key k3s-sites manages (the
 * PROXY protocol keys, external-status-address) or a key that cannot be a ConfigMap key, naming each.
 */
export function nginxObjects(config: SiteConfig, opts: NginxOptions = {}): NginxObject[] {
  const data = configData(config, opts);
  const subject = { kind: "ServiceAccount", name: NGINX.name, namespace: NGINX.namespace };
  const objects: NginxObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NGINX.namespace, labels: { ...labels(), ...isolationLabels(config.networkPolicies.defaultDeny) } } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(NGINX.name) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: NGINX.name, labels: labels() },
      rules: NGINX_CLUSTER_RULES.map((r) => structuredClone(r)),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: NGINX.name, labels: labels() },
      subjects: [{ ...subject }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NGINX.name },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(NGINX.name),
      rules: NGINX_NAMESPACE_RULES.map((r) => structuredClone(r)),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(NGINX.name),
      subjects: [{ ...subject }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NGINX.name },
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(NGINX_CONFIG_MAP), data },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      // The site's only ingress controller (k3s runs without Traefik), so Ingresses without a class get this one.
      metadata: {
        name: NGINX.ingressClass,
        labels: labels(),
        annotations: { "ingressclass.kubernetes.io/is-default-class": "true" },
      },
      // The controller refuses to start unless its IngressClass names this controller (main.go).
      spec: { controller: "nginx.org/ingress-controller" },
    },
    daemonSet(config),
  ];
  if (hasLoadBalancerService(config)) {
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { ...meta(NGINX.name), ...withAnnotations(loadBalancerAnnotations(config)) },
      spec: {
        type: "LoadBalancer",
        // Local: no SNAT to another node, so nginx sees the client's address; every node runs a pod to receive it.
        externalTrafficPolicy: "Local",
        selector: labels(),
        ports: [
          { name: "http", port: NGINX.httpPort, targetPort: "http", protocol: "TCP" },
          { name: "https", port: NGINX.httpsPort, targetPort: "https", protocol: "TCP" },
        ],
      },
    });
  }
  return objects;
}
