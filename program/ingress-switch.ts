/**
 * The ingress controller a deployment records, and the switch a run makes from the previous one (src/ingress/
 * switch.ts), read through the registry so that no controller is named here.
 */
import { FIXED_SETTINGS_OUTPUT } from "../src/cluster/guards";
import { INGRESS_CONTROLLERS } from "../src/concerns/registry";
import type { SiteConfig } from "../src/config/site";
import { INGRESS_CONTROLLER_NAMES } from "../src/ingress/section";
import { INGRESS_CONTROLLER_OUTPUT, ingressSwitch, type IngressSwitch, type SwitchFacts } from "../src/ingress/switch";
import type { PreviousDeployment } from "./previous-deployment";

/** ingress.controller's default: the only controller there was before the choice, so the one an older deployment ran. */
const DEFAULT_CONTROLLER = INGRESS_CONTROLLER_NAMES[0];

function factsOf(controller: string): SwitchFacts | undefined {
  const found = Object.values(INGRESS_CONTROLLERS).find((c) => c.name === controller);
  return found ? { ingressClass: found.edge.ingressClass, hostPorts: found.edge.hostPorts } : undefined;
}

/** The switch this run makes, or undefined on a new site or when the controller stays. */
export function ingressSwitchOf(
  config: SiteConfig,
  deployment: Pick<PreviousDeployment, "fixedSettings" | "ingressController">,
): IngressSwitch | undefined {
  const deployed = deployment.fixedSettings !== undefined && deployment.fixedSettings !== null;
  if (!deployed) return undefined;
  return ingressSwitch(deployment.ingressController ?? DEFAULT_CONTROLLER, config.ingress.controller, factsOf);
}

/** The stack output recording the controller; left out for the default, as deployments before the choice had it. */
export function ingressControllerOutput(config: SiteConfig): Record<string, string> {
  return config.ingress.controller === DEFAULT_CONTROLLER ? {} : { [INGRESS_CONTROLLER_OUTPUT]: config.ingress.controller };
}

/** What a switch needs of the previous deployment, from its stack outputs as the plan reads them. */
export function previousDeploymentOf(outputs: Readonly<Record<string, unknown>>): Pick<PreviousDeployment, "fixedSettings" | "ingressController"> {
  const controller = outputs[INGRESS_CONTROLLER_OUTPUT];
  return { fixedSettings: outputs[FIXED_SETTINGS_OUTPUT], ...(typeof controller === "string" ? { ingressController: controller } : {}) };
}
