/** The `cni.flannel` section of the stack config (k3s's own Flannel; flannel.ts says what each setting does). */
import { z } from "zod";

export const FLANNEL_BACKENDS = ["vxlan", "wireguard-native", "host-gw"] as const;
export type FlannelBackend = (typeof FLANNEL_BACKENDS)[number];

/** The schema fragment of `cni.flannel`. */
export const flannelSchema = z.strictObject({
  backend: z
    .enum(FLANNEL_BACKENDS, { message: `expected ${FLANNEL_BACKENDS.join(", ")}` })
    .default("vxlan")
    .meta({
      description:
        "vxlan (any network), wireguard-native (encrypted, for links you do not trust; needs the WireGuard kernel " +
        "module on every node) or host-gw (routes only, all nodes on one L2 segment). Fixed at creation.",
    }),
  interface: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "The private interface Flannel uses on every node (k3s flannel-iface). Default: the default route's." }),
  ipv6Masq: z
    .boolean()
    .default(true)
    .meta({ description: "Dual-stack sites: masquerade pods' IPv6 traffic leaving the cluster (k3s flannel-ipv6-masq)." }),
});

export type FlannelConfig = z.output<typeof flannelSchema>;
