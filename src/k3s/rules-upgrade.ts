/**
 * One Kubernetes minor per run. Kubernetes supports upgrading a cluster one minor version at a time, and never down
 * (Version Skew Policy: kube-apiserver instances differ by at most one minor, and the components are upgraded from
 * one minor to the next; kubernetes.io/releases/version-skew-policy, "Supported component upgrade order"). k3s follows
 * it: its upgrade docs move a cluster through each minor, servers first. So a change of k3s.version from the version
 * the stack's previous run installed (its `k3sVersion` output, program/previous-deployment.ts) may keep the minor
 * (any patch, up or down) or go up by one; anything else is refused before any resource, with the path to take.
 *
 * The previous version is recorded only once every node ran the previous run's steps (components/k3s/cluster.ts):
 * after a failed upgrade it is still the version before it, so the retry may only finish that one minor.
 */
import type { Problem } from "../config/problems";
import type { SiteConfig } from "../config/site";
import { SUPPORT, type SupportWindow } from "../versions/support";
import { kubernetesMinor, pinsInUse, releaseLine } from "./rules-versions";

/** `v1.33 -> v1.34 -> v1.35 -> v1.36`: every minor from `from` to `to`, both included. */
export function minorPath(from: number, to: number): string {
  const minors: number[] = [];
  for (let m = from; m <= to; m++) minors.push(m);
  return minors.map((m) => `v1.${m}`).join(" -> ");
}

/** The newest k3s release of a minor that src/versions/support.ts lists, e.g. v1.34.12+k3s1 for 34. */
export function newestOfMinor(minor: number): string | undefined {
  const windows: readonly SupportWindow[] = SUPPORT.k3s;
  return windows.find((w) => w.line === `1.${minor}`)?.newest?.version;
}

/** The pins in use that do not support Kubernetes 1.`minor`, as messages name them (`Cilium 1.20`). */
export function pinsNotSupporting(config: SiteConfig, minor: number): string[] {
  return pinsInUse(config).flatMap((pin) => {
    const line = releaseLine(pin.version(config));
    const support = line === undefined ? undefined : pin.support[line];
    if (!support) return []; // an unpinned release (cni.canal.sha256): the user vouches for it
    const from = support.worksFrom ?? support.testedFrom;
    const to = support.worksTo ?? support.testedTo;
    if (minor >= from && minor <= to) return [];
    const key = pin.key(config);
    return [`${pin.name} ${line}${key ? ` (${key})` : ""} (Kubernetes 1.${from}${to === Infinity ? " and newer" : `-1.${to}`})`];
  });
}

/**
 * `previous` is the k3s version the stack's previous run installed (undefined on a first deployment, or when an older
 * version of this program made it: then nothing can be compared).
 */
export function checkUpgradePath(previous: string | undefined, config: SiteConfig): Problem[] {
  if (previous === undefined) return [];
  const was = kubernetesMinor(previous);
  const now = kubernetesMinor(config.k3s.version);
  if (was === undefined || now === undefined || now === was || now === was + 1) return [];
  const path = "k3s.version";
  if (now < was) {
    return [
      {
        path,
        message:
          `${config.k3s.version} runs Kubernetes 1.${now}, older than the cluster's ${previous} (Kubernetes 1.${was}): ` +
          `Kubernetes does not go down a minor (the API server has stored objects in 1.${was}'s versions, and etcd ` +
          `data is not migrated back). Set k3s.version back to a v1.${was} release (${previous} or a later patch); ` +
          `to run 1.${now}, build a new site in a new stack and move the workloads over`,
      },
    ];
  }
  const next = was + 1;
  const suggestion = newestOfMinor(next);
  const blocked = [];
  for (let m = next; m <= now; m++) {
    const pins = pinsNotSupporting(config, m);
    if (pins.length > 0) blocked.push(`1.${m}: ${pins.join(", ")}`);
  }
  return [
    {
      path,
      message:
        `${config.k3s.version} runs Kubernetes 1.${now}, but the cluster runs ${previous} (Kubernetes 1.${was}), and ` +
        `Kubernetes upgrades one minor at a time: ${minorPath(was, now)}: one minor per pulumi up. Set k3s.version to ` +
        `a v1.${next} release${suggestion ? ` (e.g. ${suggestion})` : ""}, run pulumi up, and repeat with the next minor` +
        (blocked.length > 0
          ? `. On the way, the site's components do not support every step (${blocked.join("; ")}): move them first ` +
            `(their version keys, or a k3s-sites release that pins newer ones) at a minor both support`
          : ""),
    },
  ];
}
