/**
 * A site on Cilium's ingress and Gateway API, planned end to end (issue 27): the home example with
 * ingress.controller: cilium (test/helpers.ts homeCiliumIngressSections), the whole program on the offline engine,
 * its charts rendered by the real helm. The chart checks (test/plan/charts/site-charts.test.ts) and the policy pack
 * (test/policy-pack/plan.test.ts) run on the same site through SITES.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSiteConfig } from "../../../src/config/load";
import { checksNotRun, jobsOf } from "../../../src/verify/jobs";
import { CILIUM_INGRESS_HOSTS, homeCiliumIngressSections } from "../../helpers";
import { HELM_SKIP, chartOf, siteUnderTest } from "../../plan/charts/support";
import { CHART_TYPE, TYPE } from "../../../src/type-tokens";

const site = () => siteUnderTest("home-cilium-ingress");
type Obj = { kind: string; apiVersion?: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any };
const objects = async (kind: string): Promise<Obj[]> => (await site()).program.filter((o) => o.kind === kind) as unknown as Obj[];

describe("a home site on Cilium's ingress and Gateway API, planned end to end", { ...(HELM_SKIP ? { skip: HELM_SKIP } : {}) }, () => {
  it("installs the Gateway API CRDs before Cilium, whose chart waits for them", async () => {
    const { run, program } = await site();
    const crds = program.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata.name);
    for (const kind of ["gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants"]) {
      assert.ok(crds.includes(`${kind}.gateway.networking.k8s.io`), `${kind}: ${crds.join(", ")}`);
    }
    const before = run.resources.find((r) => r.type === TYPE.beforeCni);
    const cilium = run.resources.find((r) => r.type === TYPE.cilium);
    assert.ok(before && cilium);
    const chart = run.resources.find((r) => r.type === CHART_TYPE && r.parent === cilium.urn);
    assert.ok(chart, "Cilium's chart");
    // The chart waits for the CRDs' objects (BeforeCni's children), directly or through its component.
    const waits = [...chart.dependsOn, ...cilium.dependsOn];
    assert.ok(waits.some((urn) => urn === before.urn || urn.includes(`${TYPE.beforeCni}$`)), JSON.stringify(waits));
  });

  it("turns on Cilium's ingress controller and Gateway API in its values, with the client address kept", async () => {
    const values = chartOf(await site(), "cilium").spec.values as Record<string, any>;
    assert.deepEqual(values.ingressController, { enabled: true, default: true, loadbalancerMode: "shared", service: { externalTrafficPolicy: "Local" } });
    assert.deepEqual(values.gatewayAPI, { enabled: true, externalTrafficPolicy: "Local", gatewayClass: { create: "false" } });
    assert.equal((values.ingressController as Record<string, unknown>).enableProxyProtocol, undefined, "no PROXY protocol: Envoy would trust any sender");
  });

  it("creates the GatewayClass and the site's Gateway: HTTP for every name, HTTPS per host with cert-manager's certificate", async () => {
    const [klass] = await objects("GatewayClass");
    assert.deepEqual([klass?.metadata.name, klass?.spec.controllerName], ["cilium", "io.cilium/gateway-controller"]);
    const gateways = await objects("Gateway");
    assert.equal(gateways.length, 1);
    const gateway = gateways[0]!;
    assert.deepEqual([gateway.metadata.namespace, gateway.metadata.name, gateway.spec.gatewayClassName], ["gateway", "k3s-sites", "cilium"]);
    assert.equal(gateway.metadata.annotations?.["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    assert.deepEqual(
      gateway.spec.listeners.map((l: any) => [l.name, l.protocol, l.port, l.hostname, l.tls?.certificateRefs?.[0]?.name, l.allowedRoutes.namespaces.from]),
      [
        ["http", "HTTP", 80, undefined, undefined, "All"],
        ["https-0", "HTTPS", 443, CILIUM_INGRESS_HOSTS[0], "app-example-com-tls", "All"],
        ["https-1", "HTTPS", 443, CILIUM_INGRESS_HOSTS[1], "wildcard-apps-example-com-tls", "All"],
      ],
    );
  });

  it("switches cert-manager's Gateway API support on and solves HTTP-01 through the Gateway", async () => {
    const values = chartOf(await site(), "cert-manager").spec.values as Record<string, any>;
    assert.deepEqual(values.config?.gatewayAPI, { enabled: true });
    for (const issuer of await objects("ClusterIssuer")) {
      assert.deepEqual(issuer.spec.acme.solvers, [{ http01: { gatewayHTTPRoute: { parentRefs: [{ name: "k3s-sites", namespace: "gateway", kind: "Gateway" }] } } }]);
    }
  });

  it("admits Envoy to the app behind the ingress and to the HTTP-01 solvers with CiliumNetworkPolicies", async () => {
    const policies = await objects("CiliumNetworkPolicy");
    assert.deepEqual(
      policies.map((p) => [p.metadata.namespace, p.metadata.name, p.spec.ingress[0].fromEntities, p.spec.ingress[0].toPorts[0].ports]).sort(),
      [
        ["web", "acme-http01-solver-from-ingress", ["ingress"], [{ port: "8089", protocol: "TCP" }]],
        ["web", "website-from-ingress", ["ingress"], [{ port: "8080", protocol: "TCP" }]],
      ],
    );
    // No policy for a controller's namespace that this site does not have.
    const nps = (await site()).program.filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.namespace);
    assert.deepEqual(nps.filter((ns) => ns === "nginx-ingress" || ns === "traefik"), []);
  });

  it("adapts the verification Jobs: the edge check calls cilium-ingress; the log and stand-in checks say why they do not run", async () => {
    const config = parseSiteConfig(homeCiliumIngressSections());
    assert.ok(jobsOf(config).includes("edge"));
    const notRun = checksNotRun(config);
    assert.deepEqual(
      notRun.filter((c) => ["edge client address from the PROXY header", "policies app rule"].includes(c.check)).map((c) => c.why),
      // A home site has no PROXY header to log, whatever the controller: the log check is not one of its checks.
      ["cilium's ingress runs in no pod of its own that a stand-in could impersonate"],
    );
    const { program } = await site();
    const edge = program.find((o) => o.kind === "Job" && o.metadata.name.startsWith("verify-edge-") && !o.metadata.name.includes("host")) as unknown as Obj;
    const env = Object.fromEntries((edge.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    assert.equal(env.LB_SERVICE, "kube-system/cilium-ingress");
  });
});
