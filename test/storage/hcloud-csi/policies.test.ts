import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { egressAllowed, ingressAllowed, type Policy } from "../../../plan/charts/reach";
import { HCLOUD_CSI } from "../../../src/storage/hcloud-csi/driver";
import { hcloudCsiPolicies } from "../../../src/storage/hcloud-csi/policies";
import { hetznerSections, parse1 } from "../../helpers";

const config = parse1(hetznerSections());
const policies = hcloudCsiPolicies(config) as unknown as Policy[];
const controller = { namespace: HCLOUD_CSI.namespace, labels: { ...HCLOUD_CSI.controllerLabels } };
const node = { namespace: HCLOUD_CSI.namespace, labels: { ...HCLOUD_CSI.nodeLabels } };
const server = config.nodes.find((n) => n.role === "server")!;

describe("Hetzner CSI NetworkPolicies", () => {
  it("lets the controller reach the API server and Hetzner's API, nothing else", () => {
    assert.equal(egressAllowed(policies, controller, 6443, { ip: server.privateIp }), true);
    assert.equal(egressAllowed(policies, controller, 443, { ip: "213.239.246.73" }), true);
    assert.equal(egressAllowed(policies, controller, 80, { ip: "169.254.169.254" }), false);
    assert.equal(egressAllowed(policies, controller, 443, { ip: "10.42.0.5" }), false);
  });

  it("lets the node plugin reach the metadata service only", () => {
    assert.equal(egressAllowed(policies, node, 80, { ip: "169.254.169.254" }), true);
    assert.equal(egressAllowed(policies, node, 443, { ip: "213.239.246.73" }), false);
    assert.equal(egressAllowed(policies, node, 6443, { ip: server.privateIp }), false);
  });

  it("lets no one call the driver's pods", () => {
    for (const target of [controller, node]) {
      assert.equal(ingressAllowed(policies, target, 9189, undefined, { ip: server.privateIp }), false);
    }
  });
});
