/**
 * The names, ports and timeouts the checks share: the namespace, the Jobs, the labels, the waits. The scripts read
 * the same values from their environment (test/verify/jobs.scripts.test.ts holds them).
 */
import type { SiteConfig } from "../config/site";
import { JOB_DEADLINE } from "./pins";
import type { KubernetesObject } from "../kubernetes/object";

export const VERIFY_NAMESPACE = "k3s-sites-verify";

/** The echo servers' ports: the one a rule allows and the one no rule allows. */
export const ECHO_PORT = 8080;
export const DENIED_PORT = 8081;
/** A name outside the cluster for the DNS checks, and an address no egress rule allows. */
export const EXTERNAL_NAME = "kubernetes.io";
export const OUTSIDE = { address: "1.1.1.1", port: 443 } as const;
/** How long the certificate check waits for Ready, in seconds. */
export const CERTIFICATE_TIMEOUT = 480; // seconds, inside the Job's activeDeadlineSeconds and Pulumi's 10 minutes
/**
 * Every wait of a check script ends within this (lib.sh BUDGET, from the script's start), so its last line is
 * printed before activeDeadlineSeconds: the margin covers the tries that may start just before it (at most 10 s
 * each: curl -m 5, nc -w 3, dig 2 x 2 s; after it, each remaining wait tries once) and the pod's start.
 */
export const JOB_BUDGET = JOB_DEADLINE - 60; // seconds

export const CHECKS = ["dns", "pods", "policies", "edge", "certificates"] as const;
export type CheckName = (typeof CHECKS)[number];
/**
 * The Jobs: one per check, and for the policies check on a site with an app nginx calls (appRuleOf), two more that
 * stand in for nginx and for the app.
 */
export const APP_RULE_JOBS = ["policies-app", "policies-app-server"] as const;
/**
 * The edge check's Job on every node's host network: one pod per node (podAntiAffinity on the hostname, all in
 * parallel), each calling its own node's address (HOST_IP) on port 80, and on a Hetzner site the load balancer's
 * public IPv6 too. A node's own connection to its hostPort goes through portmap's CNI-HOSTPORT-DNAT, entered from
 * nat OUTPUT for `--dst-type LOCAL` (containernetworking/plugins plugins/meta/portmap; Cilium with
 * kubeProxyReplacement serves hostPorts itself, and its socket load balancing translates the host's own connect),
 * to nginx's pod on that node, and traffic from a pod's own node is never refused by a NetworkPolicy: no policy
 * lets the check in. Calling other nodes instead would need nginx to admit a node address, which also carries every
 * pod of that node masqueraded (flannel-io/flannel pkg/trafficmngr/iptables/iptables.go masqRules: `-s <cluster
 * cidr> ! -d 224.0.0.0/4 -j MASQUERADE` after the RETURNs for pod-to-pod traffic; Calico's natOutgoing; Cilium's
 * masquerading): a way past the load balancer for all of them. A Hetzner cluster is IPv4 only (config rules refuse
 * dual-stack there), so its pods have no IPv6; the servers do. The Job has no privilege beyond the host network:
 * non-root, no capability, no token, a read-only root; it only runs curl.
 */
export const EDGE_HOST_JOB = "edge-host" as const;
/**
 * The edge check's Job that proves the LoadBalancer Service's address is announced on the LAN (announcementOf):
 * two pods on two nodes' host networks; the one that is not the announcer must see a neighbour (ARP or NDP) reply
 * for the address. A connection to the address from inside the cluster proves nothing about the LAN: kube-proxy
 * captures a LoadBalancer address on the node the packet leaves (kubernetes/kubernetes
 * pkg/proxy/iptables/proxier.go, the KUBE-SERVICES rule per status.loadBalancer.ingress IP, jumped to from nat
 * OUTPUT and PREROUTING), and so does Cilium's kube-proxy replacement (docs.cilium.io, "Kubernetes Without
 * kube-proxy": LoadBalancer services are translated for traffic from pods and hosts).
 */
export const EDGE_ANNOUNCE_JOB = "edge-announce" as const;
export type JobName = CheckName | (typeof APP_RULE_JOBS)[number] | typeof EDGE_HOST_JOB | typeof EDGE_ANNOUNCE_JOB;

/**
 * How long a connecting check keeps trying, in seconds: long enough for a new pod's address to reach every node's
 * policy controller (kube-router on Flannel sites rejects the pod's traffic until then) and for nginx or an echo
 * server that has just started; short enough to end inside JOB_DEADLINE with every line printed.
 */
export const CONNECT_TIMEOUT = 120; // seconds
/** How long a port that must be refused may still connect (a policy being applied), in seconds. */
export const DENY_WAIT = 20; // seconds
/** A port the nginx Service does not serve: the announcement probe connects there, so no datapath captures it. */
export const PROBE_PORT = 9;
/**
 * How long the announcement probe watches a neighbour entry decide (seconds): the kernel's defaults
 * (arp(7), ndisc alike: delay_first_probe_time 5 s, then ucast_solicit 3 probes retrans_time 1 s
 * apart; a new entry mcast_solicit 3 probes) take an entry from STALE through DELAY and PROBE to REACHABLE or
 * FAILED in at most 8 s (net/core/neighbour.c neigh_timer_handler); 2 s more for the timers' slack.
 */
export const NEIGH_WAIT = 10; // seconds
/** The retry settings of the connecting checks, as their scripts read them. */
export const RETRY = { TIMEOUT: String(CONNECT_TIMEOUT), INTERVAL: "5" } as const;
/** How long the stand-in for nginx waits for the app's stand-in to answer, in seconds. */
export const APP_RULE_TIMEOUT = 300; // seconds, inside JOB_DEADLINE

export interface VerifyInputs {
  readonly config: SiteConfig;
  /** Hetzner sites: the load balancer's public addresses, known once it exists. */
  readonly loadBalancerAddresses?: readonly string[];
}

export interface VerifyPlan {
  /** Namespace, policies, service accounts and RBAC, scripts, the echo DaemonSet and Service, the test Certificate. */
  readonly objects: KubernetesObject[];
  /** One Job per check that applies to the site, in CHECKS order, and the app rule's two (jobsOf). */
  readonly jobs: Partial<Record<JobName, KubernetesObject>>;
  readonly digest: string;
}

export const LABELS = { "app.kubernetes.io/part-of": "k3s-sites", "app.kubernetes.io/component": "verify" } as const;
export const CHECK_LABEL = "k3s-sites/check";
export const ECHO_LABELS = { [CHECK_LABEL]: "echo" };
export const checkLabels = (check: JobName) => ({ [CHECK_LABEL]: check });
export const ECHO_SERVICE = "verify-echo";
export const SCRIPTS_CONFIG_MAP = "verify-scripts";
export const VERIFY_CERTIFICATE = "verify-certificate";

/** Metadata; `namespace` null for cluster-scoped objects. */
export function meta(name: string, namespace: string | null = VERIFY_NAMESPACE, extra: Record<string, string> = {}) {
  return { name, ...(namespace !== null ? { namespace } : {}), labels: { ...LABELS, ...extra } };
}

/** The address families the echo servers listen on. */
export function families(config: SiteConfig): string {
  return config.k3s.ipFamilies === "dual-stack" ? "4 6" : "4";
}

/** The app rule's stand-ins find each other through this headless Service in the app's namespace. */
export const APP_RULE_SERVICE = "k3s-sites-verify-app";
/** The scripts ConfigMap in nginx's and the app's namespaces (a pod mounts ConfigMaps of its own namespace only). */
export const APP_RULE_SCRIPTS = "k3s-sites-verify-scripts";
