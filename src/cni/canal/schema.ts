/** The `cni.canal` section of the stack config. */
import { z } from "zod";
import { cniResources } from "../schema";

export const canalSchema = z.strictObject({
  version: z
    .string()
    .regex(/^v3\.\d+\.\d+$/, { message: "expected a Calico release tag such as v3.32.1" })
    .default("v3.32.1")
    .meta({ description: "Calico release whose canal.yaml is applied; bumping it is the whole upgrade." }),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { message: "expected the 64 hex digits of a sha256" })
    .optional()
    .meta({ description: "sha256 of canal.yaml; needed only for versions k3s-sites does not pin." }),
  interface: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        "Interface Flannel sends VXLAN over. Default: the one that reaches the node network (hetzner), autodetect (ssh).",
    }),
  mtu: z
    .int()
    .min(1280)
    .max(9000)
    .optional()
    .meta({ description: "Pod interface MTU. Default: 1400 on hetzner (1450 minus VXLAN), 1450 on ssh sites." }),
  resources: cniResources.optional(),
  imageRegistry: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { message: "expected a registry such as registry.example.com/mirror" })
    .optional()
    .meta({ description: "Pull Calico and Flannel images from this registry instead of the upstream ones." }),
});
