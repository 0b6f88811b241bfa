import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ingressSwitch, type SwitchFacts } from "../../src/ingress/switch";

const FACTS: Record<string, SwitchFacts> = {
  nginx: { ingressClass: "nginx", hostPorts: true },
  traefik: { ingressClass: "traefik", hostPorts: true },
  cilium: { ingressClass: "cilium", hostPorts: false },
};
const facts = (c: string) => FACTS[c];

describe("switching ingress.controller", () => {
  it("is no switch on a new site or when the controller stays", () => {
    assert.equal(ingressSwitch(undefined, "nginx", facts), undefined);
    assert.equal(ingressSwitch("nginx", "nginx", facts), undefined);
  });

  it("says the outage plainly between two controllers on the nodes' ports, and that the run does not wait", () => {
    const s = ingressSwitch("nginx", "traefik", facts)!;
    assert.equal(s.waitsForPorts, true);
    assert.deepEqual(s.lines, [
      "ingress.controller nginx -> traefik: nginx's objects are deleted and traefik's created in this run (the preview lists each)",
      "outage: every node's ports 80 and 443 refuse connections from when nginx's DaemonSet is deleted, at the end of the run, until traefik's pod on that node is ready (its pods wait Pending for the ports until then, and the run does not wait for them): about a minute on every node at once",
      "Ingresses with ingressClassName nginx are served by nobody after the switch: set it to traefik, or leave it out (traefik's class is the default)",
    ]);
  });

  it("says the address changes when one side is reached through a LoadBalancer Service", () => {
    const s = ingressSwitch("nginx", "cilium", facts)!;
    assert.equal(s.waitsForPorts, false);
    assert.match(s.lines[1]!, /^outage: the site's address changes: cilium is reached through a LoadBalancer Service of its own/);
  });
});
