/** The plan summary's site: nodes, firewall rules with their sources, and what the internet reaches. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressMarks } from "../../../plan/summary/addresses";
import { exposureLines, firewallLines, nodeLines } from "../../../plan/summary/site";
import { hetznerSections } from "../../helpers";
import { planOf, planOfSections } from "../run";

describe("the plan summary's site", () => {
  it("lists the prod example's servers with role, type, architecture and location, its firewall's rules and its exposure", async () => {
    const run = await planOf("prod");
    const marks = new AddressMarks();
    assert.deepEqual(nodeLines(run, marks), [
      "nodes: 5 servers at Hetzner in fsn1",
      "  control-1  control plane  cpx22  x86 (amd64)  fsn1  private 10.0.116.10  public 198.51.100.130 (placeholder), 2001:db8:a1c21::1 (placeholder)",
      "  control-2  control plane  cpx22  x86 (amd64)  fsn1  private 10.0.116.11  public 198.51.100.13 (placeholder), 2001:db8:507e8::1 (placeholder)",
      "  control-3  control plane  cpx22  x86 (amd64)  fsn1  private 10.0.116.12  public 198.51.100.136 (placeholder), 2001:db8:1a33b::1 (placeholder)",
      "  worker-1  agent  cpx22  x86 (amd64)  fsn1  private 10.0.243.10  public 198.51.100.41 (placeholder), 2001:db8:130c2::1 (placeholder)",
      "  worker-2  agent  cpx22  x86 (amd64)  fsn1  private 10.0.243.11  public 198.51.100.172 (placeholder), 2001:db8:4956f::1 (placeholder)",
    ]);
    assert.deepEqual(firewallLines(run, marks), [
      "firewall prod on every server labelled k3s-sites/site=prod: 3 inbound rules, everything else dropped",
      "  in TCP 22 (SSH from the operators) from 203.0.113.7/32 (example), 2001:db8:1234::/48 (example)",
      "  in TCP 6443 (Kubernetes API from the operators) from 203.0.113.7/32 (example), 2001:db8:1234::/48 (example)",
      "  in ICMP (ping, path MTU discovery) from anywhere",
    ]);
    assert.deepEqual(exposureLines(run, marks, undefined), [
      "reachable from the internet:",
      "  from anyone: TCP 80, 443, 25, 465, 587, 993 on the load balancer, forwarded to every node over the private network",
      "  from anyone: ICMP (ping, path MTU discovery) on every server",
      "  only from 203.0.113.7/32 (example), 2001:db8:1234::/48 (example): TCP 22 (SSH from the operators), TCP 6443 (Kubernetes API from the operators) on every server",
      "  nothing else: the firewall drops every other inbound connection to the servers",
    ]);
  });

  it("names arm64 servers, nodes without public IPv4, and a site that lets the world at SSH", async () => {
    const raw = hetznerSections();
    raw.site.pools = [{ name: "arm", role: "server", count: 1, serverType: "cax11" }];
    raw.site.publicIpv4 = false;
    raw.site.network = { natGateway: "10.0.0.2" };
    raw.site.operatorCidrs = ["0.0.0.0/0", "::/0"];
    raw.site.allowWorld = true;
    raw.site.allowIcmp = false;
    const run = await planOfSections(raw);
    const marks = new AddressMarks();
    assert.match(nodeLines(run, marks)[1]!, /^ {2}arm-1 {2}control plane {2}cax11 {2}Arm \(arm64\) {2}fsn1 {2}private \S+ {2}public 2001:db8:\S+ \(placeholder\)$/);
    assert.deepEqual(exposureLines(run, marks, undefined).slice(2), [
      "  from anyone: TCP 22 (SSH from the operators), TCP 6443 (Kubernetes API from the operators) on every server",
      "  nothing else: the firewall drops every other inbound connection to the servers",
    ]);
  });

  it("says a home site opens nothing to the internet, and marks a documentation address of the stack file", async () => {
    const run = await planOf("multisite");
    const marks = new AddressMarks();
    assert.deepEqual(nodeLines(run, marks), [
      "nodes: 4 of your hosts, reached over SSH",
      "  nuc  control plane  x86 (amd64)  private 10.20.1.10  ssh 10.20.1.10",
      "  pi  agent  Arm (arm64)  private 10.20.1.21  ssh 10.20.1.21",
      "  mini  agent  x86 (amd64)  private 10.20.2.10  ssh 10.20.2.10",
      "  vps-1  agent  x86 (amd64)  private 10.20.3.10  ssh 203.0.113.10 (example)",
    ]);
    assert.deepEqual(firewallLines(run, marks), []);
    assert.deepEqual(exposureLines(run, marks, "MetalLB, pool lan 192.168.10.240/28"), [
      "reachable from the internet: nothing k3s-sites opens. Your hosts sit behind your own router and firewall; what",
      "  they forward is yours to decide. On the LAN: the ingress controller's ports 80 and 443, on every node or at its load-balancer address (above)",
    ]);
  });
});
