/**
 * What the rest of the site needs to know of its ingress controller, whichever it is: the policies that let clients
 * in and the controller out to apps, the verification Jobs that call it and read its log, cert-manager's HTTP-01
 * solver, the switch between controllers. Each controller's folder exports one of these; nothing outside that
 * folder names the controller.
 */
import type { Labels } from "../policy/objects";

/** The controller's own pods, for a controller that runs in pods of its own on the pod network (nginx, Traefik). */
export interface EdgePods {
  readonly namespace: string;
  readonly labels: Labels;
  /** The ports its pods listen on for the nodes' 80 and 443 (a NetworkPolicy names the pod's port, not the node's). */
  readonly httpPort: number;
  readonly httpsPort: number;
  /** The container whose access log's first field is the client address (the edge check reads it). */
  readonly logContainer: string;
  /** Whether it proxies to the endpoints (pod address and port) itself, so that it needs egress to every backend. */
  readonly proxiesToEndpoints: true;
}

export interface IngressEdge {
  /** ingress.controller's value, and how messages name it. */
  readonly controller: string;
  readonly ingressClass: string;
  /**
   * The namespace the program creates for it (its pods', or Cilium's Gateway's), isolated like every namespace
   * where networkPolicies.defaultDeny holds: the policy pack reads the site's isolation from it.
   */
  readonly namespace: string;
  /** Its pods; undefined for Cilium, whose Envoy runs inside the agents on the host network. */
  readonly pods?: EdgePods;
  /**
   * What the edge check (src/verify/edge.sh, server_of) sees of an answer from it, as a shell case pattern on the
   * Server header: so that a check passes on the controller, not on whatever else answers on 80.
   */
  readonly answers: string;
  /** Whether its pods take the nodes' 80 and 443 as hostPorts. */
  readonly hostPorts: boolean;
  /** The LoadBalancer Service in front of it on a site that hands out LoadBalancer addresses: `namespace/name`. */
  readonly loadBalancerService: string;
}
