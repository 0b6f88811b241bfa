/**
 * Settings a live cluster can never change. k3s fixes the pod and service ranges, the IP families and the cluster
 * domain when the cluster is created, every server must agree on them, and the CNI and the datastore carry the
 * cluster's state: a change on a live site would tear it apart. The program records these settings as a stack
 * output and compares them with the previous deployment's before it touches any resource.
 */
import type { Problem } from "../config/errors";
import type { SiteConfig } from "../config/site";

export interface FixedSettings {
  readonly clusterCidr: string;
  readonly serviceCidr: string;
  readonly clusterCidrV6: string | null;
  readonly serviceCidrV6: string | null;
  readonly ipFamilies: string;
  readonly clusterDomain: string;
  readonly cni: string;
  readonly datastore: string;
}

/** The name of the stack output that records the fixed settings. */
export const FIXED_SETTINGS_OUTPUT = "fixedSettings";

export function fixedSettingsOf(config: SiteConfig): FixedSettings {
  return {
    clusterCidr: config.k3s.clusterCidr,
    serviceCidr: config.k3s.serviceCidr,
    clusterCidrV6: config.k3s.clusterCidrV6 ?? null,
    serviceCidrV6: config.k3s.serviceCidrV6 ?? null,
    ipFamilies: config.k3s.ipFamilies,
    clusterDomain: config.k3s.clusterDomain,
    cni: config.cni.plugin,
    datastore: config.k3s.datastore,
  };
}

const KEYS: Record<keyof FixedSettings, { path: string; why: string }> = {
  clusterCidr: { path: "k3s.clusterCidr", why: "every pod address and node pod range comes from it" },
  serviceCidr: { path: "k3s.serviceCidr", why: "every Service address and the API server's certificate come from it" },
  clusterCidrV6: { path: "k3s.clusterCidrV6", why: "every IPv6 pod address comes from it" },
  serviceCidrV6: { path: "k3s.serviceCidrV6", why: "every IPv6 Service address comes from it" },
  ipFamilies: { path: "k3s.ipFamilies", why: "k3s cannot add or remove an IP family on a live cluster" },
  clusterDomain: { path: "k3s.clusterDomain", why: "every in-cluster DNS name and certificate uses it" },
  cni: { path: "cni.plugin", why: "switching the CNI cuts every pod off the network" },
  datastore: { path: "k3s.datastore", why: "the cluster's state lives in it" },
};

function show(value: unknown): string {
  return value === null || value === undefined ? "(unset)" : String(value);
}

/**
 * Compares the settings of the previous deployment (`previous`, as read back from the stack's outputs; undefined on
 * the first deployment) with the current ones. Every difference is a problem naming the setting, both values and
 * the way forward.
 */
export function checkFixedSettings(previous: unknown, current: FixedSettings): Problem[] {
  if (previous === undefined || previous === null || typeof previous !== "object") return [];
  const old = previous as Partial<Record<keyof FixedSettings, unknown>>;
  return (Object.keys(KEYS) as (keyof FixedSettings)[]).flatMap((key): Problem[] => {
    if (!(key in old)) return []; // recorded by an older version of this program
    const before = old[key] ?? null;
    const now = current[key];
    if (before === now) return [];
    const { path, why } = KEYS[key];
    return [
      {
        path,
        message:
          `cannot change on a live cluster: it was ${show(before)} when the site was created and is now ${show(now)} ` +
          `(${why}). Set it back to ${show(before)}, or build a new site in a new stack and move the workloads over`,
      },
    ];
  });
}
