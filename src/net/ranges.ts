/**
 * The cluster's own address ranges, each with the config key that sets it: the one list every rule that compares a
 * range with the cluster's (overlaps, policies that can never match, router prefixes) reads, so that a new range is
 * added once. Load-balancer pools are a concern's, not listed here.
 */
import { parseCidr, type Cidr } from "./cidr";
import type { SiteConfig } from "../config/site";

export type ClusterRangeKind = "pods" | "services" | "nodes";

export interface ClusterRange {
  /** The config key that sets it, for messages: `k3s.clusterCidr`. */
  readonly path: string;
  /** As written. */
  readonly text: string;
  readonly cidr: Cidr;
  readonly kind: ClusterRangeKind;
}

/**
 * Pods and services, IPv4 then IPv6 where set, then the node network. A range that does not parse is left out: the
 * schema reports it.
 */
export function clusterRanges(config: Pick<SiteConfig, "k3s" | "nodeCidr">): ClusterRange[] {
  const { k3s } = config;
  const ranges: [string, string | undefined, ClusterRangeKind][] = [
    ["k3s.clusterCidr", k3s.clusterCidr, "pods"],
    ["k3s.serviceCidr", k3s.serviceCidr, "services"],
    ["k3s.clusterCidrV6", k3s.clusterCidrV6, "pods"],
    ["k3s.serviceCidrV6", k3s.serviceCidrV6, "services"],
    ["site.network.cidr", config.nodeCidr, "nodes"],
  ];
  return ranges.flatMap(([path, text, kind]) => {
    const cidr = text === undefined ? undefined : parseCidr(text);
    return cidr ? [{ path, text: text!, cidr, kind }] : [];
  });
}
