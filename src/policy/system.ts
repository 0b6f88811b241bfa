/**
 * What every concern's system policies share once every managed namespace denies all traffic: the baseline of a
 * namespace (default-deny, DNS), the API server's peers, the internet. Each concern's own policies are in its folder
 * (its `policies` hooks, src/concerns/contract.ts); app traffic is in network-policies.ts.
 *
 * Where the traffic comes from, and why some of it needs no rule:
 *
 * - Kubelet probes need no rule with either CNI. They come from the pod's own node, and "traffic to and from the
 *   node where a Pod is running is always allowed" (kubernetes.io, Network Policies). Calico does not police
 *   host-to-local-workload traffic at all (felix/rules/static.go, filterOutputChain: "We don't currently police
 *   host -> endpoint according to the endpoint's ingress policy"); Cilium lets the local host in unless the agent
 *   runs with --allow-localhost=policy (docs.cilium.io, Policy language, "Access to/from local host"; the chart keeps
 *   the default). The same holds for the API server calling a webhook pod on its own node.
 * - The Kubernetes API is reached through the `kubernetes` Service (ClusterIP, port 443), but both CNIs apply egress
 *   policy after the Service's address is translated: kube-proxy (Canal) DNATs in the nat table's PREROUTING, before
 *   Calico's filter chains; Cilium applies "Layer 4 policies ... to ports after service port mapping has been
 *   applied" (Policy language, "Layer 4 Examples"). The endpoints are the servers' advertise-address, their private
 *   IP (src/k3s/config.ts), on 6443. So the rule names each server's private IP on 6443, and no ClusterIP rule is
 *   needed.
 * - Cilium: ipBlock peers match no node unless Cilium runs with `policyCIDRMatchMode: [nodes]` ("By default,
 *   CIDR-based selectors do not match in-cluster entities (pods or nodes)", Policy language, "Selecting nodes with
 *   CIDR / ipBlock"). The rules below that name servers need that value on Cilium sites.
 */
import { API_PORT } from "../hetzner/model";
import { clusterRanges } from "../net/ranges";
import type { SiteConfig } from "../config/site";
import { DNS_RULE, ipBlock, networkPolicy, tcp, type EgressRule, type NetworkPolicy, type PolicyPeer } from "./objects";

/** Every server's private IP: where the API server listens (6443) and where it calls webhooks from. */
export function apiServerPeers(config: SiteConfig): PolicyPeer[] {
  return config.nodes.filter((n) => n.role === "server").map((n) => ipBlock(`${n.privateIp}/32`));
}

/** Egress to the Kubernetes API, post-DNAT (see the file comment). */
export function apiServerRule(config: SiteConfig): EgressRule {
  return { to: apiServerPeers(config), ports: [tcp(API_PORT)] };
}

/** Names of the two policies every managed namespace gets. */
export const BASELINE_POLICY_NAMES = { defaultDeny: "default-deny", dns: "allow-dns" } as const;

/** Default-deny both ways, and DNS, for every pod of a managed namespace. */
export function namespaceBaseline(namespace: string): NetworkPolicy[] {
  return [
    networkPolicy(namespace, BASELINE_POLICY_NAMES.defaultDeny, {}, { ingress: [], egress: [] }),
    networkPolicy(namespace, BASELINE_POLICY_NAMES.dns, {}, { egress: [DNS_RULE] }),
  ];
}

/** Everything on the internet except the cluster's own pod and Service ranges, in both families. */
export function internet(config: SiteConfig): PolicyPeer[] {
  const own = clusterRanges(config).filter((r) => r.kind !== "nodes");
  const of = (version: 4 | 6): string[] => own.filter((r) => r.cidr.version === version).map((r) => r.text);
  return [ipBlock("0.0.0.0/0", of(4)), ipBlock("::/0", of(6))];
}
