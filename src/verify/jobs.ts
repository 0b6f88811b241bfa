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
import type { SiteConfig } from "../config/site";
import { LETSENCRYPT } from "../certificates/cert-manager/cert-manager";
import { ingressOf } from "../concerns/registry";
import { hasLoadBalancerService } from "../ingress/nginx/nginx";
import { SEGMENT_LABEL } from "../cni/calico/resources";
import { addressAt, checkedCidr, formatIp } from "../net/cidr";
import { rbac, policies } from "./access";
import { announcementOf } from "./announcement";
import { appRuleJobs, appRuleObjects, appRuleOf, edgePods } from "./app-rule";
import { edgeFromPod, lbIpv6FromHost, proxyLogOf } from "./edge-checks";
import { APP_RULE_JOBS, CERTIFICATE_TIMEOUT, CHECKS, DENIED_PORT, DENY_WAIT, ECHO_PORT, ECHO_SERVICE, EDGE_ANNOUNCE_JOB, EDGE_HOST_JOB, EXTERNAL_NAME, NEIGH_WAIT, OUTSIDE, PROBE_PORT, RETRY, SCRIPTS_CONFIG_MAP, VERIFY_CERTIFICATE, VERIFY_NAMESPACE, families, meta, type CheckName, type JobName, type VerifyInputs, type VerifyPlan } from "./names";
import { VERIFY_IMAGE } from "./pins";
import { echoDaemonSet, echoService, job, testCertificate } from "./workloads";
import type { KubernetesObject } from "../kubernetes/object";

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

/** The ClusterIP of the kubernetes Service: the first address of the service range. */
export function apiServiceIp(config: SiteConfig): string {
  return formatIp(addressAt(checkedCidr(config.k3s.serviceCidr), 1n));
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
      EDGE_NAME: ingressOf(config).edge.controller,
      EDGE_ANSWERS: ingressOf(config).edge.answers,
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

  const objects: KubernetesObject[] = [
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
    ...policies(config, checks, podLb, usesApi, certificate),
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
  const jobs: Partial<Record<JobName, KubernetesObject>> = {};
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
      EDGE_NAME: ingressOf(config).edge.controller,
      EDGE_ANSWERS: ingressOf(config).edge.answers,
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
      ANNOUNCER_PATH: announce.announcer.path,
      ANNOUNCER_FILTER: announce.announcer.filter,
      ANNOUNCER_WHERE: announce.announcer.where,
      ANNOUNCER_FIX: announce.announcer.noAnnouncerFix,
      INTERFACES_KEY: announce.announcer.interfacesKey,
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
