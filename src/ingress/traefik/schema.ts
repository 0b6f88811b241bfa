/** The `ingress.traefik` section of the stack config: routes from the site's extra TCP ports to apps. */
import { z } from "zod";
import { dnsLabel, port } from "../../config/fields";

const tcpRoute = z.strictObject({
  entryPoint: dnsLabel().meta({ description: "The name of a site.loadBalancer.services entry, e.g. smtp." }),
  namespace: dnsLabel().meta({ description: "The namespace of the app's Service." }),
  service: dnsLabel().meta({ description: "The app's Service." }),
  port: port().meta({ description: "The Service's port." }),
});

export const traefikSchema = z.strictObject({
  tcpRoutes: z
    .array(tcpRoute)
    .default([])
    .meta({
      description:
        "IngressRouteTCP objects from an extra TCP port of the load balancer to an app's Service (any SNI). Apps " +
        "may also write their own IngressRouteTCP on the entry point named after the service.",
    }),
});

export type TraefikSettings = z.output<typeof traefikSchema>;
