import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSiteConfig } from "../../src/config/load";
import { NGINX } from "../../src/edge/names";
import { checksNotRun, checksOf, verifyPlan, verifyScripts } from "../../src/verify/jobs";
import { DENIED_PORT, ECHO_PORT, VERIFY_NAMESPACE } from "../../src/verify/names";
import { VERIFY_IMAGE } from "../../src/verify/pins";
import { isDefaultDeny, privilegedProblems } from "../../policy/rules";
import { validateBuiltin } from "../support/schemas";
import { exampleSections, hetznerSections, sshSections } from "../helpers";
import type { KubernetesObject } from "../../src/kubernetes/object";

const hetzner = () => parseSiteConfig(hetznerSections());
const home = () => parseSiteConfig(sshSections());
const envOf = (job: KubernetesObject | undefined): Record<string, string> => {
  const container = (job?.spec as any).template.spec.containers[0];
  return Object.fromEntries(container.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
};
const policy = (objects: KubernetesObject[], namespace: string, name: string) => {
  const found = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === namespace && o.metadata.name === name);
  if (!found) throw new Error(`no policy ${namespace}/${name}`);
  return found.spec as any;
};

describe("verifyPlan", () => {
  it("validates every object and Job against the Kubernetes schemas, and the test Certificate against cert-manager's", async () => {
    const config = parseSiteConfig({ ...hetznerSections(), certificates: { email: "ops@example.com", verifyHost: "verify.example.com" } });
    const plan = verifyPlan({ config, loadBalancerAddresses: ["198.51.100.7"] });
    const { Certificate } = await import("@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate");
    let certificates = 0;
    for (const o of [...plan.objects, ...Object.values(plan.jobs)]) {
      if (o!.kind === "Certificate") {
        new Certificate(o as never).validate();
        certificates++;
      } else await validateBuiltin(o as never);
    }
    assert.equal(certificates, 1);
  });

  it("runs every check by default, none with verify: false, and no certificate check without cert-manager", () => {
    assert.deepEqual(checksOf(hetzner()), ["dns", "pods", "policies", "edge", "certificates"]);
    const off = parseSiteConfig({ ...hetznerSections(), verify: false });
    assert.deepEqual(checksOf(off), []);
    assert.deepEqual(verifyPlan({ config: off }).objects, []);
    assert.deepEqual(checksOf(parseSiteConfig({ ...hetznerSections(), certificates: { enabled: false } })), ["dns", "pods", "policies", "edge"]);
  });

  it("names each Job with a digest that changes with the site, the scripts and the load balancer, and only then", () => {
    const a = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    const again = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    assert.equal(a.jobs.dns?.metadata.name, `verify-dns-${a.digest}`);
    assert.equal(again.jobs.dns?.metadata.name, a.jobs.dns?.metadata.name, "same site, same Job: nothing reruns");
    const sections = hetznerSections() as { k3s: Record<string, unknown> };
    const upgraded = verifyPlan({ config: parseSiteConfig({ ...sections, k3s: { version: "v1.33.6+k3s1" } }), loadBalancerAddresses: ["198.51.100.7"] });
    assert.notEqual(upgraded.digest, a.digest);
    const otherLb = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.8"] });
    assert.notEqual(otherLb.digest, a.digest);
    const scripts = { ...verifyScripts(), "dns.sh": "#!/usr/bin/env bash\nexit 0\n" };
    assert.notEqual(verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] }, scripts).digest, a.digest);
  });

  it("fails a Job on its first failed pod, replaces a failed Job on the next up, and keeps finished Jobs (no TTL)", () => {
    const job = verifyPlan({ config: hetzner() }).jobs.policies!;
    const spec = job.spec as any;
    assert.equal(spec.backoffLimit, 0);
    assert.equal(spec.ttlSecondsAfterFinished, undefined);
    assert.equal(spec.template.spec.restartPolicy, "Never");
    assert.equal((job.metadata.annotations as Record<string, string>)["pulumi.com/replaceUnready"], "true");
    assert.equal(spec.template.spec.containers[0].image, VERIFY_IMAGE);
    assert.deepEqual(spec.template.spec.containers[0].command, ["bash", "/verify/policies.sh"]);
  });

  it("gives each check its values: the API's ClusterIP, every node, the PROXY header on Hetzner, the load balancer", () => {
    const plan = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    assert.equal(envOf(plan.jobs.dns).API_SERVICE_IP, "10.43.0.1");
    assert.equal(envOf(plan.jobs.pods).NODES, "control-1 control-2 control-3 worker-1 worker-2");
    assert.equal(envOf(plan.jobs.pods).FAMILIES, "4");
    const edge = envOf(plan.jobs.edge);
    assert.equal(edge.PROXY_PROTOCOL, "1");
    assert.equal(edge.LB_TARGETS, "198.51.100.7");
    assert.equal(edge.LB_SERVICE, "");
    assert.equal(edge.NODE_TARGETS, "", "the hostPorts are called from the host network");
    assert.equal(envOf(plan.jobs["edge-host"]).NODE_TARGETS, "", "each of its pods calls its own node (HOST_IP)");
    assert.equal((plan.jobs["edge-host"]!.spec as any).completions, 5);
    // Every connecting check retries for a bounded time, inside the Job's deadline.
    for (const name of ["dns", "pods", "policies", "edge", "edge-host"] as const) {
      assert.equal(envOf(plan.jobs[name]).TIMEOUT, "120", name);
      assert.equal(envOf(plan.jobs[name]).INTERVAL, "5", name);
    }
    assert.equal(envOf(plan.jobs.policies).DENY_WAIT, "20");
  });

  it("calls every node's hostPort from that node's own host network, one pod per node in parallel, and lets no node address in to nginx", () => {
    // A node's own connection to its hostPort needs no policy (portmap's OUTPUT DNAT to nginx's pod on the node;
    // traffic from a pod's own node is always allowed). A policy letting a server's address in, as before, let in
    // every pod on that server too: flannel masquerades their packets to other nodes' addresses as the server.
    const plan = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    const host = plan.jobs["edge-host"]!;
    const spec = host.spec as any;
    const pod = spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.nodeSelector, undefined);
    assert.equal(spec.completions, 5);
    assert.equal(spec.parallelism, 5);
    assert.deepEqual(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, [
      { labelSelector: { matchLabels: { "k3s-sites/check": "edge-host" } }, topologyKey: "kubernetes.io/hostname" },
    ]);
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
    assert.deepEqual(pod.containers[0].env.find((e: any) => e.name === "HOST_IP"), { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } });
    assert.equal(envOf(host).NODE_TARGETS, "");
    assert.equal(envOf(host).PROXY_PROTOCOL, "1");
    assert.equal(plan.objects.some((o) => o.kind === "NetworkPolicy" && o.metadata.name === `${NGINX.name}-from-verify`), false);
    // The edge pod does not call the nodes: no node network in its egress.
    const egress = policy(plan.objects, VERIFY_NAMESPACE, "verify-edge-to-nginx").egress[0].to.map((p: any) => p.ipBlock?.cidr);
    assert.deepEqual(egress.filter((c: string | undefined) => c !== undefined), ["198.51.100.7/32"]);
  });

  it("tries a Hetzner load balancer's IPv6 from the host network, with nothing else granted, and its IPv4 from a pod", () => {
    const plan = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7", "2001:db8:7::1"] });
    assert.equal(envOf(plan.jobs.edge).LB_TARGETS, "198.51.100.7");
    const edge6 = plan.jobs["edge-host"]!;
    assert.equal(edge6.metadata.name, `verify-edge-host-${plan.digest}`);
    assert.equal(envOf(edge6).LB_TARGETS, "2001:db8:7::1");
    assert.equal(envOf(edge6).LB_PROXY, "0", "the load balancer adds its own header");
    const pod = (edge6.spec as any).template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, "verify-edge");
    assert.deepEqual(pod.containers[0].securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(pod.containers[0].securityContext.runAsNonRoot, true);
    assert.deepEqual(privilegedProblems([edge6] as never), []);
    // The pod's egress policy names the IPv4 only: the IPv6 never leaves a pod.
    const egress = policy(plan.objects, VERIFY_NAMESPACE, "verify-edge-to-nginx").egress[0].to.map((p: any) => p.ipBlock?.cidr);
    assert.ok(egress.includes("198.51.100.7/32"));
    assert.equal(egress.includes("2001:db8:7::1/128"), false);
    // A home site's pods reach IPv6 themselves (dual-stack) or not at all: the host-network Job calls the hostPorts only.
    assert.equal(envOf(verifyPlan({ config: home() }).jobs["edge-host"]).LB_TARGETS, "");
  });

  it("reads nginx's log on a Hetzner site with the PROXY protocol: list pods and get their logs in nginx's namespace only", () => {
    const plan = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    const edge = envOf(plan.jobs.edge);
    assert.equal(edge.LOG_NAMESPACE, NGINX.namespace);
    assert.equal(decodeURIComponent(edge.LOG_SELECTOR), "app.kubernetes.io/name=nginx-ingress,app.kubernetes.io/part-of=k3s-sites");
    assert.equal(edge.LOG_CONTAINER, NGINX.name);
    assert.equal(edge.LB_PRIVATE_IP, "10.0.0.10");
    assert.equal(edge.LOG_SKIP, "");
    const roles = plan.objects.filter((o) => o.kind === "Role" || o.kind === "ClusterRole");
    const logs = roles.find((o) => o.metadata.name === "k3s-sites-verify-log-reader")!;
    assert.equal(logs.metadata.namespace, NGINX.namespace);
    assert.deepEqual(logs.rules, [
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    const bound = plan.objects.find((o) => o.kind === "RoleBinding" && o.metadata.name === "k3s-sites-verify-log-reader")!;
    assert.deepEqual(bound.subjects, [{ kind: "ServiceAccount", name: "verify-edge", namespace: VERIFY_NAMESPACE }]);
    // The token reaches the API: the edge pod's egress includes the servers on 6443.
    const egress = policy(plan.objects, VERIFY_NAMESPACE, "verify-edge-to-nginx").egress;
    assert.deepEqual(egress[1].ports, [{ protocol: "TCP", port: 6443 }]);

    // Without the PROXY protocol, or with a log format of the user's, the check says why it does not run.
    const sections = hetznerSections() as Record<string, any>;
    for (const [ingress, reason] of [
      [{ proxyProtocol: false }, /^ingress\.proxyProtocol is false/],
      [{ config: { "log-format": "$request" } }, /^ingress\.config sets log-format/],
      [{ config: { "http-snippets": "access_log off;" } }, /^ingress\.config sets http-snippets/],
    ] as const) {
      const off = verifyPlan({ config: parseSiteConfig({ ...sections, ingress }), loadBalancerAddresses: ["198.51.100.7"] });
      assert.match(envOf(off.jobs.edge).LOG_SKIP, reason);
      assert.equal(envOf(off.jobs.edge).LOG_NAMESPACE, "");
      assert.equal(off.objects.some((o) => o.metadata.name === "k3s-sites-verify-log-reader"), false);
    }
  });

  it("asks a home site's Cilium LoadBalancer Service for its address, with get on that Service only", () => {
    const sections = sshSections() as Record<string, any>;
    const config = parseSiteConfig({ ...sections, cni: { plugin: "cilium", cilium: { loadBalancerPools: ["192.168.1.240/28"] } } });
    const plan = verifyPlan({ config });
    assert.equal(envOf(plan.jobs.edge).LB_SERVICE, `${NGINX.namespace}/${NGINX.name}`);
    assert.equal(envOf(plan.jobs.edge).PROXY_PROTOCOL, "0");
    const role = plan.objects.find((o) => o.kind === "Role" && o.metadata.namespace === NGINX.namespace)!;
    assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["services"], resourceNames: [NGINX.name], verbs: ["get"] }]);
    assert.equal(verifyPlan({ config: home() }).objects.some((o) => o.kind === "Role" && o.metadata.namespace === NGINX.namespace), false);
  });

  it("sends nginx's PROXY header to a LoadBalancer Service's address when ingress.proxyProtocol is on (nothing else adds it)", () => {
    const sections = sshSections() as Record<string, any>;
    const cilium = { plugin: "cilium", cilium: { loadBalancerPools: ["192.168.1.240/28"] } };
    const on = verifyPlan({ config: parseSiteConfig({ ...sections, cni: cilium, ingress: { proxyProtocol: true } }) });
    assert.equal(envOf(on.jobs.edge).LB_PROXY, "1");
    const off = verifyPlan({ config: parseSiteConfig({ ...sections, cni: cilium }) });
    assert.equal(envOf(off.jobs.edge).LB_PROXY, "0");
  });

  it("does not probe the announcement on a Cilium site (the home example): Cilium's wildcard service entries (1.19 and later) may drop the probe before any ARP leaves", () => {
    const config = parseSiteConfig(exampleSections("home"));
    const plan = verifyPlan({ config });
    assert.equal(plan.jobs["edge-announce"], undefined);
    assert.equal(plan.objects.some((o) => o.kind === "Role" && o.metadata.name === "k3s-sites-verify-announcer-reader"), false);
    assert.match(checksNotRun(config).find((n) => n.check === "edge announcement")!.why, /^Cilium \(1\.19 and later, the pinned 1\.20 included\) drops a connection to a LoadBalancer address on a port the Service does not define, /);
  });

  it("on a site of several segments, probes the announcement from two nodes of the address's segment (ARP and NDP cross no router)", () => {
    const sections = exampleSections("multisite") as Record<string, any>;
    const withPool = (addresses: string[]) =>
      parseSiteConfig({ ...sections, site: { ...sections.site, loadBalancer: { metallb: { pools: [{ name: "lan", addresses }] } } } });
    const homeA = withPool(["10.20.1.240/28"]);
    const job = verifyPlan({ config: homeA }).jobs["edge-announce"]!;
    assert.deepEqual((job.spec as any).template.spec.nodeSelector, { "k3s-sites/segment": "home-a" });
    // home-b has one node (mini): nobody else there to see the reply.
    const homeB = withPool(["10.20.2.240/28"]);
    assert.equal(verifyPlan({ config: homeB }).jobs["edge-announce"], undefined);
    assert.match(checksNotRun(homeB).find((n) => n.check === "edge announcement")!.why, /^segment home-b, where nginx's address is announced, has one node/);
  });

  it("does not run the announcement check where it cannot be truthful, and says why", () => {
    const sections = exampleSections("home") as Record<string, any>;
    const one = parseSiteConfig({ ...sections, site: { ...sections.site, hosts: [sections.site.hosts[0]] } });
    assert.equal(verifyPlan({ config: one }).jobs["edge-announce"], undefined);
    assert.match(checksNotRun(one).find((n) => n.check === "edge announcement")!.why, /^Cilium \(1\.19 and later, the pinned 1\.20 included\) drops/);
    const unannounced = parseSiteConfig({ ...sections, cni: { plugin: "cilium", cilium: { loadBalancerPools: ["192.168.1.240/28"] } } });
    assert.equal(verifyPlan({ config: unannounced }).jobs["edge-announce"], undefined);
    assert.match(checksNotRun(unannounced).find((n) => n.check === "edge announcement")!.why, /^cni\.cilium\.l2Announcements is unset/);
    // No LoadBalancer Service: nothing to announce, nothing said.
    assert.deepEqual(checksNotRun(hetzner()).filter((n) => n.check === "edge announcement"), []);
  });

  it("says at plan time, in the verify namespace's annotation, which skips the scripts would print: the PROXY log check and the app rule", () => {
    // The prod example runs both.
    const sections = exampleSections("prod") as any;
    assert.deepEqual(checksNotRun(parseSiteConfig(sections)), []);
    const config = parseSiteConfig({ ...sections, ingress: { ...sections.ingress, config: { "log-format": "$remote_addr" } }, networkPolicies: { ...sections.networkPolicies, apps: [] }, storage: { ...sections.storage, volumes: [] } });
    assert.deepEqual(checksNotRun(config), [
      { check: "edge client address from the PROXY header", why: "ingress.config sets log-format: the log's first field may not be the client address" },
      { check: "policies app rule", why: "the site declares no app (networkPolicies.apps)" },
    ]);
    const plan = verifyPlan({ config, loadBalancerAddresses: ["198.51.100.7"] });
    const namespace = plan.objects.find((o) => o.kind === "Namespace")!;
    assert.equal(
      (namespace.metadata as any).annotations["k3s-sites/checks-not-run"],
      "edge client address from the PROXY header: ingress.config sets log-format: the log's first field may not be the client address\npolicies app rule: the site declares no app (networkPolicies.apps)",
    );
  });

  it("checks both families on a dual-stack site, with a dual-stack headless Service", () => {
    const sections = sshSections() as Record<string, any>;
    const hosts = sections.site.hosts.map((h: Record<string, unknown>, i: number) => ({ ...h, privateIpv6: `fd00:1::${i + 10}` }));
    const config = parseSiteConfig({
      ...sections,
      site: { ...sections.site, hosts },
      k3s: { ...sections.k3s, ipFamilies: "dual-stack", clusterCidrV6: "fd00:42::/56", serviceCidrV6: "fd00:43::/112" },
    });
    const plan = verifyPlan({ config });
    assert.equal(envOf(plan.jobs.pods).FAMILIES, "4 6");
    const service = plan.objects.find((o) => o.kind === "Service")!;
    assert.equal((service.spec as any).ipFamilyPolicy, "RequireDualStack");
    assert.equal((service.spec as any).clusterIP, "None");
  });

  it("denies everything in its namespace, then lets the echo servers accept only the allowed port from the clients", () => {
    const { objects } = verifyPlan({ config: hetzner() });
    assert.ok(objects.some((o) => o.metadata.namespace === VERIFY_NAMESPACE && isDefaultDeny(o)));
    const echo = policy(objects, VERIFY_NAMESPACE, "verify-echo-from-clients");
    assert.deepEqual(echo.ingress[0].ports, [{ protocol: "TCP", port: ECHO_PORT }]);
    const clients = policy(objects, VERIFY_NAMESPACE, "verify-policies-to-echo");
    assert.deepEqual(clients.egress[0].ports.map((p: { port: number }) => p.port), [ECHO_PORT, DENIED_PORT]);
    // No rule lets the policies check reach OUTSIDE: its only egress is the echo servers and DNS.
    const egressOfPolicies = objects.filter(
      (o) => o.kind === "NetworkPolicy" && (o.spec as any).podSelector.matchLabels?.["k3s-sites/check"] === "policies",
    );
    assert.deepEqual(egressOfPolicies.map((o) => o.metadata.name).sort(), ["verify-policies-dns", "verify-policies-to-echo"]);
    // nginx lets no node address in for the checks.
    assert.equal(objects.some((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === NGINX.namespace), false);
  });

  it("reads ClusterIssuers with get on the two issuers only, and runs nothing privileged", () => {
    const { objects } = verifyPlan({ config: hetzner() });
    const role = objects.find((o) => o.kind === "ClusterRole")!;
    assert.equal(role.metadata.namespace, undefined);
    assert.deepEqual(role.rules, [
      { apiGroups: ["cert-manager.io"], resources: ["clusterissuers"], resourceNames: ["letsencrypt-staging", "letsencrypt-prod"], verbs: ["get"] },
    ]);
    const tokens = objects.filter((o) => o.kind === "ServiceAccount" && o.automountServiceAccountToken === true).map((o) => o.metadata.name);
    assert.deepEqual(tokens, ["verify-edge", "verify-certificates"], "the edge check reads nginx's log on Hetzner");
    assert.deepEqual(privilegedProblems(objects as never), []);
  });
});

describe("the checks leave a site without defaultDeny as it is", () => {
  it("add no policy in nginx's namespace, which would isolate nginx from every other client", () => {
    const sections = exampleSections("prod") as any;
    const config = parseSiteConfig({ ...sections, networkPolicies: { ...sections.networkPolicies, defaultDeny: false } });
    const plan = verifyPlan({ config, loadBalancerAddresses: ["198.51.100.7"] });
    assert.deepEqual(plan.objects.filter((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === NGINX.namespace).map((o) => o.metadata.name), []);
    // Nor with defaultDeny: each node calls its own hostPort, which needs no policy.
    const on = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    assert.equal(on.objects.some((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === NGINX.namespace), false);
  });

  it("give every check its pod's name from the API (the image's HOSTNAME is netshoot) and a writable working directory", () => {
    const plan = verifyPlan({ config: hetzner(), loadBalancerAddresses: ["198.51.100.7"] });
    for (const [name, job] of Object.entries(plan.jobs)) {
      const container = (job!.spec as any).template.spec.containers[0];
      assert.deepEqual(container.env.find((e: { name: string }) => e.name === "POD_NAME"), { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }, name);
      assert.equal(container.workingDir, "/tmp", name);
    }
  });
});
