/** nginx as the site's ingress (src/ingress/edge.ts). */
import { NGINX } from "../../edge/names";
import type { IngressEdge } from "../edge";

export const NGINX_EDGE: IngressEdge = {
  controller: "nginx",
  ingressClass: NGINX.ingressClass,
  namespace: NGINX.namespace,
  pods: {
    namespace: NGINX.namespace,
    labels: NGINX.podLabels,
    httpPort: NGINX.httpPort,
    httpsPort: NGINX.httpsPort,
    logContainer: NGINX.name,
    proxiesToEndpoints: true,
  },
  // NGINX Ingress Controller sends Server: nginx (server_tokens off drops only the version).
  answers: "nginx*",
  hostPorts: true,
  loadBalancerService: `${NGINX.namespace}/${NGINX.name}`,
};
