/**
 * Generated sites for the benchmark: the example stacks, grown to a given number of nodes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { LOAD_BALANCER_TYPES } from "../../src/hetzner/types";

type Doc = { config: Record<string, any> };

function example(root: string, stack: "prod" | "home"): Doc {
  return parse(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as Doc;
}

/** Pulumi.prod.yaml with 3 control-plane servers and `nodes - 3` agents (at least one agent). */
export function hetznerSite(root: string, nodes: number): string {
  if (!Number.isInteger(nodes) || nodes < 4) throw new Error(`a generated Hetzner site needs at least 4 nodes, got ${nodes}`);
  const doc = example(root, "prod");
  const site = doc.config["k3s-sites:site"];
  site.pools = [
    { name: "control", role: "server", count: 3, serverType: "cpx22" },
    { name: "worker", role: "agent", count: nodes - 3, serverType: "cpx22" },
  ];
  // The load balancer targets every server and forwards 80, 443 and the example's ports: the smallest type that
  // holds them (src/hetzner/types.ts).
  const services = 2 + ((site.loadBalancer?.services as unknown[] | undefined)?.length ?? 0);
  const fits = LOAD_BALANCER_TYPES.find((t) => t.targets >= nodes && t.services >= services);
  if (!fits) throw new Error(`no load-balancer type holds ${nodes} targets`);
  site.loadBalancer = { ...(site.loadBalancer ?? {}), type: fits.name };
  return stringify(doc);
}

/** Pulumi.home.yaml with `hosts` machines on one /24: 3 servers, the rest agents. */
export function homeSite(root: string, hosts: number): string {
  if (!Number.isInteger(hosts) || hosts < 4 || hosts > 200) {
    throw new Error(`a generated home site has 4 to 200 hosts, got ${hosts}`);
  }
  const doc = example(root, "home");
  const site = doc.config["k3s-sites:site"];
  site.hosts = Array.from({ length: hosts }, (_, i) => {
    const octet = 10 + i;
    return {
      name: `host-${i + 1}`,
      address: `192.168.1.${octet}`,
      privateIp: `192.168.1.${octet}`,
      privateIpv6: `fd00:1::${octet.toString(16)}`,
      role: i < 3 ? "server" : "agent",
      arch: i % 2 === 0 ? "amd64" : "arm64",
      user: "admin",
    };
  });
  return stringify(doc);
}

export interface BenchSite {
  /** The stack name, also the stack file's: `Pulumi.<name>.yaml`. */
  readonly name: string;
  readonly kind: "hetzner" | "ssh";
  readonly nodes: number;
  readonly yaml: (root: string) => string;
}

export const BENCH_SITES: readonly BenchSite[] = [
  ...[6, 50, 100].map(
    (n): BenchSite => ({ name: `hetzner-${n}`, kind: "hetzner", nodes: n, yaml: (root) => hetznerSite(root, n) }),
  ),
  { name: "home-50", kind: "ssh", nodes: 50, yaml: (root) => homeSite(root, 50) },
];
