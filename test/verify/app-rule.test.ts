/**
 * The policies check's app rule: its stand-ins are selected by the program's real policies for a declared app, so
 * the Jobs test those policies; the script passes when they hold and fails when they do not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSiteConfig } from "../../src/config/load";
import { NGINX } from "../../src/edge/names";
import { networkPolicies, type NetworkPolicy } from "../../src/policy/network-policies";
import { appRuleOf } from "../../src/verify/app-rule";
import { jobsOf, verifyPlan } from "../../src/verify/jobs";
import { APP_RULE_SERVICE, JOB_BUDGET } from "../../src/verify/names";
import { privilegedProblems } from "../../policy/rules";
import { egressAllowed, ingressAllowed, matches } from "../../plan/charts/reach";
import { validateBuiltin } from "../support/schemas";
import { exampleSections, sshSections } from "../helpers";
import { SANDBOX_SKIP, runCheck, serveCheck } from "./sandbox";
import type { KubernetesObject } from "../../src/kubernetes/object";

type Labels = Record<string, string>;
interface Pod {
  readonly namespace: string;
  readonly labels: Labels;
}

/** One TCP connection, through the program's NetworkPolicy evaluator: each end's policies must let it through. */
function allowed(policies: readonly NetworkPolicy[], from: Pod, to: Pod, port: number): boolean {
  return egressAllowed(policies, from, port, { pod: to }) && ingressAllowed(policies, to, port, undefined, { pod: from });
}

const podOf = (job: KubernetesObject | undefined): Pod => ({
  namespace: job!.metadata.namespace!,
  labels: (job!.spec as any).template.metadata.labels,
});
const envOf = (job: KubernetesObject | undefined): Record<string, string> =>
  Object.fromEntries((job!.spec as any).template.spec.containers[0].env
    .filter((e: { value?: string }) => e.value !== undefined)
    .map((e: { name: string; value: string }) => [e.name, e.value]));

const prod = () => parseSiteConfig(exampleSections("prod"));

describe("the policies check's app rule", () => {
  it("picks the first app nginx calls on a TCP port from 1024 up, and a port the app does not declare", () => {
    const rule = appRuleOf(prod());
    assert.ok("app" in rule);
    assert.equal(rule.app.name, "website");
    assert.equal(rule.port, 8080);
    assert.equal(rule.deniedPort, 8081);
    const sections = exampleSections("prod") as any;
    const apps = [{ name: "web", namespace: "web", ports: [{ port: 8081 }, { port: 8082 }, { port: 80 }], from: [{ nginx: true }] }];
    const busy = appRuleOf(parseSiteConfig({ ...sections, networkPolicies: { ...sections.networkPolicies, apps } }));
    assert.ok("app" in busy);
    assert.deepEqual([busy.port, busy.deniedPort], [8081, 8083]);
  });

  it("is skipped, with the reason printed by the policies check, when the site declares no app or none nginx calls", () => {
    const home = parseSiteConfig(sshSections());
    assert.deepEqual(appRuleOf(home), { skip: "the site declares no app (networkPolicies.apps)" });
    assert.deepEqual(jobsOf(home).filter((j) => j.startsWith("policies-app")), []);
    const plan = verifyPlan({ config: home });
    assert.equal(envOf(plan.jobs.policies).APP_RULE_SKIP, "the site declares no app (networkPolicies.apps)");
    assert.equal(plan.objects.some((o) => o.metadata.name === APP_RULE_SERVICE), false);
    const sections = exampleSections("prod") as any;
    const apps = [{ name: "db", namespace: "db", ports: [{ port: 5432 }], from: [{ cidr: "10.0.0.0/16" }] }];
    const noNginx = parseSiteConfig({ ...sections, networkPolicies: { ...sections.networkPolicies, apps }, storage: { ...sections.storage, volumes: [] } });
    assert.match((appRuleOf(noNginx) as { skip: string }).skip, /^no declared app takes calls from nginx \(from: \[{ingress: true}\]\) on a TCP port from 1024 up; the check stands in for nginx only$/);
  });

  it("stands in for nginx and for the app with their labels, never Ready, without tokens or privileges", async () => {
    const config = prod();
    assert.deepEqual(jobsOf(config), ["dns", "pods", "policies", "edge", "certificates", "policies-app", "policies-app-server", "edge-host"]);
    const plan = verifyPlan({ config, loadBalancerAddresses: ["198.51.100.7"] });
    const client = plan.jobs["policies-app"]!;
    const server = plan.jobs["policies-app-server"]!;
    assert.equal(client.metadata.name, `verify-policies-app-${plan.digest}`);
    assert.equal(envOf(plan.jobs.policies).APP_RULE_JOB, `${NGINX.namespace}/verify-policies-app-${plan.digest}`);
    assert.equal(envOf(plan.jobs.policies).APP_RULE_SKIP, "");
    assert.equal(podOf(client).namespace, NGINX.namespace);
    assert.ok(matches({ matchLabels: NGINX.podLabels }, podOf(client).labels));
    assert.equal(podOf(server).namespace, "web");
    assert.equal(podOf(server).labels.app, "website");
    for (const j of [client, server]) {
      const pod = (j.spec as any).template.spec;
      assert.deepEqual(pod.containers[0].readinessProbe.exec.command, ["false"], "never Ready: out of every Service");
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.serviceAccountName, undefined);
      assert.equal(pod.volumes[0].configMap.name, "k3s-sites-verify-scripts");
      const scripts = plan.objects.find((o) => o.kind === "ConfigMap" && o.metadata.namespace === j.metadata.namespace)!;
      assert.ok((scripts.data as Record<string, string>)[pod.containers[0].command[1].replace("/verify/", "")]);
    }
    assert.deepEqual(privilegedProblems([client, server] as never), []);
    for (const o of [client, server, ...plan.objects.filter((o) => o.metadata.namespace !== "k3s-sites-verify" && o.kind !== "NetworkPolicy")]) {
      await validateBuiltin(o as never);
    }
    assert.deepEqual(envOf(client), {
      EDGE_NAME: "nginx",
      EDGE_NAMESPACE: "nginx-ingress",
      APP: "website",
      SERVER: `${APP_RULE_SERVICE}.web.svc.cluster.local`,
      APP_PORT: "8080",
      DENIED_PORT: "8081",
      TIMEOUT: "300",
      INTERVAL: "5",
      DENY_WAIT: "20",
      BUDGET: String(JOB_BUDGET),
    });
    const service = plan.objects.find((o) => o.kind === "Service" && o.metadata.name === APP_RULE_SERVICE)!;
    assert.equal(service.metadata.namespace, "web");
    assert.equal((service.spec as any).publishNotReadyAddresses, true);
    assert.ok(matches({ matchLabels: (service.spec as any).selector }, podOf(server).labels));
    assert.equal(matches({ matchLabels: (service.spec as any).selector }, { app: "website" }), false, "selects the stand-in only");
  });

  for (const defaultDeny of [true, false]) {
    it(`is let through by the program's own policies on the app's port only (defaultDeny ${defaultDeny})`, () => {
      const sections = exampleSections("prod") as any;
      const config = parseSiteConfig({ ...sections, networkPolicies: { ...sections.networkPolicies, defaultDeny } });
      const plan = verifyPlan({ config, loadBalancerAddresses: ["198.51.100.7"] });
      const policies = [...networkPolicies(config), ...(plan.objects.filter((o) => o.kind === "NetworkPolicy") as unknown as NetworkPolicy[])];
      const client = podOf(plan.jobs["policies-app"]);
      const server = podOf(plan.jobs["policies-app-server"]);
      assert.equal(allowed(policies, client, server, 8080), true);
      assert.equal(allowed(policies, client, server, 8081), false);
      // The verdict is the app's policy's: without it, the stand-in for nginx reaches the other port too.
      const withoutApp = policies.filter((p) => p.metadata.name !== "app-website");
      if (!defaultDeny) assert.equal(allowed(withoutApp, client, server, 8081), true);
      // And the same connection from a pod that is not nginx is refused by it.
      assert.equal(allowed(policies, { ...client, labels: { app: "other" } }, server, 8080), false);
    });
  }
});

const appEnv = {
  EDGE_NAME: "nginx",
  EDGE_NAMESPACE: "nginx-ingress",
  APP: "website",
  SERVER: "k3s-sites-verify-app.web.svc.cluster.local",
  APP_PORT: "8080",
  DENIED_PORT: "8081",
  TIMEOUT: "20",
  INTERVAL: "5",
  DENY_WAIT: "2",
};
const appDns = ["k3s-sites-verify-app.web.svc.cluster.local A 10.42.3.7"];

describe("policies-app.sh in the sandbox", { skip: SANDBOX_SKIP }, () => {
  it("passes when the app's port connects and the other port does not, and releases the stand-in", () => {
    const good = runCheck("policies-app.sh", appEnv, { dns: appDns, tcp: ["10.42.3.7 8080 website-stand-in"] });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   policies app website rule: nginx to port 8080 \(k3s-sites-verify-app\.web\.svc\.cluster\.local\): expected connected within \d+s, saw connected$/m);
    assert.match(good.stdout, /^ok   policies app website: nginx to port 8081 \(10\.42\.3\.7\), which no rule allows: expected refused or timed out within \d+s, saw refused or timed out$/m);
    const connects = good.calls.filter((c) => c.startsWith("nc ")).map((c) => c.split(" ").slice(-2).join(":"));
    assert.deepEqual(connects, ["10.42.3.7:8080", "10.42.3.7:8081", "10.42.3.7:8080"], "proof, other port, release");
    assert.match(good.stdout, /^ok   policies app website: stand-in released on port 8080: expected connected, saw connected$/m);
  });

  it("fails when the other port still connects after DENY_WAIT (policies not enforced), and keeps the stand-in", () => {
    const open = runCheck("policies-app.sh", appEnv, { dns: appDns, tcp: ["10.42.3.7 8080 a", "10.42.3.7 8081 a"] });
    assert.equal(open.status, 1);
    assert.match(open.stdout, /^FAIL policies app website: nginx to port 8081 \(10\.42\.3\.7\), which no rule allows: expected refused or timed out within \d+s, saw connected; likely cause: the CNI does not enforce the app's policy app-website/m);
    const connects = open.calls.filter((c) => c.startsWith("nc ")).map((c) => c.split(" ").slice(-2).join(":"));
    assert.ok(connects.filter((c) => c === "10.42.3.7:8081").length >= 2, "the other port is tried again while policies may lag");
    // No release: the stand-in's Job fails by its deadline too, and the next run replaces both Jobs.
    assert.deepEqual(connects.filter((c) => c === "10.42.3.7:8080"), ["10.42.3.7:8080"], "only the proof");
    assert.doesNotMatch(open.stdout, /released/);
  });

  it("waits for the stand-in, then fails when the app's port never connects (the rule does not let nginx in)", () => {
    const shut = runCheck("policies-app.sh", appEnv, { dns: appDns });
    assert.equal(shut.status, 1);
    assert.match(shut.stdout, /^FAIL policies app website rule: nginx to port 8080 \(.*\): expected connected within \d+s, saw refused or timed out; likely cause: the app's policy app-website or nginx's policy to its backends \(kubectl -n nginx-ingress get networkpolicy\) does not admit nginx on port 8080/m);
    assert.equal(shut.calls.filter((c) => c.startsWith("sleep")).length, 4, "polled until the timeout");
    assert.doesNotMatch(shut.stdout, /port 8081/, "the other port is tried only against a listening stand-in");
    const noAddress = runCheck("policies-app.sh", appEnv, {});
    assert.match(noAddress.stdout, /^FAIL policies app website rule: nginx to port 8080 \(.*\): expected connected within \d+s, saw no address for k3s-sites-verify-app/m);
  });

  it("policies-app-server.sh listens on both ports, the app's for one connection at a time, and ends after the second", async () => {
    const env = { APP: "website", APP_PORT: "8080", DENIED_PORT: "8081" };
    await serveCheck("policies-app-server.sh", env, {}, async (server) => {
      const appListeners = () => server.calls().filter((c) => c === "socat TCP4-LISTEN:8080,reuseaddr SYSTEM:echo website-stand-in").length;
      await server.until("both listeners", () => appListeners() === 1 && server.calls().includes("socat TCP4-LISTEN:8081,fork,reuseaddr SYSTEM:echo website-stand-in"));
      server.stop("TCP4:8080"); // the proof
      await server.until("the second listener", () => appListeners() === 2);
      assert.equal(server.running(), true, "still there for the other port's attempt and the release");
      server.stop("TCP4:8080"); // the release
      const end = await server.exited;
      assert.equal(end.status, 0);
      assert.match(end.stdout, /^policies app website stand-in: connection \(release\) on port 8080, socat ended with status 0$/m);
    });
  });

  it("policies.sh prints why the app rule is skipped, or which Job checks it", () => {
    const env = { ECHO_SERVICE: "e", ECHO_PORT: "8080", DENIED_PORT: "8081", OUTSIDE: "1.1.1.1 443", EXTERNAL_NAME: "kubernetes.io", TIMEOUT: "10", INTERVAL: "5", DENY_WAIT: "4" };
    const network = { dns: ["e A 10.42.0.5", "kubernetes.io A 147.75.40.148"], tcp: ["10.42.0.5 8080 a"] };
    const skipped = runCheck("policies.sh", { ...env, APP_RULE_JOB: "", APP_RULE_SKIP: "the site declares no app (networkPolicies.apps)" }, network);
    assert.equal(skipped.status, 0, skipped.stdout);
    assert.match(skipped.stdout, /^skip policies app rule: the site declares no app \(networkPolicies\.apps\)$/m);
    const pointed = runCheck("policies.sh", { ...env, APP_RULE_JOB: "nginx-ingress/verify-policies-app-0123456789", APP_RULE_SKIP: "" }, network);
    assert.match(pointed.stdout, /^see  policies app rule: checked by Job nginx-ingress\/verify-policies-app-0123456789$/m);
  });
});
