/** The `cni.cilium` section of the stack config. */
import { z } from "zod";
import { cidr } from "../../config/fields";
import { cniResources } from "../schema";

export const ciliumSchema = z.strictObject({
  version: z
    .string()
    .regex(/^1\.\d+\.\d+$/, { message: "expected a Cilium chart version such as 1.19.1" })
    .optional()
    .meta({ description: "Cilium Helm chart version. Default: the version k3s-sites pins." }),
  devices: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: "Interfaces Cilium attaches to for NodePort and L2 traffic, e.g. [eth0]. Default: detected." }),
  mtu: z
    .int()
    .min(1280)
    .max(9000)
    .optional()
    .meta({
      description:
        "MTU of the network under Cilium's VXLAN (Cilium takes the header off it); at most 1450 on hetzner. " +
        "Default: 1450 on hetzner, detected elsewhere.",
    }),
  hubble: z
    .strictObject({
      enabled: z.boolean().default(true),
      relay: z.boolean().default(true),
    })
    .prefault({})
    .meta({ description: "Hubble flow observability, with its relay." }),
  resources: cniResources.optional(),
  loadBalancerPools: z
    .array(cidr())
    .default([])
    .meta({ description: "LB-IPAM ranges handed to Services of type LoadBalancer." }),
  l2Announcements: z
    .strictObject({
      interfaces: z.array(z.string().min(1)).min(1).meta({ description: "Interfaces to answer ARP on, e.g. eth0." }),
      nodeSelector: z
        .record(z.string(), z.string())
        .optional()
        .meta({ description: "Only nodes with these labels announce. Default: all nodes." }),
    })
    .optional()
    .meta({ description: "Announce LoadBalancer IPs on the LAN (home sites only)." }),
});
