/**
 * How long `pulumi up` would take to create a site, modelled from the plan's dependency graph: each resource waits
 * for its dependencies (dependsOn, its provider, a custom parent), takes a stated time, and holds one of
 * `--parallel` slots while it runs. Pure functions of the recorded resources.
 *
 * The engine schedules greedily: a step starts as soon as its dependencies are done and a slot is free, first
 * ready first. That is list scheduling, simulated here. The ideal graph keeps only the necessary waits: the same
 * steps and times, but a node's bootstrap waits for the first server's only, not for another joining node's (k3s
 * retries a join while another member is an etcd learner; see docs/performance.md). The ideal time is its
 * critical path.
 */
import type { RecordedResource } from "./engine";
import { nodeOfCommand, REMOTE_COMMAND_TYPE } from "../src/k3s/names";
import {
  pollSettingsOf,
  SERVER_TYPE,
  serverCreateCalls,
  total,
  type PollSettings,
  type ServerShape,
} from "../src/hetzner/api-calls";
import { CHART_TYPE } from "../src/type-tokens";

/** The fields of a recorded resource the model reads (resources.json has them all). */
export type GraphResource = Pick<
  RecordedResource,
  "urn" | "type" | "name" | "custom" | "parent" | "provider" | "dependsOn" | "inputs"
>;

export interface Step {
  readonly urn: string;
  /** Seconds the step runs. */
  readonly seconds: number;
  /** Indexes of the steps it waits for. */
  readonly after: readonly number[];
}

/**
 * Seconds per resource: assumptions, stated in docs/performance.md. A server's time comes from its API calls
 * (create, actions and the waiter's polling, see api-calls.ts).
 */
export const LATENCY_SECONDS = {
  /** The first server's bootstrap: k3s install, etcd and the API server up. */
  firstServerBootstrap: 90,
  /** A server joining: install, etcd learner catch-up and promotion. */
  joiningServerBootstrap: 60,
  agentBootstrap: 45,
  /** Any other remote command (reading the kubeconfig). */
  otherCommand: 3,
  /** Workloads the Kubernetes provider awaits until ready. */
  kubernetesWorkload: 60,
  kubernetesObject: 1,
  hcloudLoadBalancer: 15,
  hcloudOther: 2,
  /**
   * A Helm chart (helm.sh/v4.Chart) or a manifest group (yaml/v2.ConfigGroup): remote components whose objects the
   * Kubernetes provider registers at deploy time, so the offline plan does not see them one by one. Counted as one
   * step each, for the objects applied and awaited.
   */
  kubernetesChart: 90,
  kubernetesConfigGroup: 20,
} as const;

/** Components the Kubernetes provider expands at deploy time: steps in the model, with a slot. */
const REMOTE_COMPONENTS: Readonly<Record<string, number>> = {
  [CHART_TYPE]: LATENCY_SECONDS.kubernetesChart,
  "kubernetes:yaml/v2:ConfigGroup": LATENCY_SECONDS.kubernetesConfigGroup,
};

/** Whether a resource is a step of the deploy: a custom resource, or a component expanded by its provider. */
export function isStep(r: Pick<GraphResource, "custom" | "type">): boolean {
  return r.custom || r.type in REMOTE_COMPONENTS;
}

const WORKLOADS = /^kubernetes:(apps\/v1:(Deployment|DaemonSet|StatefulSet)|batch\/v1:Job)$/;

export function serverShapeOf(r: GraphResource): ServerShape {
  const i = r.inputs;
  return {
    protect: i.deleteProtection === true || i.rebuildProtection === true,
    placementGroup: i.placementGroupId !== undefined,
    network: Array.isArray(i.networks) && i.networks.length > 0,
    sshKeys: Array.isArray(i.sshKeys) ? i.sshKeys.length : 0,
  };
}

function nodeCommandWaitsOnNode(r: GraphResource, byUrn: ReadonlyMap<string, GraphResource>): boolean {
  return r.dependsOn.some((d) => {
    const dep = byUrn.get(d);
    return dep !== undefined && nodeOfCommand(dep) !== undefined;
  });
}

/** Seconds a resource's create takes in the model. */
export function latencyOf(
  r: GraphResource,
  byUrn: ReadonlyMap<string, GraphResource>,
  poll?: PollSettings,
): number {
  const remote = REMOTE_COMPONENTS[r.type];
  if (!r.custom) return remote ?? 0;
  if (r.type.startsWith("pulumi:providers:") || r.type.startsWith("random:")) return 0;
  if (r.type === SERVER_TYPE) {
    const settings = poll ?? pollSettingsOf(r.provider ? byUrn.get(r.provider)?.inputs : undefined);
    return total(serverCreateCalls(serverShapeOf(r), settings)).seconds;
  }
  if (r.type === REMOTE_COMMAND_TYPE) {
    // A command with no `create` (a node's membership command, which only has a `delete`) runs nothing when it is
    // created (@pulumi/command 1.2.1 commandController.go), so it costs no time.
    if (r.inputs.create === undefined) return 0;
    if (nodeOfCommand(r) === undefined) return LATENCY_SECONDS.otherCommand;
    if (!nodeCommandWaitsOnNode(r, byUrn)) return LATENCY_SECONDS.firstServerBootstrap;
    return /^ROLE=['"]?server\b/m.test(String(r.inputs.create ?? ""))
      ? LATENCY_SECONDS.joiningServerBootstrap
      : LATENCY_SECONDS.agentBootstrap;
  }
  if (r.type === "hcloud:index/loadBalancer:LoadBalancer") return LATENCY_SECONDS.hcloudLoadBalancer;
  if (r.type.startsWith("hcloud:")) return LATENCY_SECONDS.hcloudOther;
  if (WORKLOADS.test(r.type)) return LATENCY_SECONDS.kubernetesWorkload;
  if (r.type.startsWith("kubernetes:")) return LATENCY_SECONDS.kubernetesObject;
  return 0;
}

/**
 * The steps of a create: custom resources and remote Kubernetes components (a component of ours costs no time and
 * no slot). A wait on one of our components is a wait on every step beneath it.
 */
export function stepsOf(
  resources: readonly GraphResource[],
  latency?: (r: GraphResource) => number,
  options: { readonly ideal?: boolean } = {},
): Step[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const isNode = (r: GraphResource | undefined) =>
    r !== undefined && nodeOfCommand(r) !== undefined;
  const isFirstNode = (r: GraphResource | undefined) => isNode(r) && !nodeCommandWaitsOnNode(r!, byUrn);
  /** In the ideal graph, a node waits for no other node's bootstrap than the first server's. */
  const necessary = (r: GraphResource, dep: string) =>
    !options.ideal || !isNode(r) || !isNode(byUrn.get(dep)) || isFirstNode(byUrn.get(dep));
  const seconds = latency ?? ((r: GraphResource) => latencyOf(r, byUrn));
  const custom = resources.filter(isStep);
  const index = new Map(custom.map((r, i) => [r.urn, i]));
  const children = new Map<string, GraphResource[]>();
  for (const r of resources) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const customBeneath = (urn: string, seen = new Set<string>()): number[] => {
    if (seen.has(urn)) return [];
    seen.add(urn);
    return (children.get(urn) ?? []).flatMap((c) =>
      isStep(c) ? [index.get(c.urn)!] : customBeneath(c.urn, seen),
    );
  };
  return custom.map((r, i) => {
    const waits = new Set<number>();
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    const on = [...r.dependsOn.filter((d) => necessary(r, d)), ...(r.provider ? [r.provider] : []), ...(parent && isStep(parent) ? [parent.urn] : [])];
    for (const urn of on) {
      const j = index.get(urn);
      if (j !== undefined) waits.add(j);
      else for (const k of customBeneath(urn)) waits.add(k);
    }
    waits.delete(i);
    return { urn: r.urn, seconds: seconds(r), after: [...waits].sort((a, b) => a - b) };
  });
}

/** The longest chain of waits: the makespan with unbounded slots. */
export function criticalPath(steps: readonly Step[]): number {
  const finish = new Array<number | undefined>(steps.length);
  const visiting = new Set<number>();
  const end = (i: number): number => {
    const known = finish[i];
    if (known !== undefined) return known;
    if (visiting.has(i)) throw new Error(`dependency cycle through ${steps[i]!.urn}`);
    visiting.add(i);
    const start = Math.max(0, ...steps[i]!.after.map(end));
    visiting.delete(i);
    finish[i] = start + steps[i]!.seconds;
    return finish[i]!;
  };
  return steps.reduce((m, _, i) => Math.max(m, end(i)), 0);
}

/**
 * The makespan with at most `slots` steps running at once (Infinity for unbounded): list scheduling, ready steps
 * started in registration order.
 */
export function makespan(steps: readonly Step[], slots: number): number {
  if (!(slots >= 1)) throw new Error(`slots must be at least 1, got ${slots}`);
  const n = steps.length;
  const waiting = steps.map((s) => s.after.length);
  const dependants: number[][] = steps.map(() => []);
  steps.forEach((s, i) => s.after.forEach((j) => dependants[j]!.push(i)));
  // First come, first served: the engine queues a step when its registration arrives, which the SDK sends once
  // the step's dependencies are done; steps ready at the same moment go in registration order.
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const running: { i: number; end: number }[] = [];
  let now = 0;
  let done = 0;
  while (done < n) {
    while (running.length < slots && ready.length > 0) {
      const i = ready.shift()!;
      running.push({ i, end: now + steps[i]!.seconds });
    }
    if (running.length === 0) throw new Error("dependency cycle: steps left that can never start");
    now = Math.min(...running.map((r) => r.end));
    const newlyReady: number[] = [];
    for (let k = running.length - 1; k >= 0; k--) {
      const r = running[k]!;
      if (r.end > now) continue;
      running.splice(k, 1);
      done += 1;
      for (const d of dependants[r.i]!) if (--waiting[d]! === 0) newlyReady.push(d);
    }
    ready.push(...newlyReady.sort((a, b) => a - b));
  }
  return now;
}

/**
 * The smallest `--parallel` whose makespan is within `factor` of `best` (the critical path unless given) (found by bisection: list
 * scheduling is close to, not exactly, monotonic in the slots; the answer is checked before it is returned).
 */
export function parallelWithin(steps: readonly Step[], factor = 1.1, best = criticalPath(steps)): number {
  const target = best * factor;
  let lo = 1;
  let hi = Math.max(1, steps.length);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (makespan(steps, mid) <= target) hi = mid;
    else lo = mid + 1;
  }
  // Bisection can land past a non-monotonic dip; step up until the answer holds.
  while (lo < steps.length && makespan(steps, lo) > target) lo += 1;
  return lo;
}

export interface DeployModel {
  /** The ideal graph's critical path: the best any --parallel can do. */
  readonly criticalPathSeconds: number;
  /** Makespan of the program's graph by slot count; Infinity is unbounded. */
  readonly makespan: ReadonlyMap<number, number>;
  /** Makespan of the ideal graph by the same slot counts. */
  readonly idealMakespan: ReadonlyMap<number, number>;
  /** The fewest slots that get the program's graph within 10% of criticalPathSeconds. */
  readonly parallelWithin10Percent: number;
}

export function deployModel(resources: readonly GraphResource[], slots: readonly number[] = [8, 32, Infinity]): DeployModel {
  const steps = stepsOf(resources);
  const ideal = stepsOf(resources, undefined, { ideal: true });
  const best = criticalPath(ideal);
  return {
    criticalPathSeconds: best,
    makespan: new Map(slots.map((p) => [p, makespan(steps, p)])),
    idealMakespan: new Map(slots.map((p) => [p, makespan(ideal, p)])),
    parallelWithin10Percent: parallelWithin(steps, 1.1, best),
  };
}

/** 754 -> "12m34s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
