/**
 * The `ingress` section of the stack config: which ingress controller (ingress.controller), the settings every
 * controller reads, and each controller's fragment (nginx's: ingress.config). The registry of the controllers' fragments, as
 * src/cni/section.ts is of the CNIs'; src/concerns/registry.ts registers what each does and must have exactly these
 * names, or it does not compile. Adding a controller: its fragment here, its name in CONTROLLERS.
 */
import { z } from "zod";
import { nginxConfigSchema } from "./nginx/schema";

/** The values of ingress.controller, the first the default. */
const CONTROLLERS = ["nginx"] as const;

/** `a`, `a or b`, `a, b or c`. */
function alternatives(names: readonly string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : (names[0] ?? "");
}

export const ingressSchema = z.strictObject({
  controller: z.enum(CONTROLLERS, { message: `expected ${alternatives(CONTROLLERS)}` }).default(CONTROLLERS[0]),
  proxyProtocol: z
    .boolean()
    .optional()
    .meta({ description: "Expect the PROXY protocol on 80/443. Default: true on hetzner, false on ssh sites." }),
  // nginx's fragment: its ConfigMap's keys. A controller with settings of its own adds `<name>: <fragment>` here.
  config: nginxConfigSchema.default({}).meta({ description: "Extra keys for the controller's ConfigMap." }),
});

/** An ingress controller's name, the value of ingress.controller. */
export type IngressControllerName = z.output<typeof ingressSchema>["controller"];

/** The ingress controllers, in the order of ingress.controller's values. */
export const INGRESS_CONTROLLER_NAMES: readonly IngressControllerName[] = CONTROLLERS;
