/**
 * How this run orders the agents. An upgrade rolls the agents after every server, k3s.upgrade.agentsAtOnce at a
 * time: a kubelet must never be newer than an API server it talks to (Kubernetes' version skew policy), and drains
 * stay bounded. Any other run, the first install included, runs the same version everywhere: agents then wait only
 * for the join server and join in parallel, which keeps `pulumi up` on the ideal graph's time
 * (docs/performance.md).
 */
export interface PreviousRollout {
  /** Whether the stack was deployed before (its fixed settings were recorded). */
  readonly deployed: boolean;
  /** The k3s version that deployment installed; undefined when it was made by an older version of this program. */
  readonly k3sVersion?: string;
}

/** Whether this run changes the k3s version of a deployed cluster (or cannot tell, which counts as a change). */
export function isUpgrade(previous: PreviousRollout, version: string): boolean {
  if (!previous.deployed) return false;
  return previous.k3sVersion !== version;
}
