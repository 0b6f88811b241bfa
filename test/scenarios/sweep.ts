/**
 * The failure sweep: a day-2 change planned against its previous deployment, then each of its steps failed in turn
 * (plan/failure.ts), and the retry planned from the state each failure leaves, the way
 * `npm run plan -- --fail <resource>` and then `--previous <failed-state>` do.
 *
 * The program reads nothing of the previous deployment but its stack outputs (the StackReference), so a retry's run
 * depends on the failed state's outputs only: one program run per distinct outputs, and none when the failure kept
 * the outputs the change was planned with (the retry's run is then the change's own run). The state itself differs
 * per failure, and each retry's preview is diffed against its own state.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { isStep } from "../../plan/deploy-model";
import { diffStates, type PreviewDiff, type Step } from "../../plan/diff";
import { isSecretValue, previousFromPlanFiles, stateOfRun, type PreviousState, type StateResource } from "../../plan/diff-state";
import { readStackFile, type ProgramRun } from "../../plan/engine";
import { failUpdate, type FailedUpdate } from "../../plan/failure";
import { planFilesOfState } from "../../plan/failure-files";
import { deleteAntichains } from "../../plan/failure-order";
import { renderFiles } from "../../plan/render";
import { SECRET_KEYS } from "../../src/config/secrets";
import { ROOT } from "../helpers";
import { cachedRun } from "../support/plan-cache";
import type { StackConfig } from "./harness";

export interface SweepCase {
  readonly id: string;
  readonly stack: "prod" | "home";
  /** The deployment the change starts from; undefined for a first `pulumi up`. */
  readonly before?: () => StackConfig;
  /** Edits of the previous deployment's stack outputs (a certificate near its expiry). */
  readonly beforeOutputs?: (outputs: Record<string, unknown>) => void;
  readonly after: () => StackConfig;
  /**
   * Encrypted config values the change sets anew. Offline every `secure:` value stands in as `<secret:key>`, the
   * same before and after; a rotated key gets a placeholder of its own here, so that a connection made with the
   * old key differs from one made with the new.
   */
  readonly newSecrets?: Readonly<Record<string, string>>;
  /** A change the program may refuse before any resource instead (two changes that cannot share a run): the message. */
  readonly refusable?: RegExp;
  /**
   * For a removal: a change of the connection its delete runs with. A retry of a failed removal that also makes this
   * change must be refused with this message (the state still holds the removal, with the old connection).
   */
  readonly connectionChange?: {
    readonly edit: (c: StackConfig) => void;
    readonly newSecrets?: Readonly<Record<string, string>>;
    readonly refused: RegExp;
  };
}

const planned = new Map<string, Promise<ProgramRun>>();

/**
 * One run of the program on a stack config, with these previous outputs; shared by every case that asks for the
 * same (a first up's run is the previous deployment of the changes to the same example).
 */
export function planWith(
  c: SweepCase,
  config: StackConfig,
  previousOutputs?: Record<string, unknown>,
  secrets: Readonly<Record<string, string>> = {},
): Promise<ProgramRun> {
  const key = JSON.stringify([c.stack, config, previousOutputs ?? {}, secrets]);
  if (!planned.has(key)) planned.set(key, runOnce(c, config, previousOutputs, secrets));
  return planned.get(key)!;
}

/** Program runs this module made: the sweep reports them. */
export const programRuns = () => planned.size;

async function runOnce(
  c: SweepCase,
  config: StackConfig,
  previousOutputs?: Record<string, unknown>,
  secrets: Readonly<Record<string, string>> = {},
): Promise<ProgramRun> {
  const dir = mkdtempSync(join(tmpdir(), "sweep-"));
  try {
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, `Pulumi.${c.stack}.yaml`), stringify({ config }));
    const stackFile = readStackFile(join(dir, `Pulumi.${c.stack}.yaml`), SECRET_KEYS);
    const withSecrets = { ...stackFile, config: { ...stackFile.config, ...secrets } };
    return await cachedRun(withSecrets, previousOutputs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A state through the files `--fail` writes and `--previous` reads (test/plan/failure.test.ts: the same state). */
export function throughFiles(state: PreviousState): PreviousState {
  const files = planFilesOfState(state);
  return previousFromPlanFiles(files["resources.json"]!, files["outputs.json"]);
}

export interface Retry {
  readonly failure: FailedUpdate;
  /** The state the failure left, as `--previous` reads it back. */
  readonly state: PreviousState;
  readonly run: ProgramRun;
  readonly diff: PreviewDiff;
}

export interface Sweep {
  readonly c: SweepCase;
  readonly previous?: PreviousState;
  readonly run: ProgramRun;
  readonly diff: PreviewDiff;
  readonly retries: readonly Retry[];
  /** Program runs the sweep needed besides the change's own. */
  readonly extraRuns: number;
}

const sameOutputs = (a: unknown, b: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/**
 * The steps that can fail: those that do something (a component of ours registers and does nothing; a Chart or a
 * ConfigGroup is the provider's work, and can).
 */
function failable(diff: PreviewDiff, next: readonly StateResource[], previous?: PreviousState): Step[] {
  const byUrn = new Map([...(previous?.resources ?? []), ...next].map((r) => [r.urn, r]));
  return diff.steps.filter((s) => {
    if (!["create", "update", "replace", "delete"].includes(s.action)) return false;
    const r = byUrn.get(s.urn);
    return r !== undefined && isStep(r);
  });
}

/** Plans the change, fails each of its steps in turn and plans each retry. `before` runs are shared by the caller. */
export async function sweep(c: SweepCase, beforeRun?: ProgramRun): Promise<Sweep> {
  let previous: PreviousState | undefined;
  if (beforeRun) {
    const files = renderFiles(beforeRun);
    const outputs = JSON.parse(files["outputs.json"]!) as Record<string, unknown>;
    c.beforeOutputs?.(outputs);
    previous = previousFromPlanFiles(files["resources.json"]!, JSON.stringify(outputs));
  }
  const run = await planWith(c, c.after(), previous?.outputs, c.newSecrets);
  const next = stateOfRun(run);
  const opts = { stack: run.stack, project: run.project };
  const diff = diffStates(previous ?? { source: "plan", resources: [], outputs: {} }, next, opts);
  const runs = new Map<string, Promise<ProgramRun>>();
  const states = new Map<ProgramRun, StateResource[]>([[run, next]]);
  let extraRuns = 0;
  const retries: Retry[] = [];
  for (const step of failable(diff, next, previous)) {
    const failure = failUpdate(previous, next, run.outputs, run.outputDependencies, diff, step.urn);
    // Used as it is: the files hold the same state, and reading them back for each step would double the sweep.
    const state = failure.state;
    const key = JSON.stringify(state.outputs);
    if (!runs.has(key)) {
      if (sameOutputs(state.outputs, previous?.outputs)) runs.set(key, Promise.resolve(run));
      else {
        extraRuns += 1;
        runs.set(key, planWith(c, c.after(), state.outputs, c.newSecrets));
      }
    }
    const retryRun = await runs.get(key)!;
    if (!states.has(retryRun)) states.set(retryRun, stateOfRun(retryRun));
    retries.push({ failure, state, run: retryRun, diff: diffStates(state, states.get(retryRun)!, opts) });
  }
  return { c, ...(previous ? { previous } : {}), run, diff, retries, extraRuns };
}

const nameOf = (urn: string) => urn.split("::").slice(1).join("::");
const CHANGE = new Set(["create", "update", "replace", "delete"]);

/**
 * The work the retry still does is the work the unbroken run would have done, in the same order and batches: each
 * step the retry runs has the unbroken run's inputs, and waits for the same ones among the steps the retry runs.
 * (A step the failed run completed is no longer work: whom it waited for does not matter any more.)
 */
export function plansAsUnbroken(s: Sweep): string[] {
  const problems: string[] = [];
  const want = new Map(s.run.resources.map((x) => [x.urn, x]));
  for (const r of s.retries) {
    if (r.run === s.run) continue;
    const got = new Map(r.run.resources.map((x) => [x.urn, x]));
    const work = new Set(r.diff.steps.filter((x) => CHANGE.has(x.action) && x.action !== "delete").map((x) => x.urn));
    const waits = (resources: ReadonlyMap<string, ProgramRun["resources"][number]>, urn: string): string => {
      const seen = new Set<string>();
      const visit = (u: string) => {
        const x = resources.get(u);
        for (const d of [...(x?.dependsOn ?? []), ...Object.values(x?.propertyDependencies ?? {}).flat(), ...(x?.parent ? [x.parent] : [])]) {
          if (!seen.has(d)) {
            seen.add(d);
            visit(d);
          }
        }
      };
      visit(urn);
      return JSON.stringify([...seen].filter((u) => work.has(u)).sort());
    };
    const diffs: string[] = [];
    for (const urn of work) {
      const w = want.get(urn);
      const g = got.get(urn);
      if (!w && !g) continue; // an object of a ConfigGroup: its inputs are the group's
      if (!w || !g) diffs.push(`${nameOf(urn)} ${w ? "missing" : "added"}`);
      else if (JSON.stringify(w.inputs) !== JSON.stringify(g.inputs)) diffs.push(`${nameOf(urn)} has other inputs`);
      else if (waits(want, urn) !== waits(got, urn)) diffs.push(`${nameOf(urn)} waits for other steps`);
    }
    // And nothing the unbroken run does is missing from the retry's program.
    for (const urn of want.keys()) if (!got.has(urn)) diffs.push(`${nameOf(urn)} missing`);
    if (diffs.length > 0) {
      problems.push(
        `after ${r.failure.failed.action} ${r.failure.failed.name} failed (stack outputs ${r.failure.stackOutputs}), the retry plans ` +
          `otherwise than the unbroken run: ${[...new Set(diffs)].slice(0, 6).join("; ")}${diffs.length > 6 ? `; ${diffs.length - 6} more` : ""}`,
      );
    }
  }
  return problems;
}

/** Every change of the unbroken run that the failed one did not complete is a change of the retry. */
export function nothingSkipped(s: Sweep): string[] {
  const problems: string[] = [];
  for (const r of s.retries) {
    const done = new Set(r.failure.completed);
    const retry = new Map(r.diff.steps.map((x) => [x.urn, x]));
    for (const step of s.diff.steps) {
      if (!CHANGE.has(step.action) || done.has(step.urn)) continue;
      const again = retry.get(step.urn);
      if (!again || !CHANGE.has(again.action)) {
        problems.push(`after ${r.failure.failed.action} ${r.failure.failed.name} failed, the retry skips the ${step.action} of ${step.name}`);
      }
    }
  }
  return problems;
}

/** The deletes left keep the unbroken run's order: one that went before another still does, in an earlier antichain. */
export function deletesInOrder(s: Sweep): string[] {
  const problems: string[] = [];
  const index = (chains: string[][]) => new Map(chains.flatMap((c, i) => c.map((u): [string, number] => [u, i])));
  const want = index(deleteAntichains(s.previous?.resources ?? [], s.diff));
  // What each resource depends on, transitively, in the previous deployment: a dependent is deleted first.
  const direct = new Map(
    (s.previous?.resources ?? []).map((r) => [
      r.urn,
      [...(r.parent ? [r.parent] : []), ...(r.provider ? [r.provider] : []), ...(r.dependsOn ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()],
    ]),
  );
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
    (direct.get(from) ?? []).some((d) => d === to || (!seen.has(d) && seen.add(d) && reaches(d, to, seen)));
  for (const r of s.retries) {
    const got = index(deleteAntichains(r.state.resources, r.diff));
    for (const [a, ia] of got) {
      for (const [b, ib] of got) {
        const wa = want.get(a);
        const wb = want.get(b);
        if (wa !== undefined && wb !== undefined && wa < wb && reaches(a, b) && !(ia < ib)) {
          problems.push(`after ${r.failure.failed.action} ${r.failure.failed.name} failed, the retry deletes ${nameOf(b)} no later than ${nameOf(a)}`);
        }
      }
    }
  }
  return problems;
}

/** The waits a host script may make without a bound: downloads, kubectl waits, polling loops, blocking starts. */
export function unboundedWaits(script: string): string[] {
  const found: string[] = [];
  const lines = script.split("\n");
  lines.forEach((line, i) => {
    // What a line runs: without comments and the text of double-quoted strings (messages, URLs, arguments).
    const code = line.replace(/^\s*#.*$/, "").replace(/"(?:[^"\\]|\\.)*"/g, '""');
    // `timeout <duration> <command>` bounds the command, whatever it is: timeout run as a command, not an option
    // that ends in it (curl --connect-timeout bounds only the connection, kubectl --request-timeout one request).
    if (/(?:^|[;&|(!]|\b(?:then|do|else|if|while|until)\b)\s*timeout\s+["$\w]/.test(code)) return;
    const at = `line ${i + 1}`;
    if (/\bcurl\s/.test(code) && !/(--max-time|\s-m\s?\d|--speed-time)/.test(code)) found.push(`${at}: curl without --max-time`);
    if (/\bwget\s/.test(code) && !/(--timeout|\s-T\s?\d)/.test(code)) found.push(`${at}: wget without --timeout`);
    if (/\bkubectl\b.*\s(drain|wait|rollout status)\b/.test(code) && !/--timeout/.test(code)) found.push(`${at}: kubectl without --timeout`);
    if (/\bkubectl\b.*\sdelete\s+node\b/.test(code) && !/--timeout/.test(code)) found.push(`${at}: kubectl delete without --timeout`);
    if (/\bsystemctl\s+(start|restart)\b/.test(code) && /\$SERVICE|\bk3s(-agent)?(\.service)?(\s|$)/.test(line) && !/--no-block/.test(code)) {
      found.push(`${at}: systemctl ${/restart/.test(code) ? "restart" : "start"} of k3s without --no-block (TimeoutStartSec=0)`);
    }
    if (/^\s*(until|while)\s/.test(code) && !/\bread\b/.test(code)) {
      let depth = 0;
      let body = "";
      for (let j = i; j < lines.length; j++) {
        body += `${lines[j]}\n`;
        if (/^\s*(until|while|for)\s/.test(lines[j]!)) depth += 1;
        if (/^\s*done\b/.test(lines[j]!)) depth -= 1;
        if (depth === 0) break;
      }
      if (!/deadline|SECONDS|attempt|tries|timeout/.test(body)) found.push(`${at}: a loop with no deadline`);
    }
  });
  return found;
}

/** The host scripts the retries run: each command's create or update, and the stored delete of each removed one. */
export function scriptsRun(s: Sweep): Map<string, string> {
  const scripts = new Map<string, string>();
  const add = (name: string, text: unknown) => {
    if (typeof text === "string" && text.length > 0) scripts.set(text, name);
  };
  for (const run of new Set([s.run, ...s.retries.map((r) => r.run)])) {
    for (const r of run.resources) {
      if (r.type !== "command:remote:Command") continue;
      add(`${r.name} (create)`, r.inputs.create);
      add(`${r.name} (update)`, r.inputs.update);
    }
  }
  const deletes = (state: PreviousState | undefined, diff: PreviewDiff) => {
    const byUrn = new Map((state?.resources ?? []).map((r) => [r.urn, r]));
    for (const step of diff.steps) {
      const r = byUrn.get(step.urn);
      if (r?.type === "command:remote:Command" && (step.action === "delete" || step.action === "replace")) add(`${r.name} (delete)`, r.inputs.delete);
    }
  };
  deletes(s.previous, s.diff);
  for (const r of s.retries) deletes(r.state, r.diff);
  return new Map([...scripts].map(([text, name]) => [name, text]));
}

export function waitsWithoutBound(s: Sweep): string[] {
  const problems: string[] = [];
  for (const [name, line] of scriptsRun(s)) {
    // remoteCommand passes the script as a heredoc: its lines are the script's.
    for (const found of unboundedWaits(line)) problems.push(`${name}: ${found}`);
  }
  return problems;
}

const digestOf = (value: unknown): string | null | undefined => (isSecretValue(value) ? value.__secretDigest : undefined);

/**
 * A removal runs with the connection the state stored; it must still work once the same run has made its changes,
 * so it is one the run itself still uses (same host, user and key; secrets compare by digest).
 */
export function staleConnections(s: Sweep): string[] {
  const problems: string[] = [];
  const connections = new Map<ProgramRun, Set<string>>();
  const check = (state: PreviousState | undefined, diff: PreviewDiff, run: ProgramRun, when: string) => {
    if (!connections.has(run)) {
      connections.set(run, new Set(stateOfRun(run).flatMap((r) => (r.type === "command:remote:Command" ? [JSON.stringify(r.inputs.connection)] : []))));
    }
    const live = connections.get(run)!;
    const byUrn = new Map((state?.resources ?? []).map((r) => [r.urn, r]));
    for (const step of diff.steps) {
      const r = byUrn.get(step.urn);
      if (step.action !== "delete" || r?.type !== "command:remote:Command" || r.inputs.delete === undefined) continue;
      if (digestOf(r.inputs.connection) === null) continue; // an export: not comparable
      if (!live.has(JSON.stringify(r.inputs.connection))) {
        problems.push(`${when}: the delete of ${r.name} dials a connection this run no longer uses (its key or address changed)`);
      }
    }
  };
  check(s.previous, s.diff, s.run, "the unbroken run");
  for (const r of s.retries) check(r.state, r.diff, r.run, `the retry after ${r.failure.failed.name} failed`);
  return [...new Set(problems)];
}

/**
 * A retry whose state still holds a removal (a membership command the unbroken run deletes) must refuse a change of
 * the connection that removal runs with: the program plans it from the failed state's outputs, and must be refused.
 */
export async function retriesChangingTheConnection(s: Sweep): Promise<string[]> {
  const change = s.c.connectionChange;
  if (!change) return [];
  const deleted = new Set(s.diff.steps.filter((x) => x.action === "delete").map((x) => x.urn));
  const problems: string[] = [];
  const tried = new Set<string>();
  for (const r of s.retries) {
    const leftover = r.state.resources.some((x) => deleted.has(x.urn) && x.type === "command:remote:Command" && x.inputs.delete !== undefined);
    if (!leftover) continue;
    const key = JSON.stringify(r.state.outputs);
    if (tried.has(key)) continue;
    tried.add(key);
    const config = structuredClone(s.c.after());
    change.edit(config);
    const outcome = await runOnce(s.c, config, r.state.outputs as Record<string, unknown>, { ...s.c.newSecrets, ...change.newSecrets }).then(
      () => "planned",
      (err: Error) => err.message,
    );
    if (outcome === "planned") {
      problems.push(`after ${r.failure.failed.action} ${r.failure.failed.name} failed, a retry that also changes the connection plans, and its removal dials the stale one`);
    } else if (!change.refused.test(outcome)) {
      problems.push(`after ${r.failure.failed.name} failed, the retry with the connection changed is refused otherwise: ${outcome}`);
    }
  }
  if (tried.size === 0) problems.push("no failure left a removal in the state: nothing was checked");
  return problems;
}

/**
 * What each stack output records about this run's steps: the run did them all. The k3s version and the certificate
 * expiry record every node's steps (upgrade, drain, uncordon, renewal), sshAccess every membership command's
 * connection, protected every server's protection.
 */
const RECORDS: Readonly<Record<string, (r: { type: string; name: string }) => boolean>> = {
  k3sVersion: (r) => r.type === "command:remote:Command" && /^site-k3s-/.test(r.name) && !/^site-k3s-(membership-|kubeconfig$)/.test(r.name),
  kubeconfigExpires: (r) => r.type === "command:remote:Command" && /^site-k3s-/.test(r.name) && !/^site-k3s-(membership-|kubeconfig$)/.test(r.name),
  sshAccess: (r) => r.type === "command:remote:Command" && /^site-k3s-membership-/.test(r.name),
  protected: (r) => r.type === "hcloud:index/server:Server",
};

/**
 * Each output on its own: had the failed run saved it as soon as what it waits for was done (whatever the other
 * outputs wait for), it would claim only steps that completed. Pulumi saves the stack outputs all together
 * (plan/failure.ts), so an output that resolves early is held back only by the others; this check does not rely on
 * them.
 */
export function outputsRecordOnlyWhatCompleted(s: Sweep): string[] {
  const problems: string[] = [];
  const byUrn = new Map(s.run.resources.map((r) => [r.urn, r]));
  const changedSteps = new Set(s.diff.steps.filter((x) => CHANGE.has(x.action) && x.action !== "delete").map((x) => x.urn));
  for (const [key, records] of Object.entries(RECORDS)) {
    if (!(key in s.run.outputs)) continue;
    if (JSON.stringify(s.run.outputs[key]) === JSON.stringify(s.previous?.outputs[key])) continue;
    const recorded = [...changedSteps].filter((urn) => {
      const r = byUrn.get(urn);
      return r !== undefined && records(r);
    });
    const waitsFor = s.run.outputDependencies[key] ?? [];
    for (const r of s.retries) {
      const done = new Set(r.failure.completed);
      const ownDepsDone = waitsFor.every((urn) => !changedSteps.has(urn) || done.has(urn));
      if (!ownDepsDone) continue;
      const missing = recorded.filter((urn) => !done.has(urn));
      if (missing.length > 0) {
        problems.push(
          `after ${r.failure.failed.action} ${r.failure.failed.name} failed, the output ${key} would be saved on its own ` +
            `while ${missing.slice(0, 3).map(nameOf).join(", ")}${missing.length > 3 ? ` and ${missing.length - 3} more` : ""} did not complete`,
        );
      }
    }
  }
  return problems;
}
