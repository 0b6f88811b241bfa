/**
 * Switching ingress.controller on a running site: what the run does and the outage, said plainly. The deployed
 * controller is recorded in a stack output; the next run compares it with the config's. The plan prints these lines
 * under its preview, and the program logs them as warnings, so `pulumi preview` and `pulumi up` show them too.
 */

/** The stack output that records the ingress controller the deployment installed. */
export const INGRESS_CONTROLLER_OUTPUT = "ingressController";

/** What a controller is, as the switch needs to know it: its class, and whether it holds the nodes' 80 and 443. */
export interface SwitchFacts {
  readonly ingressClass: string;
  /** Whether its pods take hostPorts 80 and 443 (nginx, Traefik); Cilium's Envoy is reached through a Service. */
  readonly hostPorts: boolean;
}

export interface IngressSwitch {
  readonly from: string;
  readonly to: string;
  /**
   * Whether the new controller's pods cannot start until the old one's are gone (both hold the nodes' 80 and 443):
   * the run then does not wait for them, since the old DaemonSet is deleted only at the end of the run.
   */
  readonly waitsForPorts: boolean;
  readonly lines: readonly string[];
}

/** The switch this run makes, or undefined when the controller stays (or the site is new). */
export function ingressSwitch(
  previous: unknown,
  to: string,
  facts: (controller: string) => SwitchFacts | undefined,
): IngressSwitch | undefined {
  if (typeof previous !== "string" || previous === to) return undefined;
  const old = facts(previous);
  const next = facts(to);
  if (!old || !next) return undefined;
  const waitsForPorts = old.hostPorts && next.hostPorts;
  const lines = [
    `ingress.controller ${previous} -> ${to}: ${previous}'s objects are deleted and ${to}'s created in this run (the preview lists each)`,
    waitsForPorts
      ? `outage: every node's ports 80 and 443 refuse connections from when ${previous}'s DaemonSet is deleted, at the end of the run, ` +
        `until ${to}'s pod on that node is ready (its pods wait Pending for the ports until then, and the run does not wait for them): ` +
        `about a minute on every node at once`
      : `outage: the site's address changes: ${to} is reached through ${next.hostPorts ? "the nodes' ports 80 and 443" : "a LoadBalancer Service of its own"}, ` +
        `whose address is not ${previous}'s; requests reach ${to} only once DNS names its address`,
    `Ingresses with ingressClassName ${old.ingressClass} are served by nobody after the switch: set it to ${next.ingressClass}, or leave it out (${to}'s class is the default)`,
  ];
  return { from: previous, to, waitsForPorts, lines };
}
