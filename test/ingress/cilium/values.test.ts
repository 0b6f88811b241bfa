/** Cilium 1.20.0's chart rendered by the real helm with a home site's values and the ingress's on top. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findHelm } from "../../../plan/charts/helm";
import { renderChart, type RenderedChart } from "../../../plan/charts/render";
import { CILIUM_NAMESPACE, ciliumValues } from "../../../src/cni/cilium/values";
import { CILIUM_INGRESS } from "../../../src/ingress/cilium/names";
import { ciliumIngressValues } from "../../../src/ingress/cilium/values";
import { HELM_SKIP, valuesProblems } from "../../plan/charts/support";
import { exampleSections, parse1 } from "../../helpers";
import type { KubernetesObject } from "../../../src/kubernetes/object";

const skip = HELM_SKIP ? { skip: HELM_SKIP } : {};

function render(withIngress: boolean): RenderedChart {
  const found = findHelm();
  if (!("helm" in found)) throw new Error(found.skipped);
  const config = parse1(exampleSections("home"));
  const values = { ...ciliumValues(config), ...(withIngress ? ciliumIngressValues() : {}) };
  return renderChart(
    found.helm,
    {
      resource: "home-cilium",
      release: "cilium",
      chart: "cilium",
      version: "1.20.0",
      namespace: CILIUM_NAMESPACE,
      values: JSON.parse(JSON.stringify(values)) as Record<string, unknown>,
      valuesFiles: [],
      skipCrds: false,
    },
    // As discovery shows it once the Gateway API CRDs are in: the chart's `auto` would then render its own class.
    { kubeVersion: config.k3s.version, apiVersions: ["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1/GatewayClass"] },
  );
}

describe("Cilium 1.20 with its ingress and Gateway API on", skip, () => {
  it("fits the chart's values.schema.json", () => {
    assert.deepEqual(valuesProblems(render(true)), []);
  });

  it("renders the cilium IngressClass as the default and one shared LoadBalancer Service, Local", () => {
    const objects = render(true).objects;
    const cls = objects.find((o) => o.kind === "IngressClass");
    assert.equal(cls?.metadata.name, CILIUM_INGRESS.ingressClass);
    assert.equal(cls?.metadata.annotations?.["ingressclass.kubernetes.io/is-default-class"], "true");
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === "cilium-ingress") as (KubernetesObject & { spec: any }) | undefined;
    assert.equal(svc?.spec.type, "LoadBalancer");
    assert.equal(svc?.spec.externalTrafficPolicy, "Local");
    const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cilium-config") as KubernetesObject & { data: Record<string, string> };
    assert.equal(config.data["enable-gateway-api"], "true");
    assert.equal(config.data["enable-ingress-controller"], "true");
    assert.equal(config.data["enable-ingress-proxy-protocol"], "false", "Envoy's PROXY protocol trusts every sender");
    assert.equal(config.data["enable-gateway-api-proxy-protocol"], "false");
  });

  it("leaves the GatewayClass to the program, which creates it after the CRDs", () => {
    assert.equal(render(true).objects.filter((o) => o.kind === "GatewayClass").length, 0);
  });

  it("adds nothing of the kind without them", () => {
    const objects = render(false).objects;
    assert.equal(objects.filter((o) => o.kind === "IngressClass").length, 0);
    assert.equal(objects.filter((o) => o.metadata.name === "cilium-ingress").length, 0);
  });
});
