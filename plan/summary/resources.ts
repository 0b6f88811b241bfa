/**
 * What `pulumi up` registers, in groups a person recognizes: every resource of the run falls in exactly one group,
 * so the groups' counts add up to the total the summary states.
 */
import type { RecordedResource } from "../engine";
import { CHART_TYPE, TYPE } from "../../src/type-tokens";

export interface ResourceGroup {
  /** What the group is, plural, in a person's words. */
  readonly name: string;
  readonly count: number;
}

type Resource = Pick<RecordedResource, "type" | "custom" | "parent">;

/** The component that runs the checks (components/verify): its objects are the checks' Jobs and what they need. */
const VERIFY_TYPE = TYPE.verify;
const CHECKS = "checks: their Jobs run on pulumi up, with what they need (namespace, echo servers, policies)";
/** The apps' own objects (components/apps/workloads.ts): their manifests and the Secrets made for them. */
const APPS = "apps' manifests and the Secrets made for them (networkPolicies.apps: manifest, secrets)";

const HCLOUD_GROUPS: readonly [RegExp, string][] = [
  [/^hcloud:index\/server:Server$/, "servers at Hetzner"],
  [/^hcloud:index\/(network|networkSubnet|networkRoute):/, "private network, its subnets and routes"],
  [/^hcloud:index\/(firewall|firewallAttachment):/, "firewall(s)"],
  [/^hcloud:index\/loadBalancer\w*:/, "load balancer with its services, targets and network"],
  [/^hcloud:index\/placementGroup:/, "spread placement group(s)"],
  [/^hcloud:index\/sshKey:/, "SSH key(s) at Hetzner"],
];

/** The type of a resource's parent, from its short URN `<type chain>::<name>`. */
function parentType(r: Resource): string | undefined {
  return r.parent?.split("::")[0]?.split("$").pop();
}

/** The group of one resource; every resource has one. */
export function groupOf(r: Resource): string {
  // Charts and manifest groups are component resources to Pulumi; each stands for the objects it applies.
  if (parentType(r) === TYPE.appWorkloads) return APPS;
  if (r.type === CHART_TYPE) return "Helm chart(s)";
  if (r.type === "kubernetes:yaml/v2:ConfigGroup") return "manifest groups (a pinned upstream manifest each)";
  if (!r.custom) return "components (Pulumi's grouping: nothing of their own)";
  if (r.type.startsWith("pulumi:providers:")) return "providers (connections to Hetzner, Kubernetes: nothing of their own)";
  for (const [pattern, name] of HCLOUD_GROUPS) if (pattern.test(r.type)) return name;
  if (r.type.startsWith("hcloud:")) return "other Hetzner resources";
  if (r.type.startsWith("command:")) return "commands run over SSH (bootstrap, membership, kubeconfig)";
  if (r.type.startsWith("random:")) return "generated secrets (k3s tokens, keys)";
  if (r.type.startsWith("kubernetes:") && parentType(r) === VERIFY_TYPE) return CHECKS;
  if (r.type.startsWith("kubernetes:")) return "Kubernetes objects (besides those of the charts and manifests, counted in the lines after the charts)";
  return "other resources";
}

/** Groups in a fixed order (first seen), with their counts; the counts sum to `resources.length`. */
export function resourceGroups(resources: readonly Resource[]): ResourceGroup[] {
  const counts = new Map<string, number>();
  for (const r of resources) {
    const g = groupOf(r);
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  const order = [
    ...HCLOUD_GROUPS.map(([, name]) => name),
    "other Hetzner resources",
    "commands run over SSH (bootstrap, membership, kubeconfig)",
    "generated secrets (k3s tokens, keys)",
    "Kubernetes objects (besides those of the charts and manifests, counted in the lines after the charts)",
    "Helm chart(s)",
    "manifest groups (a pinned upstream manifest each)",
    APPS,
    CHECKS,
    "other resources",
    "providers (connections to Hetzner, Kubernetes: nothing of their own)",
    "components (Pulumi's grouping: nothing of their own)",
  ];
  return order.filter((name) => counts.has(name)).map((name) => ({ name, count: counts.get(name)! }));
}

/** The lines of the groups, counts right-aligned. */
export function groupLines(groups: readonly ResourceGroup[]): string[] {
  const width = Math.max(...groups.map((g) => String(g.count).length), 1);
  return groups.map((g) => `  ${String(g.count).padStart(width)} ${g.name}`);
}
