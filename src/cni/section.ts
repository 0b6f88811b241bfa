/**
 * The `cni` section of the stack config: which CNI (cni.plugin) and each one's fragment, under its name. This is the
 * registry of the CNIs' fragments; src/concerns/registry.ts registers what each one does. They are two lists because
 * SiteConfig, which every rule reads, is this schema's output: the fragments sit below it, the rules above.
 * CniName comes from here, and the behaviour registry must have exactly these names, or it does not compile.
 */
import { z } from "zod";
import { calicoSchema } from "./calico/schema";
import { canalSchema } from "./canal/schema";
import { ciliumSchema } from "./cilium/schema";
import { flannelSchema } from "./flannel/schema";

export const cniSchema = z.strictObject({
  plugin: z
    .enum(["canal", "cilium", "calico", "flannel"], { message: "expected canal, cilium, calico or flannel" })
    .optional()
    .meta({ description: "Default: canal on hetzner sites, cilium on ssh sites. Fixed at creation." }),
  canal: canalSchema.prefault({}),
  cilium: ciliumSchema.prefault({}),
  calico: calicoSchema.prefault({}),
  flannel: flannelSchema.prefault({}).meta({ description: "k3s's own Flannel (cni.plugin flannel)." }),
});

/** A CNI's name, the value of cni.plugin. */
export type CniName = NonNullable<z.output<typeof cniSchema>["plugin"]>;

/** The CNIs, in the order of cni.plugin's values. */
export const CNI_NAMES: readonly CniName[] = cniSchema.shape.plugin.unwrap().options;
