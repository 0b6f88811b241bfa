/**
 * The vendored Traefik chart rendered by the real helm with the values the program gives (src/ingress/traefik), and
 * the checks every chart of a site passes: no hook dropped, objects and values against their schemas, every image
 * pinned, every referenced object created, the names the policies use, and what reaches the node's ports.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageProblems, missingReferences, unlistedHooks } from "../../../plan/charts/checks";
import { findHelm } from "../../../plan/charts/helm";
import { IMAGE_RULES, KNOWN_HOOKS, RUNTIME_OBJECTS } from "../../../plan/charts/known";
import { metricsEndpoints } from "../../../plan/charts/metrics";
import { workloadsOf } from "../../../src/kubernetes/pods";
import { renderChart, type RenderedChart } from "../../../plan/charts/render";
import type { SiteConfig } from "../../../src/config/site";
import { TRAEFIK_EDGE } from "../../../src/ingress/traefik/edge";
import { TRAEFIK } from "../../../src/ingress/traefik/names";
import { TRAEFIK_CHART, traefikValues, type TraefikOptions } from "../../../src/ingress/traefik/values";
import { HELM_SKIP, crdValidator, schemaProblems, valuesProblems } from "../../plan/charts/support";
import { exampleSections, parse1 } from "../../helpers";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};
const LB_PUBLIC = "198.51.100.7";

/** Routes from every mail port of the prod example to a mail app. */
const MAIL_ROUTES = ["smtp", "submissions", "submission", "imaps"].map((entryPoint, i) => ({ entryPoint, namespace: "mail", service: "mail", port: [25, 465, 587, 993][i]! }));

function render(config: SiteConfig, opts: TraefikOptions = {}, tcpRoutes = MAIL_ROUTES): RenderedChart {
  const found = findHelm();
  if (!("helm" in found)) throw new Error(found.skipped);
  const spec = {
    resource: "site-traefik-chart",
    release: TRAEFIK.release,
    chart: TRAEFIK_CHART.chart,
    version: TRAEFIK_CHART.version,
    namespace: TRAEFIK.namespace,
    values: JSON.parse(JSON.stringify(traefikValues(config, { tcpRoutes }, opts))) as Record<string, unknown>,
    valuesFiles: [],
    skipCrds: false,
  };
  return renderChart(found.helm, spec, { kubeVersion: config.k3s.version, apiVersions: [] });
}

const prod = () => parse1(exampleSections("prod"));
const lan = () => parse1(exampleSections("lan"));

function daemonSet(chart: RenderedChart): any {
  const ds = chart.objects.filter((o) => o.kind === "DaemonSet");
  assert.equal(ds.length, 1);
  assert.equal(chart.objects.filter((o) => o.kind === "Deployment").length, 0);
  return ds[0];
}

describe("the Traefik chart as a Hetzner site renders it", skip, () => {
  it("passes the chart checks: no hooks, schemas, values schema, pinned images, references", async () => {
    const chart = render(prod(), { statusAddress: LB_PUBLIC });
    assert.deepEqual(unlistedHooks(chart, KNOWN_HOOKS), []);
    assert.equal(chart.hooks.length, 0);
    assert.deepEqual(await schemaProblems(chart.objects, crdValidator(chart.objects)), []);
    assert.deepEqual(valuesProblems(chart), []);
    assert.deepEqual(imageProblems(chart, IMAGE_RULES[TRAEFIK_CHART.chart]!), []);
    assert.deepEqual(missingReferences(chart, chart.objects, [], RUNTIME_OBJECTS), []);
  });

  it("runs one pod per node on the nodes' 80 and 443, one node at a time, with the labels the policies select", () => {
    const ds = daemonSet(render(prod()));
    assert.deepEqual(ds.spec.selector.matchLabels, TRAEFIK.podLabels);
    assert.deepEqual(ds.spec.updateStrategy.rollingUpdate, { maxUnavailable: 1, maxSurge: 0 });
    assert.equal(ds.spec.minReadySeconds, 25, "one health check: 15 s interval plus 10 s timeout");
    const ports = ds.spec.template.spec.containers[0].ports as { name: string; containerPort: number; hostPort?: number }[];
    const byName = Object.fromEntries(ports.map((p) => [p.name, p]));
    assert.deepEqual([byName.web?.containerPort, byName.web?.hostPort], [TRAEFIK.httpPort, 80]);
    assert.deepEqual([byName.websecure?.containerPort, byName.websecure?.hostPort], [TRAEFIK.httpsPort, 443]);
    assert.equal(ds.spec.template.spec.hostNetwork, false);
  });

  it("believes the PROXY header from the load balancer's private address only, on 80, 443 and the mail ports", () => {
    const config = prod();
    if (config.site.kind !== "hetzner") throw new Error("prod is a hetzner site");
    const lb = `${config.site.plan.loadBalancerIp}/32`;
    const args = daemonSet(render(config)).spec.template.spec.containers[0].args as string[];
    for (const ep of ["web", "websecure", "smtp", "submissions", "submission", "imaps"]) {
      assert.ok(args.includes(`--entryPoints.${ep}.proxyProtocol.trustedIPs=${lb}`), `${ep}: ${args.join(" ")}`);
    }
    assert.ok(!args.some((a) => a.includes("proxyProtocol.insecure")));
    // The edge check reads the client address from the access log's first field.
    assert.ok(args.includes("--accesslog=true") && args.includes("--accesslog.format=common"), args.join(" "));
    assert.ok(!args.some((a) => a.includes("forwardedHeaders.insecure")));
  });

  it("gives each extra TCP port an entry point on its hostPort, named after the load balancer's service", () => {
    const ds = daemonSet(render(prod()));
    const ports = ds.spec.template.spec.containers[0].ports as { name: string; hostPort?: number }[];
    const host = Object.fromEntries(ports.filter((p) => p.hostPort !== undefined).map((p) => [p.name, p.hostPort]));
    assert.deepEqual(host, { web: 80, websecure: 443, smtp: 25, submissions: 465, submission: 587, imaps: 993 });
  });

  it("leaves a load balancer port that no TCP route names to the apps' own hostPorts", () => {
    const ds = daemonSet(render(prod(), {}, MAIL_ROUTES.slice(0, 1)));
    const ports = ds.spec.template.spec.containers[0].ports as { name: string; hostPort?: number }[];
    assert.deepEqual(ports.flatMap((p) => (p.hostPort !== undefined ? [p.hostPort] : [])).sort((a, b) => a - b), [25, 80, 443]);
  });

  it("keeps the dashboard off and the API and metrics off the nodes' addresses, with no Service", () => {
    const chart = render(prod(), { statusAddress: LB_PUBLIC });
    const c = daemonSet(chart).spec.template.spec.containers[0];
    assert.ok(c.args.includes("--api.dashboard=false"));
    for (const p of c.ports as { containerPort: number; hostPort?: number }[]) {
      if (p.containerPort === TRAEFIK.metricsPort || p.containerPort === TRAEFIK.pingPort) assert.equal(p.hostPort, undefined);
    }
    assert.equal(chart.objects.filter((o) => o.kind === "Service").length, 0);
    assert.equal(chart.objects.filter((o) => o.kind === "IngressRoute").length, 0, "no IngressRoute to the dashboard");
    const metrics = metricsEndpoints(chart.objects);
    assert.deepEqual(metrics.map((m) => [m.port, m.target.spec.hostNetwork ?? false]), [[TRAEFIK.metricsPort, false]]);
    assert.ok(c.args.includes(`--providers.kubernetesingress.ingressendpoint.ip=${LB_PUBLIC}`), c.args.join(" "));
  });

  it("installs the traefik.io CRDs, IngressRoute and IngressRouteTCP among them, and a default IngressClass", () => {
    const chart = render(prod());
    const crds = chart.objects.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata.name);
    assert.ok(crds.includes("ingressroutes.traefik.io") && crds.includes("ingressroutetcps.traefik.io"), crds.join(", "));
    const cls = chart.objects.find((o) => o.kind === "IngressClass") as KubernetesObject & { spec: { controller: string } };
    assert.equal(cls.metadata.name, TRAEFIK.ingressClass);
    assert.equal(cls.spec.controller, TRAEFIK.controller);
    assert.equal(cls.metadata.annotations?.["ingressclass.kubernetes.io/is-default-class"], "true");
  });
});

describe("the Traefik chart as a home site with MetalLB renders it", skip, () => {
  it("puts a LoadBalancer Service with externalTrafficPolicy Local at MetalLB's ingress address in front", () => {
    const chart = render(lan(), { loadBalancerService: true });
    const services = chart.objects.filter((o) => o.kind === "Service") as (KubernetesObject & { spec: any })[];
    assert.equal(services.length, 1);
    const svc = services[0]!;
    assert.equal(`${svc.metadata.namespace}/${svc.metadata.name}`, TRAEFIK_EDGE.loadBalancerService);
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.equal(svc.spec.externalTrafficPolicy, "Local");
    assert.ok(svc.metadata.annotations?.["metallb.io/loadBalancerIPs"], "a fixed address of MetalLB's pools");
    assert.deepEqual(svc.spec.selector, TRAEFIK.podLabels);
    const ports = (svc.spec.ports as { port: number }[]).map((p) => p.port).sort((a, b) => a - b);
    assert.deepEqual(ports, [80, 443], "metrics and the API stay off the Service");
    const pods = workloadsOf(chart.objects);
    assert.equal(pods.length, 1);
    const args = daemonSet(chart).spec.template.spec.containers[0].args as string[];
    assert.ok(!args.some((a) => a.includes("proxyProtocol")), "no PROXY protocol on a home site that does not ask for it");
  });
});
