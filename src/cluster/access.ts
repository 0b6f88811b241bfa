/**
 * How the program reaches each node over SSH, recorded from one deployment to the next, so that a run can tell when
 * a removal would dial with a connection the same run makes stale.
 *
 * A node's removal is the delete of its membership command, and Pulumi runs a delete with the inputs the state holds
 * for it (@pulumi/command 1.2.1, provider/pkg/provider/remote/commandController.go: Delete reads the old state's
 * connection): the connection to the server the removal runs on, with the key and address of the previous
 * deployment. A run that also changes that key (the node scripts then drop the old one from authorized_keys) or that
 * address (site.publicIpv4 turned off takes the servers' IPv4 away; a home host's ssh settings) leaves the removal
 * unable to connect, on that run and on every retry. Such a run is refused before any resource; the fix is to
 * change the connection in one run and remove the node in the next.
 *
 * The program sees only the previous deployment's stack outputs (program/previous-deployment.ts), never its state.
 * A removal whose delete fails leaves its membership command in the state, but every registration had finished, so
 * Pulumi saves the run's outputs (plan/failure.ts): a record without the node. The record therefore names the nodes
 * a run removed as `leaving`, and the next run treats them as removed too: a retry that changes the connection is
 * refused. A run that removes nothing and changes no connection the removals use records none; it retried their
 * deletes with the connection they were stored with (an earlier run changing it was refused).
 */
import { createHash } from "node:crypto";
import type { Problem } from "../config/problems";
import { isHetzner, type NodeSpec, type SiteConfig } from "../config/site";
import { publicKeyOfPrivateKey } from "../k3s/ssh-key";
import type { ClusterMembers } from "./membership";

/** The stack output that records how the nodes are reached. */
export const SSH_ACCESS_OUTPUT = "sshAccess";

export interface SshAccess {
  /**
   * Which key the program connects with: its public half (OpenSSH keys), else a SHA-256 digest of the key text; null
   * when no key is known.
   */
  readonly key: string | null;
  /** How each node is reached, by node name: user, address (or, on Hetzner, which public address) and jump host. */
  readonly endpoints: Readonly<Record<string, string>>;
  /**
   * Nodes this run removes, or an earlier one removed while this run removes others: their deletes may not have
   * finished (a failed delete leaves the membership command in the state, with the connection stored then).
   */
  readonly leaving: readonly string[];
}

function endpointOf(config: SiteConfig, node: NodeSpec): string {
  if (isHetzner(config.site)) return `root@public ${config.site.publicIpv4 ? "IPv4" : "IPv6"}`;
  const ssh = node.ssh;
  if (!ssh) return "";
  const jump = ssh.jumpHost ? ` via ${ssh.jumpHost.user}@${ssh.jumpHost.address}:${ssh.jumpHost.port}` : "";
  return `${ssh.user}@${ssh.address}:${ssh.port}${jump}`;
}

/**
 * This run's record; `privateKey` is the key the program connects with (undefined when it cannot be read),
 * `previous` the previous deployment's record (undefined before one recorded it).
 */
export function sshAccessOf(config: SiteConfig, privateKey: string | undefined, previous?: unknown): SshAccess {
  const key =
    privateKey === undefined
      ? null
      : (publicKeyOfPrivateKey(privateKey) ?? `sha256:${createHash("sha256").update(privateKey).digest("hex")}`);
  const before = recordOf(previous);
  const names = new Set(config.nodes.map((n) => n.name));
  const removed = Object.keys(before?.endpoints ?? {}).filter((n) => !names.has(n));
  const still = removed.length > 0 ? (before?.leaving ?? []).filter((n) => !names.has(n)) : [];
  return {
    key,
    endpoints: Object.fromEntries(config.nodes.map((n) => [n.name, endpointOf(config, n)])),
    leaving: [...new Set([...still, ...removed])].sort(),
  };
}

function recordOf(value: unknown): SshAccess | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { key?: unknown; endpoints?: unknown };
  if (v.endpoints === null || typeof v.endpoints !== "object") return undefined;
  const endpoints = Object.fromEntries(
    Object.entries(v.endpoints as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
  const leaving = Array.isArray((v as { leaving?: unknown }).leaving)
    ? ((v as { leaving: unknown[] }).leaving.filter((n) => typeof n === "string") as string[])
    : [];
  return { key: typeof v.key === "string" ? v.key : null, endpoints, leaving };
}

/**
 * The nodes whose removal this run runs or may retry: those the previous deployment reached or recorded as servers,
 * and those its record lists as leaving, that the config no longer has.
 */
export function removedNodes(config: SiteConfig, members: ClusterMembers, previous: unknown): string[] {
  const before = recordOf(previous);
  const names = new Set(config.nodes.map((n) => n.name));
  const known = [...Object.keys(before?.endpoints ?? {}), ...(before?.leaving ?? []), ...members.previousServers];
  return [...new Set(known)].filter((n) => !names.has(n)).sort();
}

/**
 * Refuses a run that removes nodes while it changes the connection their removals run with (see the file's comment).
 * `previous` is the previous deployment's record (undefined before one recorded it: nothing to compare).
 */
export function checkRemovalAccess(config: SiteConfig, members: ClusterMembers, previous: unknown, current: SshAccess): Problem[] {
  const before = recordOf(previous);
  if (!before) return [];
  const names = new Set(config.nodes.map((n) => n.name));
  const removedNow = Object.keys(before.endpoints).filter((n) => !names.has(n));
  // Removed by the previous run, whose delete may have failed: a retry deletes them with the same stored connection.
  const stillLeaving = before.leaving.filter((n) => !names.has(n) && !removedNow.includes(n));
  const removed = [...removedNow, ...stillLeaving];
  if (removed.length === 0) return [];
  const join = members.previousJoin;
  // Where each removal runs, as the previous deployment stored it: the join server, and for the join server itself
  // the next server of the record (src/cluster/membership.ts, helperOf).
  const helperOf = (node: string) => (node === join ? members.previousServers.find((s) => s !== join) : (join ?? undefined));
  const helpers = [...new Set(removed.map(helperOf).filter((h): h is string => h !== undefined && names.has(h)))];
  if (helpers.length === 0) return [];
  const changes: string[] = [];
  if (before.key !== null && current.key !== null && before.key !== current.key) {
    changes.push("changes the SSH key the program connects with (k3s-sites:sshPrivateKey is a different key)");
  }
  for (const helper of helpers) {
    const was = before.endpoints[helper];
    const now = current.endpoints[helper];
    if (was === undefined || now === undefined || was === now) continue;
    const key = isHetzner(config.site) ? `site.publicIpv4 (now ${config.site.publicIpv4})` : `site.hosts ${helper} ssh`;
    changes.push(`changes how ${helper} is reached (${key}: ${was} -> ${now})`);
  }
  if (changes.length === 0) return [];
  const path = isHetzner(config.site) ? "site.pools" : "site.hosts";
  const problems: Problem[] = [];
  if (stillLeaving.length > 0) {
    problems.push({
      path,
      message:
        `${stillLeaving.join(", ")} ${stillLeaving.length > 1 ? "were" : "was"} removed by the previous run, which may ` +
        `not have finished (a failed delete keeps the membership command in Pulumi's state, and the stack output ` +
        `sshAccess lists ${stillLeaving.join(", ")} as leaving), and this run ${changes.join(" and ")}: a retry of that ` +
        `removal runs over SSH on ${helpers.join(" and ")} with the connection stored then, which this run makes stale. ` +
        `Run \`pulumi up\` once more without changing the connection (it finishes the removal, or finds it done), then ` +
        `change the connection in the run after`,
    });
  }
  if (removedNow.length === 0) return problems;
  return [
    ...problems,
    {
      path,
      message:
        `would remove ${removedNow.join(", ")} in the same run that ${changes.join(" and ")}: a removal runs over SSH on ` +
        `${helpers.join(" and ")} with the connection the previous deployment stored (Pulumi deletes with the inputs ` +
        `in its state), which this run makes stale, so it could not connect on this run or any retry. Change the ` +
        `connection in one run and remove the nodes in the next: keep ${removedNow.join(", ")} in ${path} for this run`,
    },
  ];
}
