/**
 * What the previous deployment protected, so that a run which would delete a protected resource is refused before
 * anything changes, with the steps that work.
 *
 * `site.protect` sets Pulumi's `protect` option and Hetzner's delete (and rebuild) protection on the control-plane
 * servers, and protects the network and its subnets. A resource that is gone from the program keeps the protect flag
 * its state records: Pulumi refuses to delete a protected resource (pulumi/pulumi pkg/resource/deploy/step.go,
 * DeleteStep.Apply fails with deleteProtectedError when the old state is protected), and a run that drops the server from the
 * config can no longer lift it, whatever `site.protect` says in that run. Hetzner refuses to delete a server with
 * delete protection as well. So a protected server (or a pool's subnet) leaves in two runs: first one with
 * `site.protect: false` while it is still in the config, which updates both protections in place, then the removal.
 */
import type { Problem } from "../config/problems";
import { isHetzner, type SiteConfig } from "../config/site";

/** The stack output that records what the deployment protected. */
export const PROTECTED_OUTPUT = "protected";

export interface ProtectedRecord {
  /** The servers protected in Pulumi and by Hetzner's delete protection. */
  readonly servers: readonly string[];
  /** The pools whose subnet is protected. */
  readonly pools: readonly string[];
}

/** What this run protects. Home sites protect nothing (their hosts are not Pulumi resources). */
export function protectedOf(config: SiteConfig): ProtectedRecord {
  if (!isHetzner(config.site) || !config.site.protect) return { servers: [], pools: [] };
  return {
    servers: config.nodes.filter((n) => n.role === "server").map((n) => n.name),
    pools: config.site.pools.map((p) => p.name),
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Refuses a run that removes a server, or a pool, that the previous deployment protected. `previous` is that
 * deployment's record (undefined before one was recorded: Pulumi's own refusal, in the preview, is then the guard).
 */
export function checkProtectedRemovals(config: SiteConfig, previous: unknown): Problem[] {
  if (!isHetzner(config.site) || previous === null || typeof previous !== "object") return [];
  const record = previous as { servers?: unknown; pools?: unknown };
  const nodes = new Set(config.nodes.map((n) => n.name));
  const pools = new Set(config.site.pools.map((p) => p.name));
  const servers = strings(record.servers).filter((s) => !nodes.has(s));
  const subnets = strings(record.pools).filter((p) => !pools.has(p));
  if (servers.length === 0 && subnets.length === 0) return [];
  const what = [
    ...(servers.length > 0 ? [`${servers.length === 1 ? "server" : "servers"} ${servers.join(", ")}`] : []),
    ...(subnets.length > 0 ? [`the subnet of ${subnets.length === 1 ? "pool" : "pools"} ${subnets.join(", ")}`] : []),
  ].join(" and ");
  const keep = [
    ...(servers.length > 0 ? [servers.join(", ")] : []),
    ...(subnets.length > 0 ? [`${subnets.length === 1 ? "pool" : "pools"} ${subnets.join(", ")}`] : []),
  ].join(" and ");
  return [
    {
      path: "site.pools",
      message:
        `would delete ${what}, which the previous deployment protected (site.protect: true, in Pulumi and at ` +
        `Hetzner): a resource gone from the config keeps the protection its state records, and Pulumi and Hetzner ` +
        `refuse to delete it. Remove ${servers.length + subnets.length === 1 ? "it" : "them"} in two runs: first pulumi up with site.protect: false and ${keep} still in ` +
        `site.pools (this lifts both protections in place and changes nothing else), then remove ${servers.length + subnets.length === 1 ? "it" : "them"} ` +
        `in the next run, in which site.protect may be true again`,
    },
  ];
}
