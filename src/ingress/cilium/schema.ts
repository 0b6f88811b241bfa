/** The `ingress.cilium` section of the stack config: the names the site's Gateway serves over HTTPS. */
import { z } from "zod";

const hostname = z.string().regex(/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/, {
  message: "expected a fully qualified DNS name such as app.example.com (or *.example.com with DNS-01)",
});

export const ciliumIngressSchema = z.strictObject({
  hosts: z
    .array(hostname)
    .default([])
    .meta({
      description:
        "Names the site's Gateway serves over HTTPS, one listener each with a certificate from cert-manager. " +
        "HTTP on port 80 is served for every name.",
    }),
});

export type CiliumIngressSettings = z.output<typeof ciliumIngressSchema>;
