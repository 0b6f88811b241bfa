/**
 * The site as a person checks it before `pulumi up`: its nodes (type, location, architecture), the firewall's rules
 * with their sources, the load balancer's ports, and what the internet can reach, said plainly. Read from the
 * resources the run registered and its stack outputs, the same values `pulumi up` would send.
 */
import type { ProgramRun, RecordedResource } from "../engine";
import { serverType } from "../../src/hetzner/types";
import type { AddressMarks } from "./addresses";
import type { NodeOutput } from "../../src/cluster/nodes";

interface FirewallRule {
  direction?: string;
  protocol?: string;
  port?: string;
  sourceIps?: string[];
  description?: string;
}

interface LoadBalancerOutput {
  ipv4?: string;
  ipv6?: string;
  ports?: { listenPort: number; destinationPort: number; name?: string; proxyProtocol: boolean }[];
}

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function nodesOf(run: ProgramRun): NodeOutput[] {
  return Array.isArray(run.outputs.nodes) ? (run.outputs.nodes as NodeOutput[]) : [];
}

/** x86 or Arm, as Hetzner and the hosts' owners say it, with Kubernetes' name. */
function archWords(arch: string | undefined): string {
  return arch === "arm64" ? "Arm (arm64)" : arch === "amd64" ? "x86 (amd64)" : `${arch}`;
}

/** One line per node: on Hetzner with its server type and location, at home with how SSH reaches it. */
export function nodeLines(run: ProgramRun, marks: AddressMarks): string[] {
  const nodes = nodesOf(run);
  const servers = ofType(run, "hcloud:index/server:Server");
  if (servers.length > 0) {
    const byIp = new Map(servers.map((s) => [(s.inputs.networks as { ip?: string }[] | undefined)?.[0]?.ip, s]));
    const locations = [...new Set(servers.map((s) => String(s.inputs.location)))].join(", ");
    const lines = [`nodes: ${nodes.length} servers at Hetzner in ${locations}`];
    for (const n of nodes) {
      const s = byIp.get(n.privateIp);
      const type = String(s?.inputs.serverType ?? "?");
      const arch = serverType(type)?.arch ?? n.arch;
      const pub = [n.publicIpv4, n.publicIpv6].filter((a): a is string => Boolean(a)).map((a) => marks.assigned(a));
      lines.push(
        `  ${n.name}  ${n.role === "server" ? "control plane" : "agent"}  ${type}  ${archWords(arch)}  ${s?.inputs.location ?? "?"}` +
          `  private ${n.privateIp}${pub.length > 0 ? `  public ${pub.join(", ")}` : "  no public IPv4"}`,
      );
    }
    return lines;
  }
  const lines = [`nodes: ${nodes.length} of your hosts, reached over SSH`];
  for (const n of nodes) {
    lines.push(
      `  ${n.name}  ${n.role === "server" ? "control plane" : "agent"}  ${archWords(n.arch)}  private ${marks.config(String(n.privateIp))}` +
        `  ssh ${marks.config(String(n.sshAddress))}`,
    );
  }
  return lines;
}

function ruleWhat(rule: FirewallRule): string {
  const what = `${rule.protocol?.toUpperCase()}${rule.port ? ` ${rule.port}` : ""}`;
  if (!rule.description) return what;
  return rule.description.toUpperCase().startsWith(what) ? rule.description : `${what} (${rule.description})`;
}

function sourcesOf(rule: FirewallRule, marks: AddressMarks): string {
  const sources = rule.sourceIps ?? [];
  if (sources.some((s) => WORLD.has(s))) return "anywhere";
  return sources.map((s) => marks.config(s)).join(", ");
}

/** Each firewall with what it applies to, and each rule with its sources. */
export function firewallLines(run: ProgramRun, marks: AddressMarks): string[] {
  const lines: string[] = [];
  for (const fw of ofType(run, "hcloud:index/firewall:Firewall")) {
    const to = ((fw.inputs.applyTos as { labelSelector?: string }[] | undefined) ?? []).map((a) => a.labelSelector).join(", ");
    const rules = (fw.inputs.rules as FirewallRule[] | undefined) ?? [];
    lines.push(`firewall ${fw.inputs.name} on every server labelled ${to}: ${rules.length} inbound rules, everything else dropped`);
    for (const rule of rules) lines.push(`  ${rule.direction} ${ruleWhat(rule)} from ${sourcesOf(rule, marks)}`);
  }
  return lines;
}

function hetznerLoadBalancer(run: ProgramRun): { type: string; location: string; out: LoadBalancerOutput } | undefined {
  const lb = ofType(run, "hcloud:index/loadBalancer:LoadBalancer")[0];
  if (!lb) return undefined;
  return { type: String(lb.inputs.loadBalancerType), location: String(lb.inputs.location), out: (run.outputs.loadBalancer ?? {}) as LoadBalancerOutput };
}

/** Hetzner's load balancer: its type, public addresses and every port it forwards. */
export function hetznerLoadBalancerLine(run: ProgramRun, marks: AddressMarks): string | undefined {
  const lb = hetznerLoadBalancer(run);
  if (!lb) return undefined;
  const pub = [lb.out.ipv4, lb.out.ipv6].filter((a): a is string => Boolean(a)).map((a) => marks.assigned(a));
  const ports = (lb.out.ports ?? []).map(
    (p) => `${p.listenPort}->${p.destinationPort}${p.name ? ` ${p.name}` : ""}${p.proxyProtocol ? " (PROXY protocol)" : ""}`,
  );
  return `load balancer: ${lb.type} in ${lb.location}, public ${pub.join(", ")}; ports ${ports.join(", ")}`;
}

/**
 * What the internet reaches, plainly. On Hetzner: the load balancer's ports from anyone, the firewall's rules by
 * source, nothing else. At home: nothing k3s-sites opens; what the LAN reaches.
 */
export function exposureLines(run: ProgramRun, marks: AddressMarks, lanLoadBalancer: string | undefined): string[] {
  const lb = hetznerLoadBalancer(run);
  const firewalls = ofType(run, "hcloud:index/firewall:Firewall");
  if (!lb && firewalls.length === 0) {
    return [
      "reachable from the internet: nothing k3s-sites opens. Your hosts sit behind your own router and firewall; what",
      `  they forward is yours to decide. On the LAN: the ingress controller's ports 80 and 443${lanLoadBalancer ? ", on every node or at its load-balancer address (above)" : " on every node"}`,
    ];
  }
  const lines = ["reachable from the internet:"];
  if (lb) {
    const ports = (lb.out.ports ?? []).map((p) => p.listenPort).join(", ");
    lines.push(`  from anyone: TCP ${ports} on the load balancer, forwarded to every node over the private network`);
  }
  const bySource = new Map<string, string[]>();
  for (const fw of firewalls) {
    for (const rule of (fw.inputs.rules as FirewallRule[] | undefined) ?? []) {
      if (rule.direction !== "in") continue;
      const from = sourcesOf(rule, marks);
      bySource.set(from, [...(bySource.get(from) ?? []), ruleWhat(rule)]);
    }
  }
  // The world first: it is what a person looks for.
  for (const [from, what] of [...bySource].sort(([a], [b]) => Number(b === "anywhere") - Number(a === "anywhere"))) {
    lines.push(`  ${from === "anywhere" ? "from anyone" : `only from ${from}`}: ${what.join(", ")} on every server`);
  }
  lines.push("  nothing else: the firewall drops every other inbound connection to the servers");
  return lines;
}
