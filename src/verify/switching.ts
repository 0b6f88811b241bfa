/**
 * The checks a run that switches ingress controllers (src/ingress/switch.ts) does not run. The old controller's
 * objects are deleted only at the end of that run, after the checks, and the new one's may not serve yet (between
 * nginx and Traefik its pods wait for the nodes' 80 and 443 until then): the edge check would call the old
 * controller, or fail on the new one, and the test certificate's HTTP-01 challenge goes through the new controller.
 * They are left out of that run, which says why, and run on the next `pulumi up`: their Jobs are not in the stack's
 * state, so that run creates them.
 */
import type { SiteConfig } from "../config/site";
import { EDGE_ANNOUNCE_JOB, EDGE_HOST_JOB, type JobName } from "./names";

export interface SwitchDeferral {
  /** The Jobs this run leaves out. */
  readonly jobs: readonly JobName[];
  /** Why, and when they run, in the user's words. */
  readonly why: string;
}

/** The Jobs a run that switches from `from` to `to` leaves out, of the site's `jobs`; undefined when it leaves none. */
export function switchDeferral(config: SiteConfig, jobs: readonly JobName[], from: string, to: string): SwitchDeferral | undefined {
  const edge: readonly JobName[] = ["edge", EDGE_HOST_JOB, EDGE_ANNOUNCE_JOB];
  // A DNS-01 certificate does not go through the ingress.
  const ingressJobs = config.certificates.dns01 === undefined ? [...edge, "certificates" as const] : edge;
  const deferred = jobs.filter((job) => ingressJobs.includes(job));
  if (deferred.length === 0) return undefined;
  return {
    jobs: deferred,
    why:
      `checks ${deferred.join(", ")} are not run in this run, which switches ingress.controller ${from} -> ${to}: ` +
      `${from}'s objects are deleted only at the end of it, so they would check ${from}, or ${to} before it serves; ` +
      `they run on the next pulumi up`,
  };
}
