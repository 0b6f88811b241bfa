/**
 * The policies of the k3s-sites pack, built from the plain rules in rules.ts. index.ts serves them to the Pulumi
 * CLI; tests call them directly (constructing a PolicyPack starts its gRPC server, so tests never do).
 *
 * Facts about @pulumi/policy 1.21.0 the pack is built on (node_modules/@pulumi/policy/server.js):
 * - validateResource and validateStack receive props deserialized with `deserializeProperties(props, false)`:
 *   secrets arrive unwrapped, as plain values, so no validation can tell a secret from a plain value. Only
 *   remediateResource receives them with their marks (`deserializeProperties(props, true)`, wrapped in `Secret`).
 *   So the secrets rule is a remediation in a real preview: it marks a remote command's connection and stdin
 *   secret (a no-op when they already are); the offline plan, which shows secrets as "[secret]", checks the program
 *   marks them itself (test/policy-pack/plan.test.ts).
 * - props go through `unknownCheckingProxy`: a rule reading a value only known after deployment throws
 *   UnknownValueError, which the pack reports as an advisory "can't run policy ... during preview", not a failure.
 * - PolicyPack's constructor reads `${process.cwd()}/package.json` for the pack's version (policy/package.json).
 */
import { Secret, type Policies, type PolicyResource as PackResource } from "@pulumi/policy";
import {
  TYPES,
  commandSecretProblems,
  defaultDenyProblems,
  firewallProblems,
  kubeObjectsOf,
  privilegedProblems,
  protectProblems,
  userDataProblems,
  type PolicyResource,
} from "./rules";

function asRules(resources: readonly PackResource[]): PolicyResource[] {
  return resources.map((r) => ({ type: r.type, name: r.name, inputs: r.props, protect: r.opts.protect === true }));
}

function resourcePolicy(
  name: string,
  description: string,
  rule: (type: string, inputs: Readonly<Record<string, unknown>>) => string[],
): Policies[number] {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      for (const problem of rule(args.type, args.props)) reportViolation(problem);
    },
  };
}

function stackPolicy(name: string, description: string, rule: (resources: PolicyResource[]) => string[]): Policies[number] {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const problem of rule(asRules(args.resources))) reportViolation(problem);
    },
  };
}

/** Marks a remote command's connection and stdin secret; undefined (no change) for other resources. */
export function markCommandSecrets(type: string, props: Record<string, unknown>): Record<string, unknown> | undefined {
  if (type !== TYPES.command) return undefined;
  const out: Record<string, unknown> = { ...props };
  for (const key of ["connection", "stdin"]) {
    if (props[key] !== undefined) out[key] = new Secret(props[key]);
  }
  return out;
}

export const POLICIES: Policies = [
  resourcePolicy("no-world-ssh-or-api", "No firewall rule opens SSH (22) or the Kubernetes API (6443) to 0.0.0.0/0 or ::/0 unless site.allowWorld", firewallProblems),
  resourcePolicy("no-server-user-data", "No server boots with user data", userDataProblems),
  {
    name: "remote-command-secrets",
    description: "A remote command's private keys and stdin (tokens) are secret",
    enforcementLevel: "remediate",
    remediateResource: (args) => markCommandSecrets(args.type, args.props),
  },
  stackPolicy("namespaces-default-deny", "Every namespace the program manages has a default-deny NetworkPolicy", (rs) =>
    defaultDenyProblems(kubeObjectsOf(rs)),
  ),
  stackPolicy("no-privileged-workloads", "No workload runs privileged outside kube-system and the CNI's namespace", (rs) =>
    privilegedProblems(kubeObjectsOf(rs)),
  ),
  stackPolicy("protected-stays-protected", "The network, its subnets and the control-plane servers follow site.protect", protectProblems),
];

// The plain check of the secrets rule, for the plan (where secrets are visible as "[secret]").
export { commandSecretProblems };
