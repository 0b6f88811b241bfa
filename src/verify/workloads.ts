/** The checks' workloads: a Job per check, the echo servers and their Service, the test Certificate. */
import type { SiteConfig } from "../config/site";
import { LETSENCRYPT } from "../certificates/cert-manager/cert-manager";
import { APP_RULE_SCRIPTS, DENIED_PORT, ECHO_LABELS, ECHO_PORT, ECHO_SERVICE, JOB_BUDGET, LABELS, SCRIPTS_CONFIG_MAP, VERIFY_CERTIFICATE, VERIFY_NAMESPACE, checkLabels, families, meta, type CheckName, type JobName } from "./names";
import { JOB_DEADLINE, VERIFY_IMAGE } from "./pins";
import type { KubernetesObject } from "../kubernetes/object";

export const SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
export const RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } };
export const SCRIPTS_VOLUME = { name: "scripts", configMap: { name: SCRIPTS_CONFIG_MAP, defaultMode: 0o555 } };
export const SCRIPTS_MOUNT = { name: "scripts", mountPath: "/verify", readOnly: true };

/** A Job outside the verify namespace: a stand-in with another workload's labels (appRuleJobs). */
export interface StandIn {
  readonly namespace: string;
  /** The labels of what it stands in for; they win over the verify labels. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Ports it listens on. */
  readonly ports?: readonly number[];
}

/** A Job that runs a script as another check's service account, on the host network. */
export interface HostJob {
  readonly script: CheckName | "announce";
  readonly serviceAccount: string;
  readonly hostNetwork: true;
  /** The node it runs on. @default - any node the scheduler picks */
  readonly node?: string;
  /** Pods that must all pass, each on a node of its own. @default 1 */
  readonly pods?: number;
  /** Labels the nodes it runs on must have. @default - any node */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** Whether the pod gets its node's address as HOST_IP (the downward API's status.hostIP). @default false */
  readonly ownAddress?: boolean;
}

export function job(
  check: JobName,
  digest: string,
  env: Record<string, string>,
  usesApi: boolean,
  standIn?: StandIn,
  host?: HostJob,
): KubernetesObject {
  const namespace = standIn?.namespace ?? VERIFY_NAMESPACE;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      ...meta(`verify-${check}-${digest}`, namespace, checkLabels(check)),
      annotations: { "pulumi.com/replaceUnready": "true" },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: JOB_DEADLINE,
      ...(host?.pods !== undefined ? { completions: host.pods, parallelism: host.pods } : {}),
      template: {
        metadata: { labels: { ...LABELS, ...checkLabels(check), ...(standIn?.podLabels ?? {}) } },
        spec: {
          restartPolicy: "Never",
          // Pinned to a node, servers included whatever their taints; or spread, one pod per node.
          ...(host?.node !== undefined ? { nodeSelector: { "kubernetes.io/hostname": host.node } } : {}),
          ...(host?.nodeLabels !== undefined ? { nodeSelector: { ...host.nodeLabels } } : {}),
          ...(host?.node !== undefined || host?.pods !== undefined ? { tolerations: [{ operator: "Exists" }] } : {}),
          ...(host?.pods !== undefined
            ? {
                affinity: {
                  podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      { labelSelector: { matchLabels: checkLabels(check) }, topologyKey: "kubernetes.io/hostname" },
                    ],
                  },
                },
              }
            : {}),
          // A stand-in runs as its namespace's default service account, without a token.
          ...(standIn ? {} : { serviceAccountName: host?.serviceAccount ?? `verify-${check}` }),
          ...(host ? { hostNetwork: true } : {}),
          // A host-network pod resolves with the node's resolv.conf unless told otherwise; one that reads the API
          // needs the cluster's DNS for kubernetes.default.svc (the name its certificate carries).
          ...(host && usesApi ? { dnsPolicy: "ClusterFirstWithHostNet" } : {}),
          automountServiceAccountToken: usesApi,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: check,
              image: VERIFY_IMAGE,
              command: ["bash", `/verify/${host?.script ?? check}.sh`],
              // The image sets HOSTNAME=netshoot (its Dockerfile at v0.16), so the pod's name comes from the API.
              env: [
                ...Object.entries({ ...env, BUDGET: String(JOB_BUDGET) }).map(([name, value]) => ({ name, value })),
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                ...(host?.ownAddress ? [{ name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }] : []),
              ],
              // The image's WORKDIR is /root, which the non-root user cannot write.
              workingDir: "/tmp",
              ...(standIn
                ? {
                    ...(standIn.ports ? { ports: standIn.ports.map((p) => ({ containerPort: p, protocol: "TCP" })) } : {}),
                    // Never Ready: kept out of the Services of what it stands in for.
                    readinessProbe: { exec: { command: ["false"] }, periodSeconds: 30 },
                  }
                : {}),
              securityContext: SECURITY,
              resources: RESOURCES,
              volumeMounts: [SCRIPTS_MOUNT],
            },
          ],
          volumes: [standIn ? { name: "scripts", configMap: { name: APP_RULE_SCRIPTS, defaultMode: 0o555 } } : SCRIPTS_VOLUME],
        },
      },
    },
  };
}

export function echoDaemonSet(config: SiteConfig): KubernetesObject {
  const labels = { ...LABELS, ...ECHO_LABELS };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: meta(ECHO_SERVICE, VERIFY_NAMESPACE, ECHO_LABELS),
    spec: {
      selector: { matchLabels: ECHO_LABELS },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          serviceAccountName: "verify-pods",
          // Every node, servers included, whatever their taints: the pod check expects an answer from each.
          tolerations: [{ operator: "Exists" }],
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "echo",
              image: VERIFY_IMAGE,
              command: ["bash", "/verify/echo.sh"],
              env: [
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                { name: "ECHO_PORT", value: String(ECHO_PORT) },
                { name: "DENIED_PORT", value: String(DENIED_PORT) },
                { name: "FAMILIES", value: families(config) },
              ],
              ports: [
                { name: "echo", containerPort: ECHO_PORT, protocol: "TCP" },
                { name: "denied", containerPort: DENIED_PORT, protocol: "TCP" },
              ],
              // Kubelet probes come from the node, which policies never block.
              readinessProbe: { tcpSocket: { port: ECHO_PORT }, periodSeconds: 5 },
              securityContext: SECURITY,
              resources: RESOURCES,
              volumeMounts: [SCRIPTS_MOUNT],
            },
          ],
          volumes: [SCRIPTS_VOLUME],
        },
      },
    },
  };
}

export function echoService(config: SiteConfig): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(ECHO_SERVICE),
    spec: {
      // Headless: the name resolves to every ready echo pod, one per node.
      clusterIP: "None",
      ...(config.k3s.ipFamilies === "dual-stack" ? { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] } : {}),
      selector: ECHO_LABELS,
      ports: [{ name: "echo", port: ECHO_PORT, targetPort: ECHO_PORT, protocol: "TCP" }],
    },
  };
}

export function testCertificate(host: string): KubernetesObject {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: meta(VERIFY_CERTIFICATE),
    spec: {
      secretName: `${VERIFY_CERTIFICATE}-tls`,
      dnsNames: [host],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: LETSENCRYPT.staging.issuer },
    },
  };
}
