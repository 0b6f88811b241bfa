/**
 * What Pulumi's engine refuses about a set of resources, whether the offline run registers them or a previous state
 * holds them. Read from pulumi/pulumi at v3.248.0, the version package-lock.json pins for @pulumi/pulumi:
 *
 * - A URN registered twice: pkg/resource/deploy/step_generator.go, generateURN, fails the registration with
 *   sdk/go/common/diag/errors.go GetDuplicateResourceURNError (code 2001); a URN that another resource of the run
 *   claims as an alias fails with GetDuplicateResourceAliasedError (code 2016, step_generator.go, getOldResource).
 * - A dependency cycle: a program registers a resource only after everything it depends on (the SDK awaits their
 *   URNs), so a state is always in dependency order, and pkg/resource/deploy/snapshot.go, VerifyIntegrity, refuses
 *   one where a parent, provider, dependency, property dependency or deletedWith comes after the resource or is
 *   missing ("Toposort": "such snapshots will never be valid Pulumi states"). A cycle can only show up that way.
 * - Deleting or replacing a protected resource: plan/diff.ts (step.go DeleteStep.Apply, step_generator.go).
 *
 * Each rule returns the engine's message, with the URN in full as the engine prints it.
 */
/** The fields the rules read: a recorded resource, or a resource of a previous state. */
export interface RuleResource {
  readonly urn: string;
  readonly type: string;
  readonly parent?: string;
  readonly provider?: string;
  readonly dependsOn?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  readonly deletedWith?: string;
  readonly aliases?: readonly string[];
}

export interface UrnContext {
  readonly stack: string;
  readonly project: string;
}

export function fullUrn(ctx: UrnContext, urn: string): string {
  return urn.startsWith("urn:pulumi:") ? urn : `urn:pulumi:${ctx.stack}::${ctx.project}::${urn}`;
}

const STACK_TYPE = "pulumi:pulumi:Stack";
const isStackUrn = (urn: string) => urn.startsWith(`${STACK_TYPE}::`) || urn.includes(`::${STACK_TYPE}::`);

/** step_generator.go, generateURN and getOldResource: one resource per URN, and no URN that is another's alias. */
export function duplicateUrnErrors(resources: readonly RuleResource[], ctx: UrnContext): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const aliasOf = new Map<string, string>();
  for (const r of resources) {
    if (seen.has(r.urn)) {
      errors.push(`Duplicate resource URN '${fullUrn(ctx, r.urn)}'; try giving it a unique name`);
      continue;
    }
    seen.add(r.urn);
    for (const alias of r.aliases ?? []) if (alias !== r.urn) aliasOf.set(alias, r.urn);
  }
  for (const r of resources) {
    const owner = aliasOf.get(r.urn);
    if (owner !== undefined) {
      errors.push(
        `Duplicate resource URN '${fullUrn(ctx, r.urn)}' conflicting with alias on resource with URN '${fullUrn(ctx, owner)}'`,
      );
    }
  }
  return errors;
}

/**
 * snapshot.go, VerifyIntegrity: everything a resource refers to comes before it. In a run, a reference to a resource
 * registered later is a cycle (the SDK would wait for ever); in a state, it is a state Pulumi refuses to load.
 */
export function dependencyOrderErrors(resources: readonly RuleResource[], ctx: UrnContext): string[] {
  const errors: string[] = [];
  const all = new Set(resources.map((r) => r.urn));
  const before = new Set<string>();
  for (const r of resources) {
    const refs: [string, string][] = [
      ...(r.parent ? [["parent", r.parent] as [string, string]] : []),
      ...(r.provider ? [["provider", r.provider] as [string, string]] : []),
      ...(r.dependsOn ?? []).map((d): [string, string] => ["dependency", d]),
      ...Object.entries(r.propertyDependencies ?? {}).flatMap(([key, deps]) =>
        deps.map((d): [string, string] => [`property dependency (from property ${key})`, d]),
      ),
      ...(r.deletedWith ? [["deletedWith", r.deletedWith] as [string, string]] : []),
    ];
    for (const [what, ref] of refs) {
      if (before.has(ref) || isStackUrn(ref) || ref === r.urn) continue;
      const where = all.has(ref) ? "comes after it: a dependency cycle" : "refers to a missing resource";
      errors.push(`resource ${fullUrn(ctx, r.urn)}'s ${what} ${fullUrn(ctx, ref)} ${where}`);
    }
    before.add(r.urn);
  }
  return errors;
}

/** Every refusal of the engine's for the resources of one run or one state, in registration order. */
export function engineErrors(resources: readonly RuleResource[], ctx: UrnContext): string[] {
  return [...duplicateUrnErrors(resources, ctx), ...dependencyOrderErrors(resources, ctx)];
}
