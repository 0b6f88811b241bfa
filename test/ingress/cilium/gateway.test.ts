import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayApiObjects } from "../../../src/ingress/cilium/gateway-api";
import { gatewayObjects, tlsSecretName } from "../../../src/ingress/cilium/gateway";
import { CILIUM_INGRESS } from "../../../src/ingress/cilium/names";
import { exampleSections, parse1 } from "../../helpers";
import { CrdValidator, validateBuiltin } from "../../support/schemas";

const crds = new CrdValidator(gatewayApiObjects("v1.6.1"));
const home = () => parse1(exampleSections("home"));

describe("the site's Gateway on Cilium", () => {
  it("fits the v1.6.1 CRDs: a GatewayClass Cilium serves and a Gateway with HTTP and one HTTPS listener per host", async () => {
    const objects = gatewayObjects(home(), { hosts: ["app.example.com", "*.example.org"] });
    for (const o of objects) {
      if (crds.has(o as never)) crds.validate(o as never);
      else await validateBuiltin(o as never);
    }
    const cls = objects.find((o) => o.kind === "GatewayClass") as any;
    assert.equal(cls.spec.controllerName, CILIUM_INGRESS.gatewayController);
    const gw = objects.find((o) => o.kind === "Gateway") as any;
    assert.deepEqual(
      gw.spec.listeners.map((l: any) => [l.name, l.port, l.protocol, l.hostname ?? null, l.tls?.certificateRefs?.[0]?.name ?? null]),
      [
        ["http", 80, "HTTP", null, null],
        ["https-0", 443, "HTTPS", "app.example.com", "app-example-com-tls"],
        ["https-1", 443, "HTTPS", "*.example.org", "wildcard-example-org-tls"],
      ],
    );
    assert.ok(gw.spec.listeners.every((l: any) => l.allowedRoutes.namespaces.from === "All"), "apps' HTTPRoutes attach from their namespaces");
    assert.equal(gw.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
  });

  it("asks cert-manager for nothing when the Gateway has no HTTPS listener or certificates are off", () => {
    const noHosts = gatewayObjects(home(), { hosts: [] }).find((o) => o.kind === "Gateway") as any;
    assert.equal(noHosts.metadata.annotations, undefined);
    const config = parse1({ ...exampleSections("home"), certificates: { enabled: false } });
    const off = gatewayObjects(config, { hosts: ["app.example.com"] }).find((o) => o.kind === "Gateway") as any;
    assert.equal(off.metadata.annotations, undefined);
  });

  it("names TLS secrets as DNS labels", () => {
    assert.equal(tlsSecretName("a.b.example.com"), "a-b-example-com-tls");
    assert.equal(tlsSecretName("*.example.com"), "wildcard-example-com-tls");
  });
});
