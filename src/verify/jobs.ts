/**
 * The in-cluster verification of a site: the objects of the k3s-sites-verify namespace and one Job per check.
 *
 * How the Jobs behave under Pulumi (@pulumi/kubernetes 4.34.2, batch/v1 Job, job.d.ts; provider
 * pkg/await/job.go): a Job is ready when its Complete condition is True and fails the update as soon as its Failed
 * condition is True; with backoffLimit 0 one failed check pod fails the Job, so the `pulumi up`. A Job that failed
 * stays failed and Pulumi would wait on it again; the `pulumi.com/replaceUnready` annotation (same file) makes the
 * next update replace it instead, so fixing the site and running `up` again reruns the check.
 *
 * Rerun only when the site changes: each Job's name carries a digest of everything the checks depend on
 * (siteDigest). Same site, same name, same spec: no diff,
 * no run. A changed site gives a new name, which Pulumi does as a replacement: the new Job is created (and awaited)
 * and the old one deleted, its pod with it (the provider deletes with propagation Foreground by default,
 * pkg/metadata/overrides.go DeletionPropagation). No ttlSecondsAfterFinished: Kubernetes would delete the finished
 * Job, the next `pulumi refresh` would find it gone and the next `up` would run it again. So the namespace holds the
 * last Job of each check and its finished pod, and nothing older.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { AppConfig } from "../config/schema";
import { cniOf } from "../concerns/registry";
import { isHetzner, type SiteConfig } from "../config/site";
import { LETSENCRYPT } from "../certificates/cert-manager/cert-manager";
import { NGINX } from "../edge/names";
import { policyContext } from "../policy/context";
import { ingressOf } from "../concerns/registry";
import type { EdgePods } from "../ingress/edge";
import { hasLoadBalancerService } from "../ingress/nginx/nginx";
import { METALLB, metallbOf, nginxAddressOf } from "../lb/metallb/metallb";
import { SEGMENT_LABEL } from "../cni/calico/resources";
import { addressAt, containsIp, formatIp, parseCidr, parseIp, type Cidr } from "../net/cidr";
import { API_PORT } from "../hetzner/model";
import { BASELINE_POLICY_NAMES } from "../policy/system";
import { solverPolicy } from "../certificates/cert-manager/policies";
import { DNS_RULE, ipBlock, networkPolicy, podsIn, tcp, type EgressRule, type NetworkPolicy, type PolicyPeer } from "../policy/objects";
import { JOB_DEADLINE, VERIFY_IMAGE } from "./pins";

export const VERIFY_NAMESPACE = "k3s-sites-verify";

export { JOB_DEADLINE, VERIFY_IMAGE } from "./pins";


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
const RETRY = { TIMEOUT: String(CONNECT_TIMEOUT), INTERVAL: "5" } as const;
/** How long the stand-in for nginx waits for the app's stand-in to answer, in seconds. */
export const APP_RULE_TIMEOUT = 300; // seconds, inside JOB_DEADLINE

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

export interface VerifyInputs {
  readonly config: SiteConfig;
  /** Hetzner sites: the load balancer's public addresses, known once it exists. */
  readonly loadBalancerAddresses?: readonly string[];
}

export interface VerifyPlan {
  /** Namespace, policies, service accounts and RBAC, scripts, the echo DaemonSet and Service, the test Certificate. */
  readonly objects: K8sObject[];
  /** One Job per check that applies to the site, in CHECKS order, and the app rule's two (jobsOf). */
  readonly jobs: Partial<Record<JobName, K8sObject>>;
  readonly digest: string;
}

const LABELS = { "app.kubernetes.io/part-of": "k3s-sites", "app.kubernetes.io/component": "verify" } as const;
const CHECK_LABEL = "k3s-sites/check";
const ECHO_LABELS = { [CHECK_LABEL]: "echo" };
const checkLabels = (check: JobName) => ({ [CHECK_LABEL]: check });
const ECHO_SERVICE = "verify-echo";
const SCRIPTS_CONFIG_MAP = "verify-scripts";
export const VERIFY_CERTIFICATE = "verify-certificate";

/** The check scripts and lib.sh, as committed: file name -> text. */
export function verifyScripts(dir = __dirname): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith(".sh"))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
}

/** The checks that apply: certificates only when cert-manager is on. */
export function checksOf(config: SiteConfig): CheckName[] {
  if (!config.verify) return [];
  return CHECKS.filter((c) => c !== "certificates" || config.certificates.enabled);
}

/** The app rule the policies check exercises: a declared app nginx calls, its port and a port it does not declare. */
export interface AppRule {
  readonly app: AppConfig;
  readonly port: number;
  readonly deniedPort: number;
}

/**
 * The first declared app that takes calls from nginx on a TCP port from 1024 up (the stand-ins run as non-root and
 * cannot bind lower ports), or why there is none. The check stands in for nginx, which it can do with nginx's
 * namespace and labels; an app, cidr or loadBalancer caller it cannot soundly impersonate (an app caller without
 * defaultDeny may have no DNS, a cidr or the load balancer is an address no pod has).
 */
export function appRuleOf(config: SiteConfig): AppRule | { readonly skip: string } {
  const apps = config.networkPolicies.apps;
  const edge = ingressOf(config).edge;
  if (!edge.pods) return { skip: `${edge.controller}'s ingress runs in no pod of its own that a stand-in could impersonate` };
  if (apps.length === 0) return { skip: "the site declares no app (networkPolicies.apps)" };
  for (const app of apps) {
    const port = app.ports.find((p) => p.protocol === "TCP" && p.port >= 1024);
    if (!app.from.some((peer) => peer.ingress) || port === undefined) continue;
    let deniedPort = DENIED_PORT;
    while (app.ports.some((p) => p.port === deniedPort)) deniedPort++;
    return { app, port: port.port, deniedPort };
  }
  return {
    skip:
      "no declared app takes calls from nginx (from: [{nginx: true}]) on a TCP port from 1024 up; " +
      "the check stands in for nginx only",
  };
}

/**
 * Keys of the controller's ConfigMap that change what the access log holds (internal/configs/configmaps.go,
 * v5.5.4), the snippets included (main-snippets, http-snippets, server-snippets: raw nginx configuration that may
 * set access_log or the real-ip settings): with any of them in ingress.config the log check cannot read the client
 * address and is skipped.
 */
export const LOG_KEYS = [
  "access-log",
  "access-log-off",
  "log-format",
  "default-server-access-log-off",
  "main-snippets",
  "http-snippets",
  "server-snippets",
] as const;

/** Where the edge check reads nginx's access log to see the client address nginx took from the PROXY header. */
export interface ProxyLog {
  readonly namespace: string;
  /** nginx's pods, as a labelSelector. */
  readonly selector: string;
  readonly container: string;
  /** The load balancer's private address: what nginx would log without the PROXY header. */
  readonly lbPrivateIp: string;
}

/**
 * The log check of a Hetzner site with the PROXY protocol on (the load balancer sends the header, nginx trusts it
 * from the load balancer's private address: src/ingress/nginx/nginx.ts). NGINX Ingress Controller v5.5.4 logs every request
 * to stdout in its default format `main`, whose first field is $remote_addr (internal/configs/version1/nginx.tmpl,
 * log_format main; config_params.go MainAccessLog "/dev/stdout main"), and its default server, which answers a
 * request to the load balancer's bare address, carries the same proxy_protocol listen, set_real_ip_from and
 * real_ip_header as every server (configurator.go GenerateDefaultServerConfig; nginx.ingress.tmpl), and logs
 * unless default-server-access-log-off is set. So $remote_addr there is the PROXY header's source address.
 */
export function proxyLogOf(config: SiteConfig): ProxyLog | { readonly skip: string } | undefined {
  if (!isHetzner(config.site)) return undefined;
  if (!config.ingress.proxyProtocol) return { skip: "ingress.proxyProtocol is false: the load balancer sends no PROXY header" };
  const keys = LOG_KEYS.filter((k) => k in config.ingress.config);
  if (keys.length > 0) return { skip: `ingress.config sets ${keys.join(", ")}: the log's first field may not be the client address` };
  const pods = ingressOf(config).edge.pods;
  if (!pods) return { skip: `${config.ingress.controller}'s ingress has no access log of its own to read` };
  return {
    namespace: pods.namespace,
    selector: encodeURIComponent(Object.entries(pods.labels).map(([k, v]) => `${k}=${v}`).join(",")),
    container: pods.logContainer,
    lbPrivateIp: config.site.plan.loadBalancerIp,
  };
}

/** The Jobs a site runs, in order: the checks', then the app rule's when the policies check has one. */
export function jobsOf(config: SiteConfig): JobName[] {
  const checks = checksOf(config);
  const rule = checks.includes("policies") ? appRuleOf(config) : undefined;
  const announce = checks.includes("edge") ? announcementOf(config) : undefined;
  return [
    ...checks.filter((c) => c !== "edge" || edgeFromPod(config)),
    ...(rule !== undefined && "app" in rule ? APP_RULE_JOBS : []),
    ...(checks.includes("edge") ? [EDGE_HOST_JOB] : []),
    ...(announce !== undefined && "service" in announce ? [EDGE_ANNOUNCE_JOB] : []),
  ];
}

/**
 * Whether the edge check has a load balancer to call from a pod: the Hetzner load balancer, or nginx's LoadBalancer
 * Service. A home site without one runs the host-network part only (EDGE_HOST_JOB).
 */
function edgeFromPod(config: SiteConfig): boolean {
  return isHetzner(config.site) || hasLoadBalancerService(config);
}

/** Whether the load balancer's IPv6 addresses are tried from the host network: a Hetzner site, whose pods have no IPv6. */
function lbIpv6FromHost(config: SiteConfig): boolean {
  return isHetzner(config.site) && config.k3s.ipFamilies !== "dual-stack";
}

/** The server whose host network the edge check calls the hostPorts from: the first. */
export function edgeHostNode(config: SiteConfig): SiteConfig["nodes"][number] {
  const server = config.nodes.find((n) => n.role === "server");
  if (!server) throw new Error("a site without a server: config rules refuse it");
  return server;
}

/** Who announces nginx's LoadBalancer address on the LAN, for the announcement check (EDGE_ANNOUNCE_JOB). */
export interface Announcement {
  readonly service: string;
  readonly announcer: "cilium" | "metallb";
  /** Cilium: the Lease whose holder announces (kube-system/cilium-l2announce-<namespace>-<name>). */
  readonly lease: string;
  /** On a site of several L2 segments: the one the address is on, where the probing pods must run. */
  readonly segment?: string;
}

/**
 * Whether and how the announcement of nginx's LoadBalancer address can be checked; undefined on a site without one.
 * - Cilium L2 announcements: the agent that holds the Lease `cilium-l2announce-<namespace>-<name>` in its own
 *   namespace (kube-system here) answers ARP and NDP for the address (cilium/cilium pkg/l2announcer/l2announcer.go;
 *   not read at the pinned v1.19.6 here, the name is the one operators' tools read).
 * - MetalLB L2: the speaker named in the ServiceL2Status's status.node answers (metallb.io/v1beta1
 *   ServiceL2Status, upstream/metallb/crds.yaml at v0.16.1: status.node, serviceName, serviceNamespace).
 * Where the check cannot be truthful it says why, and the plan summary and docs/checks.md say so too.
 */
export function announcementOf(config: SiteConfig): Announcement | { readonly skip: string } | undefined {
  if (!hasLoadBalancerService(config)) return undefined;
  const service = ingressOf(config).edge.loadBalancerService;
  const lease = `cilium-l2announce-${service.replace("/", "-")}`;
  const metallb = metallbOf(config);
  if (metallb) {
    const address = nginxAddressOf(metallb);
    const pools = metallb.pools.filter((p) => address === undefined || p.addresses.some((a) => inPoolEntry(address, a)));
    if (pools.every((p) => p.advertise === "bgp")) {
      return { skip: "MetalLB announces nginx's address over BGP: no check here reads the routers' tables (check them on the routers)" };
    }
  } else if (!config.cni.cilium.l2Announcements) {
    return { skip: "cni.cilium.l2Announcements is unset: Cilium does not announce nginx's address on the LAN, the network routes it (check the router)" };
  }
  // A CNI may not let a node's probe see the announcement truthfully (its traits say why).
  const cniSkip = cniOf(config).traits.announcementProbeSkip(config);
  if (cniSkip !== undefined) return { skip: cniSkip };
  if (config.nodes.length < 2) {
    return { skip: "the site has one node: no other node's host network to see the announcement from (the Service address check still runs, inside the cluster)" };
  }
  // An ARP or NDP reply crosses no router: on a site of several segments the probes run in the address's segment.
  const segments = isHetzner(config.site) ? [] : config.site.segments;
  if (segments.length > 1) {
    const entry = metallb ? (nginxAddressOf(metallb) ?? metallb.pools[0]!.addresses[0]!) : config.cni.cilium.loadBalancerPools[0]!;
    const address = firstAddressOf(entry);
    const segment = segments.find((g) => [g.cidr, g.cidrV6].some((c) => c !== undefined && inPoolEntry(address, c)));
    if (!segment) {
      return { skip: `nginx's address (from ${entry}) is in none of site.segments: no node is on its LAN to see the announcement from` };
    }
    if (config.nodes.filter((n) => n.segment === segment.name).length < 2) {
      return { skip: `segment ${segment.name}, where nginx's address is announced, has one node: no other node there to see the announcement from` };
    }
    return { service, announcer: metallb ? "metallb" : "cilium", lease, segment: segment.name };
  }
  return { service, announcer: metallb ? "metallb" : "cilium", lease };
}

/** The first address of a pool entry (a CIDR, a first-last range, or an address). */
function firstAddressOf(entry: string): string {
  if (entry.includes("-")) return entry.split("-")[0]!.trim();
  const cidr = parseCidr(entry);
  return cidr ? formatIp({ version: cidr.version, value: cidr.network }) : entry;
}

/** Whether `address` is in a MetalLB pool entry: a CIDR, or a first-last range. */
function inPoolEntry(address: string, entry: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  const [first, last] = entry.split("-").map((a) => parseIp(a.trim()));
  if (first && last) return first.version === ip.version && first.value <= ip.value && ip.value <= last.value;
  const cidr = parseCidr(entry);
  return cidr !== undefined && cidr.version === ip.version && containsIp(cidr, ip);
}

/** The verify Namespace's annotation that lists the checks not run on the site (checksNotRun), one a line. */
export const NOT_RUN_ANNOTATION = "k3s-sites/checks-not-run";

/** The checks that do not run on this site because they cannot be truthful here, each with why (plan summary, docs). */
export function checksNotRun(config: SiteConfig): { readonly check: string; readonly why: string }[] {
  const checks = checksOf(config);
  const out: { check: string; why: string }[] = [];
  if (checks.includes("edge")) {
    const announce = announcementOf(config);
    if (announce !== undefined && "skip" in announce) out.push({ check: "edge announcement", why: announce.skip });
    // The scripts print the same reasons as skip lines (edge.sh LOG_SKIP, policies.sh APP_RULE_SKIP).
    const log = proxyLogOf(config);
    if (log !== undefined && "skip" in log) out.push({ check: "edge client address from the PROXY header", why: log.skip });
  }
  if (checks.includes("policies")) {
    const rule = appRuleOf(config);
    if ("skip" in rule) out.push({ check: "policies app rule", why: rule.skip });
  }
  return out;
}

/** Metadata; `namespace` null for cluster-scoped objects. */
function meta(name: string, namespace: string | null = VERIFY_NAMESPACE, extra: Record<string, string> = {}) {
  return { name, ...(namespace !== null ? { namespace } : {}), labels: { ...LABELS, ...extra } };
}

/** The ClusterIP of the kubernetes Service: the first address of the service range. */
export function apiServiceIp(config: SiteConfig): string {
  return formatIp(addressAt(parseCidr(config.k3s.serviceCidr) as Cidr, 1n));
}

function families(config: SiteConfig): string {
  return config.k3s.ipFamilies === "dual-stack" ? "4 6" : "4";
}

/**
 * The digest in the Jobs' names: of what the checks exercise, so that a change there reruns them and nothing else
 * does. The cluster (k3s, the CNI, the ingress, certificates, policies), its nodes, the scripts, the image and the
 * load balancer's addresses; not the firewall's sources, SSH settings or the load balancer's service list.
 */
export function siteDigest(config: SiteConfig, scripts: Readonly<Record<string, string>>, lbAddresses: readonly string[]): string {
  const { k3s, cni, ingress, certificates, nodes } = config;
  // As the config read before `from: ingress` had its name (it was `nginx`): a new name for the same thing is no
  // change to the site, so an upgrade of k3s-sites does not rerun every check for it.
  const networkPolicies = {
    ...config.networkPolicies,
    apps: config.networkPolicies.apps.map((app) => ({
      ...app,
      from: app.from.map(({ ingress: toIngress, ...peer }) => (toIngress ? { ...peer, nginx: true } : peer)),
    })),
  };
  const inCluster = { k3s, cni, ingress, certificates, networkPolicies, nodes: nodes.map((n) => [n.name, n.role, n.privateIp, n.arch]) };
  return createHash("sha256")
    .update(JSON.stringify({ inCluster, scripts, image: VERIFY_IMAGE, lbAddresses }))
    .digest("hex")
    .slice(0, 10);
}

/** The whole verification of a site, from its config and the load balancer's addresses. */
export function verifyPlan(inputs: VerifyInputs, scripts: Readonly<Record<string, string>> = verifyScripts()): VerifyPlan {
  const { config } = inputs;
  const lbAddresses = [...(inputs.loadBalancerAddresses ?? [])];
  // IPv6 addresses are tried from a pod only where pods have IPv6; else from the host network (EDGE_HOST_JOB).
  const fromHost = (a: string) => a.includes(":") && lbIpv6FromHost(inputs.config);
  const podLb = lbAddresses.filter((a) => !fromHost(a));
  const hostLb = lbAddresses.filter(fromHost);
  const checks = checksOf(config);
  const digest = siteDigest(config, scripts, lbAddresses);
  if (checks.length === 0) return { objects: [], jobs: {}, digest };

  const echoFqdn = `${ECHO_SERVICE}.${VERIFY_NAMESPACE}.svc.${config.k3s.clusterDomain}`;
  const lbService = hasLoadBalancerService(config) ? ingressOf(config).edge.loadBalancerService : "";
  const certificate = config.certificates.enabled && config.certificates.verifyHost !== undefined;
  const env: Record<CheckName, Record<string, string>> = {
    dns: { API_SERVICE_IP: apiServiceIp(config), EXTERNAL_NAME, ...RETRY },
    pods: {
      ECHO_SERVICE: echoFqdn,
      ECHO_PORT: String(ECHO_PORT),
      NODES: config.nodes.map((n) => n.name).join(" "),
      FAMILIES: families(config),
      ...RETRY,
    },
    policies: {
      ECHO_SERVICE: echoFqdn,
      ECHO_PORT: String(ECHO_PORT),
      DENIED_PORT: String(DENIED_PORT),
      OUTSIDE: `${OUTSIDE.address} ${OUTSIDE.port}`,
      EXTERNAL_NAME,
      ...RETRY,
      DENY_WAIT: String(DENY_WAIT),
    },
    // From a pod: the load balancer's addresses only; the hostPorts are called from the host network (EDGE_HOST_JOB).
    edge: {
      NODE_TARGETS: "",
      PROXY_PROTOCOL: config.ingress.proxyProtocol ? "1" : "0",
      LB_TARGETS: podLb.join(" "),
      LB_SERVICE: lbService,
      // Nothing adds a PROXY header between this pod and a LoadBalancer Service's address: the check sends nginx's.
      LB_PROXY: lbService !== "" && config.ingress.proxyProtocol ? "1" : "0",
      ...RETRY,
    },
    certificates: {
      ISSUERS: [LETSENCRYPT.staging.issuer, LETSENCRYPT.prod.issuer].join(" "),
      CERTIFICATE: certificate ? `${VERIFY_NAMESPACE}/${VERIFY_CERTIFICATE}` : "",
      TIMEOUT: String(CERTIFICATE_TIMEOUT),
      INTERVAL: "10",
    },
  };
  const log = checks.includes("edge") ? proxyLogOf(config) : undefined;
  const announced = checks.includes("edge") ? announcementOf(config) : undefined;
  const announce = announced !== undefined && "service" in announced ? announced : undefined;
  const readsLog = log !== undefined && "namespace" in log ? log : undefined;
  Object.assign(env.edge, {
    LOG_NAMESPACE: readsLog?.namespace ?? "",
    LOG_SELECTOR: readsLog?.selector ?? "",
    LOG_CONTAINER: readsLog?.container ?? "",
    LB_PRIVATE_IP: readsLog?.lbPrivateIp ?? "",
    LOG_TIMEOUT: "30",
    LOG_SKIP: log !== undefined && "skip" in log ? log.skip : "",
  });
  const usesApi: Record<CheckName, boolean> = {
    dns: false,
    pods: false,
    policies: false,
    edge: lbService !== "" || readsLog !== undefined || announce !== undefined,
    certificates: true,
  };
  const notRun = checksNotRun(config);
  const rule = checks.includes("policies") ? appRuleOf(config) : undefined;
  const appRule = rule !== undefined && "app" in rule ? rule : undefined;
  env.policies.APP_RULE_JOB = appRule ? `${edgePods(config).namespace}/verify-policies-app-${digest}` : "";
  env.policies.APP_RULE_SKIP = rule !== undefined && "skip" in rule ? rule.skip : "";

  const objects: K8sObject[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        ...meta(VERIFY_NAMESPACE, null),
        // What does not run here because it cannot be truthful on this site, for the plan summary and for
        // `kubectl get namespace k3s-sites-verify -o yaml`.
        ...(notRun.length > 0 ? { annotations: { [NOT_RUN_ANNOTATION]: notRun.map((n) => `${n.check}: ${n.why}`).join("\n") } } : {}),
      },
    },
    ...(policies(config, checks, podLb, usesApi, certificate) as unknown as K8sObject[]),
    ...checks.map((c) => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(`verify-${c}`),
      automountServiceAccountToken: usesApi[c],
    })),
    ...rbac(checks, lbService, certificate, readsLog?.namespace, announce),
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(SCRIPTS_CONFIG_MAP), data: { ...scripts } },
    echoDaemonSet(config),
    echoService(config),
    ...(certificate ? [testCertificate(config.certificates.verifyHost!)] : []),
    ...(appRule ? appRuleObjects(appRule, scripts, edgePods(config).namespace) : []),
  ];
  const jobs: Partial<Record<JobName, K8sObject>> = {};
  for (const c of checks) if (c !== "edge" || edgeFromPod(config)) jobs[c] = job(c, digest, env[c], usesApi[c]);
  if (appRule) Object.assign(jobs, appRuleJobs(config, appRule, digest));
  if (checks.includes("edge")) {
    // One pod on every node's host network, each calling its own node's address (HOST_IP, from the downward API):
    // a node's own connection to its hostPort enters portmap's CNI-HOSTPORT-DNAT from nat OUTPUT (--dst-type
    // LOCAL) and reaches nginx's pod on that node, which a NetworkPolicy never refuses (traffic from a pod's own
    // node is always allowed). No policy lets a node address in to nginx for the check: a server's address also
    // carries every pod of that server masqueraded, and would let them all past the load balancer.
    const hostEnv = {
      NODE_TARGETS: "",
      PROXY_PROTOCOL: config.ingress.proxyProtocol ? "1" : "0",
      // The Hetzner load balancer adds its own PROXY header: its addresses are called without one.
      LB_TARGETS: hostLb.join(" "),
      LB_SERVICE: "",
      LB_PROXY: "0",
      ...RETRY,
    };
    const host = { script: "edge", serviceAccount: "verify-edge", hostNetwork: true, pods: config.nodes.length, ownAddress: true } as const;
    jobs[EDGE_HOST_JOB] = job(EDGE_HOST_JOB, digest, hostEnv, false, undefined, host);
  }
  if (announce) {
    const announceEnv = {
      LB_SERVICE: announce.service,
      ANNOUNCER: announce.announcer,
      LEASE: announce.lease,
      METALLB_NAMESPACE: METALLB.namespace,
      PROBE_PORT: String(PROBE_PORT),
      NEIGH_WAIT: String(NEIGH_WAIT),
      ...RETRY,
    };
    jobs[EDGE_ANNOUNCE_JOB] = job(EDGE_ANNOUNCE_JOB, digest, announceEnv, true, undefined, {
      script: "announce",
      serviceAccount: "verify-edge",
      hostNetwork: true,
      pods: 2,
      ...(announce.segment !== undefined ? { nodeLabels: { [SEGMENT_LABEL]: announce.segment } } : {}),
    });
  }
  return { objects, jobs, digest };
}

/** The app rule's stand-ins find each other through this headless Service in the app's namespace. */
export const APP_RULE_SERVICE = "k3s-sites-verify-app";
/** The scripts ConfigMap in nginx's and the app's namespaces (a pod mounts ConfigMaps of its own namespace only). */
const APP_RULE_SCRIPTS = "k3s-sites-verify-scripts";

function appRuleObjects(rule: AppRule, scripts: Readonly<Record<string, string>>, edgeNamespace: string): K8sObject[] {
  const { app } = rule;
  const configMap = (namespace: string, script: string): K8sObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(APP_RULE_SCRIPTS, namespace),
    data: { "lib.sh": scripts["lib.sh"]!, [script]: scripts[script]! },
  });
  return [
    configMap(edgeNamespace, "policies-app.sh"),
    configMap(app.namespace, "policies-app-server.sh"),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(APP_RULE_SERVICE, app.namespace),
      spec: {
        // Resolves to the stand-in although it is never Ready; the app's own Services skip it for that reason.
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: checkLabels("policies-app-server"),
        ports: [{ name: "app", port: rule.port, targetPort: rule.port, protocol: "TCP" }],
      },
    },
  ];
}

/**
 * The two stand-ins. Each carries the labels of what it stands in for (nginx's pods; the app's podSelector), so the
 * program's real policies for the app select it, and a readiness probe that never passes, so no Service of nginx
 * or of the app sends it traffic. Neither has a service account token.
 */
function appRuleJobs(config: SiteConfig, rule: AppRule, digest: string): Partial<Record<JobName, K8sObject>> {
  const server = `${APP_RULE_SERVICE}.${rule.app.namespace}.svc.${config.k3s.clusterDomain}`;
  const client = job("policies-app", digest, {
    APP: rule.app.name,
    SERVER: server,
    APP_PORT: String(rule.port),
    DENIED_PORT: String(rule.deniedPort),
    TIMEOUT: String(APP_RULE_TIMEOUT),
    INTERVAL: "5",
    DENY_WAIT: "20",
  }, false, { namespace: edgePods(config).namespace, podLabels: edgePods(config).labels });
  const stand = job("policies-app-server", digest, {
    APP: rule.app.name,
    APP_PORT: String(rule.port),
    DENIED_PORT: String(rule.deniedPort),
  }, false, { namespace: rule.app.namespace, podLabels: rule.app.podSelector, ports: [rule.port, rule.deniedPort] });
  return { "policies-app": client, "policies-app-server": stand };
}

const SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
const RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } };
const SCRIPTS_VOLUME = { name: "scripts", configMap: { name: SCRIPTS_CONFIG_MAP, defaultMode: 0o555 } };
const SCRIPTS_MOUNT = { name: "scripts", mountPath: "/verify", readOnly: true };

/** A Job outside the verify namespace: a stand-in with another workload's labels (appRuleJobs). */
interface StandIn {
  readonly namespace: string;
  /** The labels of what it stands in for; they win over the verify labels. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Ports it listens on. */
  readonly ports?: readonly number[];
}

/** A Job that runs a script as another check's service account, on the host network. */
interface HostJob {
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

function job(
  check: JobName,
  digest: string,
  env: Record<string, string>,
  usesApi: boolean,
  standIn?: StandIn,
  host?: HostJob,
): K8sObject {
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

function echoDaemonSet(config: SiteConfig): K8sObject {
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

function echoService(config: SiteConfig): K8sObject {
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

function testCertificate(host: string): K8sObject {
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

const inVerify = (labels: Record<string, string>): PolicyPeer => podsIn(VERIFY_NAMESPACE, labels);

/** Default-deny, then exactly what each check needs. */
function policies(
  config: SiteConfig,
  checks: readonly CheckName[],
  lbAddresses: readonly string[],
  usesApi: Record<CheckName, boolean>,
  certificate: boolean,
): NetworkPolicy[] {
  const ns = VERIFY_NAMESPACE;
  const has = (c: CheckName) => checks.includes(c);
  const out: NetworkPolicy[] = [networkPolicy(ns, BASELINE_POLICY_NAMES.defaultDeny, {}, { ingress: [], egress: [] })];
  // Every check resolves names (the API is reached as kubernetes.default.svc).
  for (const c of checks) out.push(networkPolicy(ns, `verify-${c}-dns`, checkLabels(c), { egress: [DNS_RULE] }));
  const echoClients = (["pods", "policies"] as const).filter(has);
  if (echoClients.length > 0) {
    // Clients may send to both ports; the echo servers accept ECHO_PORT only: the refusal is the ingress policy's.
    out.push(
      networkPolicy(ns, "verify-echo-from-clients", ECHO_LABELS, {
        ingress: [{ from: echoClients.map((c) => inVerify(checkLabels(c))), ports: [tcp(ECHO_PORT)] }],
      }),
    );
    for (const c of echoClients) {
      out.push(
        networkPolicy(ns, `verify-${c}-to-echo`, checkLabels(c), {
          egress: [{ to: [inVerify(ECHO_LABELS)], ports: [tcp(ECHO_PORT), tcp(DENIED_PORT)] }],
        }),
      );
    }
  }
  if (has("edge")) {
    const pods = ingressOf(config).edge.pods;
    const http = [tcp(pods?.httpPort ?? NGINX.httpPort)];
    // The pod calls the load balancer's addresses: the Hetzner load balancer's public ones (its packets come back
    // to nginx from the load balancer's private address, which nginx's own policy lets in), or the LoadBalancer
    // Service's, which kube-proxy or Cilium turns into nginx's pod before any policy applies.
    const to: PolicyPeer[] = [...(pods ? [podsIn(pods.namespace, pods.labels)] : []), ...lbAddresses.map(hostBlock)];
    out.push(
      networkPolicy(ns, "verify-edge-to-nginx", checkLabels("edge"), {
        egress: [{ to, ports: http }, ...(usesApi.edge ? [apiRule(config)] : [])],
      }),
    );
    // No policy lets the hostPort check in to nginx: each of its pods calls its own node (EDGE_HOST_JOB).
  }
  if (has("certificates")) {
    out.push(networkPolicy(ns, "verify-certificates-to-api-server", checkLabels("certificates"), { egress: [apiRule(config)] }));
    // HTTP-01 solver pods for the test certificate run in this namespace and are reached by nginx.
    const ingress = policyContext(config).ingress;
    if (certificate && !config.certificates.dns01 && ingress) out.push(solverPolicy(ns, ingress));
  }
  return out;
}

/**
 * The Kubernetes API after the Service's DNAT: the servers on 6443 (src/policy/system.ts explains why), as the node
 * network, so that adding a server does not change the checks' policies.
 */
function apiRule(config: SiteConfig): EgressRule {
  return { to: [ipBlock(config.nodeCidr)], ports: [tcp(API_PORT)] };
}

function hostBlock(address: string): PolicyPeer {
  return ipBlock(address.includes(":") ? `${address}/128` : `${address}/32`);
}

interface RbacRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly resourceNames?: string[];
  readonly verbs: string[];
}

function binding(kind: "Role" | "ClusterRole", name: string, namespace: string | null, check: CheckName, rules: RbacRule[]): K8sObject[] {
  return [
    { apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: meta(name, namespace), rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: `${kind}Binding`,
      metadata: meta(name, namespace),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name },
      subjects: [{ kind: "ServiceAccount", name: `verify-${check}`, namespace: VERIFY_NAMESPACE }],
    },
  ];
}

/**
 * Least privilege: `get` on the named objects the checks read; for nginx's log, `list` on the pods of nginx's
 * namespace (DaemonSet pods have no names known in advance) and `get` on their logs, nothing else.
 */
function rbac(checks: readonly CheckName[], lbService: string, certificate: boolean, logNamespace: string | undefined, announce?: Announcement): K8sObject[] {
  const out: K8sObject[] = [];
  // Who announces nginx's address: the Cilium Lease by name, or MetalLB's ServiceL2Status objects (generated names).
  if (announce?.announcer === "cilium") {
    out.push(
      ...binding("Role", "k3s-sites-verify-announcer-reader", "kube-system", "edge", [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [announce.lease], verbs: ["get"] },
      ]),
    );
  } else if (announce?.announcer === "metallb") {
    out.push(
      ...binding("Role", "k3s-sites-verify-announcer-reader", METALLB.namespace, "edge", [
        { apiGroups: ["metallb.io"], resources: ["servicel2statuses"], verbs: ["list"] },
      ]),
    );
  }
  if (checks.includes("certificates")) {
    out.push(
      ...binding("ClusterRole", "k3s-sites-verify-issuers", null, "certificates", [
        {
          apiGroups: ["cert-manager.io"],
          resources: ["clusterissuers"],
          resourceNames: [LETSENCRYPT.staging.issuer, LETSENCRYPT.prod.issuer],
          verbs: ["get"],
        },
      ]),
    );
    if (certificate) {
      out.push(
        ...binding("Role", "verify-certificate-reader", VERIFY_NAMESPACE, "certificates", [
          { apiGroups: ["cert-manager.io"], resources: ["certificates"], resourceNames: [VERIFY_CERTIFICATE], verbs: ["get"] },
        ]),
      );
    }
  }
  if (checks.includes("edge") && logNamespace !== undefined) {
    out.push(
      ...binding("Role", "k3s-sites-verify-log-reader", logNamespace, "edge", [
        { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      ]),
    );
  }
  if (checks.includes("edge") && lbService !== "") {
    out.push(
      ...binding("Role", "k3s-sites-verify-service-reader", lbService.split("/")[0]!, "edge", [
        { apiGroups: [""], resources: ["services"], resourceNames: [lbService.split("/")[1]!], verbs: ["get"] },
      ]),
    );
  }
  return out;
}

/** The site's ingress pods, for the checks that need them (the log and the app rule run only where there are). */
function edgePods(config: SiteConfig): EdgePods {
  const pods = ingressOf(config).edge.pods;
  if (!pods) throw new Error(`${config.ingress.controller}'s ingress has no pods: the checks that need them are skipped before this`);
  return pods;
}
