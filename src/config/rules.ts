/**
 * Cross-field rules of a site: what no single field can say wrong on its own. Each rule returns its problems; the
 * loader runs them all and reports every problem at once, before any resource exists. The rules live by subject in
 * rules-*.ts beside this file and in the concerns' folders; this file lists them in the order they report.
 */
import { unexpectedProblem, type Problem, type RuleContext } from "./problems";
import type { SiteConcerns } from "../concerns/contract";
import { CONCERN_RULES, siteConcerns } from "../concerns/registry";
import { checkNodeNames, checkStackName as checkHetznerStackName } from "../hetzner/rules-names";
import { checkHetznerNetwork, checkNatGatewayAddress, checkOperatorAddresses } from "../hetzner/rules-network";
import { checkClusterRanges } from "../k3s/rules-ranges";
import { checkKubernetesVersion } from "../k3s/rules-versions";
import { checkUnusedSettings } from "./rules-unused";
import { checkHetznerLimits } from "../hetzner/limits";
import type { SiteConfig } from "./site";
import { checkApps } from "./rules-apps";
import { checkLoadBalancer, checkPublicIpv4 } from "./rules-edge";
import { checkAddressesInNetwork, checkNetworkZone, checkServerCount, checkUniqueNodes } from "./rules-nodes";
import { checkClusterDns, checkDisjointRanges, checkDualStack } from "./rules-ranges";

export type { RuleContext } from "./problems";

/** A rule of the site as a whole: a concern's Rule, or one that also reads the running cluster. */
type SiteRule = (config: SiteConfig, concerns: SiteConcerns, context: RuleContext) => Problem[];

export const RULES: readonly SiteRule[] = [
  checkNetworkZone,
  checkHetznerNetwork,
  checkOperatorAddresses,
  checkNodeNames,
  checkUniqueNodes,
  checkAddressesInNetwork,
  function checkServerCountOfCluster(config, _concerns, context) {
    return checkServerCount(config, context);
  },
  checkDisjointRanges,
  checkClusterDns,
  checkClusterRanges,
  checkDualStack,
  // Each concern's own rules (src/concerns/registry.ts).
  ...CONCERN_RULES,
  checkLoadBalancer,
  checkHetznerLimits,
  checkPublicIpv4,
  checkNatGatewayAddress,
  checkKubernetesVersion,
  checkApps,
];

/** Runs a rule; a rule that throws is itself a problem, never a stack trace. */
function run<A extends unknown[]>(rule: (...args: A) => Problem[], ...args: A): Problem[] {
  try {
    return rule(...args);
  } catch (err) {
    return [unexpectedProblem(`k3s-sites (rule ${rule.name})`, err)];
  }
}

export function checkRules(config: SiteConfig, context: RuleContext = {}): Problem[] {
  const concerns = siteConcerns(config);
  return RULES.flatMap((rule) => run(rule, config, concerns, context));
}

/** Rules that need the stack config as written, before defaults filled it. */
export function checkRawRules(raw: Readonly<Record<string, unknown>>, config: SiteConfig): Problem[] {
  return run(checkUnusedSettings, raw, config);
}

/** Rules on the stack's name, which names the site's objects. */
export function checkStackName(stack: string, config: SiteConfig): Problem[] {
  return run(checkHetznerStackName, stack, config);
}
