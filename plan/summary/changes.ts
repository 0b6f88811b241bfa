/**
 * What a change does, for a person deciding whether to run `pulumi up`: the consequential steps first (servers
 * created, replaced or deleted, nodes drained), then the rest grouped, with routine replacements folded into one line
 * and names short. The full preview (plan/diff.ts renderDiff) follows it in the plan's output.
 */
import type { Action, PreviewDiff, Step } from "../diff";
import { TYPE } from "../../src/type-tokens";

const SERVER = "hcloud:index/server:Server";
const COMMAND = "command:remote:Command";
/** The node steps of src/k3s and components/k3s: `<cluster>-<step>-<node>`. */
const NODE_STEP = /-(node|membership|renew|drain|uncordon)-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

/** A resource's name without the component prefixes every name of the site carries. */
export function shortName(step: Pick<Step, "type" | "name">): string {
  if (step.type === SERVER) return step.name.replace(/^.*-server-/, "");
  const node = NODE_STEP.exec(step.name);
  if (step.type === COMMAND && node) return `${node[2]} ${node[1] === "node" ? "bootstrap" : node[1]}`;
  return step.name.replace(/^site-/, "").replace(/^(hetzner-lb|hetzner|k3s|verify|policies|cni|edge)-/, "");
}

function kindOf(type: string): string {
  if (type.startsWith("pulumi:providers:")) return `${type.slice("pulumi:providers:".length)} provider`;
  return type.split(":").pop()!;
}

function label(s: Step): string {
  return s.action === "replace" && s.deleteBeforeReplace ? "replace (delete first)" : s.action;
}

/** A check Job of the site: replaced whenever what it checks changes, by design (docs/checks.md). */
function isCheckJob(s: Step): boolean {
  return s.type === "kubernetes:batch/v1:Job" && s.urn.includes(`${TYPE.verify}$`);
}

function list(steps: readonly Step[]): string {
  return steps.map(shortName).join(", ");
}

/** The nodes of node steps, for lines that already say which step. */
function nodes(steps: readonly Step[]): string {
  return steps.map((s) => NODE_STEP.exec(s.name)?.[2] ?? shortName(s)).join(", ");
}

const ORDER: Action[] = ["create", "update", "replace", "delete", "same", "not-compared"];

export function changeLines(diff: PreviewDiff, against: string): string[] {
  const steps = diff.steps.filter((s) => s.action !== "same" && s.action !== "not-compared");
  const lines = [`what changes, against ${against}:`];
  if (steps.length === 0) lines.push("  nothing: pulumi up would leave every resource as it is");
  const taken = new Set<Step>();
  const take = (pick: (s: Step) => boolean) => {
    const found = steps.filter((s) => !taken.has(s) && pick(s));
    for (const s of found) taken.add(s);
    return found;
  };

  // Servers: what a person must not miss. A replaced or deleted server takes its disk with it.
  for (const action of ["delete", "replace", "create"] as const) {
    const servers = take((s) => s.type === SERVER && s.action === action);
    if (servers.length > 0) {
      const why = action === "create" ? "" : action === "delete" ? " (its disk goes with it)" : " (a new machine: its disk is lost)";
      lines.push(`  servers ${action === "create" ? "created" : action === "delete" ? "deleted" : "replaced"}: ${list(servers)}${why}`);
    }
  }
  const poweredOff = take((s) => s.type === SERVER && s.notes.some((n) => n.startsWith("powers the server off")));
  if (poweredOff.length > 0) lines.push(`  servers powered off and changed in place: ${list(poweredOff)}`);
  const protection = take((s) => s.type === SERVER);
  if (protection.length > 0) lines.push(`  servers updated in place: ${list(protection)}`);

  // Drains: a node leaving the site is drained and its Node deleted; an upgrade with k3s.upgrade.drain drains each.
  const leaving = take((s) => s.type === COMMAND && NODE_STEP.exec(s.name)?.[1] === "membership" && s.action === "delete");
  if (leaving.length > 0) lines.push(`  nodes leaving the cluster, each drained and its Node deleted first: ${nodes(leaving)}`);
  const drains = take((s) => s.type === COMMAND && NODE_STEP.exec(s.name)?.[1] === "drain" && s.action !== "delete");
  if (drains.length > 0) lines.push(`  nodes drained before their k3s changes: ${nodes(drains)}`);

  const gone = take((s) => s.type === COMMAND && NODE_STEP.exec(s.name)?.[1] === "node" && s.action === "delete");
  if (gone.length > 0) lines.push(`  bootstrap commands leave the stack (nothing runs; k3s stays on the host): ${nodes(gone)}`);

  // The rest that deletes or replaces, named: each is gone, or briefly gone, from the site.
  for (const s of take((s) => !isCheckJob(s) && (s.action === "delete" || s.action === "replace"))) {
    lines.push(`  ${label(s)} ${kindOf(s.type)} ${shortName(s)}`);
  }

  // Node scripts that run again on their hosts.
  const nodeRuns = take((s) => s.type === COMMAND && NODE_STEP.exec(s.name)?.[1] === "node" && s.action === "update");
  if (nodeRuns.length > 0) lines.push(`  k3s's node script runs again, in place, on: ${nodes(nodeRuns)}`);
  const renewals = take((s) => s.type === COMMAND && NODE_STEP.exec(s.name)?.[1] === "renew");
  if (renewals.length > 0) lines.push(`  certificates renewed (k3s restarts) on: ${nodes(renewals)}`);

  // Routine: the checks run again whenever what they check changes.
  const checks = take(isCheckJob);
  const rest = steps.filter((s) => !taken.has(s));
  const groups = new Map<string, Step[]>();
  for (const s of rest) groups.set(`${label(s)} ${kindOf(s.type)}`, [...(groups.get(`${label(s)} ${kindOf(s.type)}`) ?? []), s]);
  for (const [what, group] of groups) lines.push(`  ${what}: ${list(group)}`);
  if (checks.length > 0) lines.push(`  checks run again: ${checks.length} check Jobs replaced (routine: what they check changed)`);

  const counts = new Map<Action, number>();
  for (const s of diff.steps) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  lines.push(
    `  ${diff.steps.length} steps in the preview below (each object of a chart or manifest counts): ${ORDER.filter((a) => counts.has(a))
      .map((a) => `${counts.get(a)} to ${a === "same" ? "leave alone" : a === "not-compared" ? "not compare" : a}`)
      .join(", ")}`,
  );
  for (const e of diff.errors) lines.push(`  refused: ${e.split("\n")[0]}`);
  return lines;
}
