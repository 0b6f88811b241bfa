import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { GATEWAY_API_DIR, GATEWAY_API_FILES, gatewayApiObjects, gatewayApiOfCilium } from "../../../src/ingress/cilium/gateway-api";

describe("the vendored Gateway API CRDs", () => {
  it("reads v1.6.1's standard channel: every kind Cilium 1.20 watches, and the safe-upgrades policy", () => {
    const objects = gatewayApiObjects("v1.6.1");
    const crds = objects.filter((o) => o.kind === "CustomResourceDefinition").map((o) => (o.metadata as { name: string }).name).sort();
    assert.deepEqual(crds, [
      "backendtlspolicies.gateway.networking.k8s.io",
      "gatewayclasses.gateway.networking.k8s.io",
      "gateways.gateway.networking.k8s.io",
      "grpcroutes.gateway.networking.k8s.io",
      "httproutes.gateway.networking.k8s.io",
      "listenersets.gateway.networking.k8s.io",
      "referencegrants.gateway.networking.k8s.io",
      "tcproutes.gateway.networking.k8s.io",
      "tlsroutes.gateway.networking.k8s.io",
      "udproutes.gateway.networking.k8s.io",
    ]);
    assert.deepEqual(objects.filter((o) => o.kind !== "CustomResourceDefinition").map((o) => o.kind).sort(), [
      "ValidatingAdmissionPolicy",
      "ValidatingAdmissionPolicyBinding",
    ]);
  });

  it("refuses a file whose sha256 is not the pinned one, naming it and the fix", () => {
    const root = mkdtempSync(join(tmpdir(), "gateway-api-"));
    try {
      cpSync(join(GATEWAY_API_DIR, "v1.6.1"), join(root, "v1.6.1"), { recursive: true });
      appendFileSync(join(root, "v1.6.1", "gateway.networking.k8s.io_httproutes.yaml"), "\n# edited\n");
      assert.throws(() => gatewayApiObjects("v1.6.1", root), /gateway\.networking\.k8s\.io_httproutes\.yaml has sha256 [0-9a-f]{64}, expected a424a0d6.*restore the file/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("knows the Gateway API of Cilium 1.20 only; 1.19 has none vendored", () => {
    assert.equal(gatewayApiOfCilium("1.20.0"), "v1.6.1");
    assert.equal(gatewayApiOfCilium("1.19.6"), undefined);
    assert.deepEqual(Object.keys(GATEWAY_API_FILES), ["v1.6.1"]);
    assert.throws(() => gatewayApiObjects("v1.4.0"), /Gateway API v1\.4\.0 is not vendored \(have: v1\.6\.1\)/);
  });
});
