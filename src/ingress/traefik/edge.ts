/** Traefik as the site's ingress (src/ingress/edge.ts). */
import type { IngressEdge } from "../edge";
import { TRAEFIK } from "./names";

export const TRAEFIK_EDGE: IngressEdge = {
  controller: "traefik",
  ingressClass: TRAEFIK.ingressClass,
  namespace: TRAEFIK.namespace,
  pods: {
    namespace: TRAEFIK.namespace,
    labels: TRAEFIK.podLabels,
    httpPort: TRAEFIK.httpPort,
    httpsPort: TRAEFIK.httpsPort,
    logContainer: TRAEFIK.name,
    // Traefik's Kubernetes providers route to the endpoints unless nativeLB is asked for (values.yaml
    // providers.kubernetesIngress.nativeLBByDefault: false, kubernetesCRD likewise).
    proxiesToEndpoints: true,
  },
  // Traefik sends no Server header of its own (its default 404 and routed answers carry none): edge.sh's words.
  answers: "no Server header",
  hostPorts: true,
  // The chart names its Service after the release (templates/service.yaml, traefik.fullname).
  loadBalancerService: `${TRAEFIK.namespace}/${TRAEFIK.name}`,
};
