/**
 * The plan's stdout summary names what hands out a site's load-balancer addresses: Hetzner's load balancer ports,
 * MetalLB's pools and how each is announced, Cilium's LB-IPAM pools, with nginx's address.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lanLoadBalancer, renderFiles, summarize } from "../../plan/render";
import { ROOT, exampleSections, sshSections } from "../helpers";
import { planOf, planOfSections } from "./run";
import { join } from "node:path";
import { planCharts } from "../../plan/charts/plan";
import { readStackFile } from "../../plan/engine";
import { SECRET_KEYS } from "../../src/config/secrets";
import { HELM_SKIP } from "./charts/support";

async function loadBalancerLine(run: Awaited<ReturnType<typeof planOf>>, chartObjects: readonly Record<string, unknown>[] = []): Promise<string> {
  const line = summarize(run, renderFiles(run), { chartObjects })
    .split("\n")
    .find((l) => l.startsWith("load balancer"));
  assert.ok(line, "the summary has a load balancer line");
  return line;
}

describe("the plan summary's load balancer line", () => {
  it("names MetalLB and its pool with its L2 interfaces on the lan example", async () => {
    assert.equal(await loadBalancerLine(await planOf("lan")), "load balancer: MetalLB, pool lan 192.168.10.240/28 (L2 on eno1)");
  });

  it("names a chart's LoadBalancer Service with its address: Traefik's on the lan example", { skip: HELM_SKIP }, async () => {
    const run = await planOf("lan");
    const { objects } = planCharts(run, readStackFile(join(ROOT, "Pulumi.lan.yaml"), SECRET_KEYS));
    assert.equal(
      await loadBalancerLine(run, objects),
      "load balancer: MetalLB, pool lan 192.168.10.240/28 (L2 on eno1), traefik/traefik at 192.168.10.240",
    );
  });

  it("names Cilium's LB-IPAM pool on the home example, and Hetzner's ports on prod", async () => {
    assert.equal(
      await loadBalancerLine(await planOf("home")),
      "load balancer: Cilium LB-IPAM, pool k3s-sites 192.168.1.240/28, L2 announcements, nginx-ingress/nginx-ingress at an address from the pools",
    );
    assert.equal(
      await loadBalancerLine(await planOf("prod")),
      "load balancer: lb21 in fsn1, public 198.51.100.94 (placeholder), 2001:db8:bc89d::1 (placeholder); ports " +
        "80->80 http (PROXY protocol), 443->443 https (PROXY protocol), 25->25 smtp (PROXY protocol), " +
        "465->465 submissions (PROXY protocol), 587->587 submission (PROXY protocol), 993->993 imaps (PROXY protocol)",
    );
  });

  it("says none on a home site without one", async () => {
    const raw = sshSections();
    raw.cni = { plugin: "canal" };
    assert.equal(await loadBalancerLine(await planOfSections(raw)), "load balancer: none");
  });

  it("lists BGP pools with their peers, and a pool nothing announces", () => {
    const pool = (name: string, addresses: string[]) => ({ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name }, spec: { addresses } });
    const line = lanLoadBalancer([
      pool("routed", ["10.10.0.0/28", "fd00:10::/124"]),
      pool("spare", ["192.168.1.250-192.168.1.254"]),
      { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: { name: "routed" }, spec: { ipAddressPools: ["routed"] } },
      { apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", metadata: { name: "router" }, spec: { peerAddress: "192.168.1.1", peerASN: 64501, myASN: 64512 } },
    ]);
    assert.equal(line, "MetalLB, pool routed 10.10.0.0/28 fd00:10::/124 (BGP to router 192.168.1.1 AS 64501), pool spare 192.168.1.250-192.168.1.254 (not announced)");
    assert.equal(lanLoadBalancer([]), undefined);
  });
});

describe("the plan summary's checks not run here", () => {
  it("says which check cannot be truthful on the site and why, and says nothing where every check runs", async () => {
    // The home example with one host: nginx's LoadBalancer address has no other node to be seen from.
    const raw = exampleSections("home") as Record<string, any>;
    raw.site = { ...raw.site, hosts: [raw.site.hosts[0]] };
    const lines = summarize(await planOfSections(raw), {}).split("\n").filter((l) => l.startsWith("check not run here"));
    assert.deepEqual(lines, [
      "check not run here: edge announcement: Cilium (1.19 and later, the pinned 1.20 included) drops a connection to a LoadBalancer address on a port the Service does not define, perhaps before any ARP or NDP request leaves the node, so a probe from a node cannot show the announcement truthfully: check it from a LAN host (arping <address>)",
      "check not run here: policies app rule: the site declares no app (networkPolicies.apps)",
    ]);
    // The home example (Cilium) runs every check but the announcement and the app rule (it declares no app); the
    // prod example runs them all.
    const home = await planOf("home");
    assert.deepEqual(summarize(home, renderFiles(home)).split("\n").filter((l) => l.startsWith("check not run here")), [
      "check not run here: edge announcement: Cilium (1.19 and later, the pinned 1.20 included) drops a connection to a LoadBalancer address on a port the Service does not define, perhaps before any ARP or NDP request leaves the node, so a probe from a node cannot show the announcement truthfully: check it from a LAN host (arping <address>)",
      "check not run here: policies app rule: the site declares no app (networkPolicies.apps)",
    ]);
    const prod = await planOf("prod");
    assert.deepEqual(summarize(prod, renderFiles(prod)).split("\n").filter((l) => l.startsWith("check not run here")), []);
  });
});

describe("the files a plan writes", () => {
  it("are each made when first read: reading outputs.json writes no manifest to YAML, and every file is listed", async () => {
    const run = await planOf("prod");
    const files = renderFiles(run);
    const pending = (path: string) => typeof Object.getOwnPropertyDescriptor(files, path)?.get === "function";
    assert.deepEqual(Object.keys(files).slice(0, 4), ["resources.json", "manifests.yaml", "charts.yaml", "outputs.json"]);
    assert.ok(Object.keys(files).includes("nodes/control-1.sh"));
    assert.deepEqual(JSON.parse(files["outputs.json"]!), run.outputs);
    assert.ok(!pending("outputs.json"));
    assert.ok(pending("manifests.yaml") && pending("charts.yaml") && pending("resources.json"));
    // Read, a file is the same text each time; set, it holds what was set.
    const manifests = files["manifests.yaml"]!;
    assert.match(manifests, /^kind: /m);
    assert.equal(files["manifests.yaml"], manifests);
    files["charts.yaml"] = "edited";
    assert.equal(files["charts.yaml"], "edited");
    assert.equal(Object.entries(files).length, Object.keys(files).length);
  });
});
