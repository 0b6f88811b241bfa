/**
 * Which property changes a provider carries out by replacing the resource rather than updating it, for every
 * resource type the program uses, as data read from each provider's own code at the pinned versions (the sources
 * are listed in upstream/SOURCES.md, section "providers", and each fact has a test in test/plan/replacements.test.ts).
 *
 * Paths are Pulumi property paths (camelCase, the SDK's names): a change at the path or anywhere below it replaces.
 */
import { REMOTE_COMMAND_TYPE } from "../src/k3s/names";

/** A Pulumi property path, dot-separated; `[*]` matches any list index. */
export type PropertyPath = string;

/**
 * The Terraform hcloud provider's ForceNew (SDKv2) and RequiresReplace (plugin framework) attributes, in the names
 * @pulumi/hcloud gives them (snake_case to camelCase; a list block takes the plural: `ssh_keys` -> `sshKeys`,
 * `network` -> `networks`). terraform-provider-hcloud v1.66.1 (bridged by pulumi-hcloud v1.39.1) and v1.68.0 carry
 * the same set for these types, apart from the server's deprecated `datacenter`, which the program never sets.
 */
export const HCLOUD_REPLACE_ON: Readonly<Record<string, readonly PropertyPath[]>> = {
  // internal/server/resource.go
  "hcloud:index/server:Server": ["image", "location", "userData", "sshKeys"],
  // internal/network/resource.go
  "hcloud:index/network:Network": ["ipRange"],
  // internal/network/resource_subnet.go
  "hcloud:index/networkSubnet:NetworkSubnet": ["networkId", "type", "networkZone", "ipRange", "vswitchId"],
  // internal/network/resource_route.go
  "hcloud:index/networkRoute:NetworkRoute": ["networkId", "destination", "gateway"],
  // internal/sshkey/resource.go (RequiresReplace)
  "hcloud:index/sshKey:SshKey": ["publicKey"],
  // internal/firewall/resource.go: every attribute is updated in place
  "hcloud:index/firewall:Firewall": [],
  // internal/placementgroup/resource.go: no ForceNew attribute (Update changes name and labels)
  "hcloud:index/placementGroup:PlacementGroup": [],
  // internal/loadbalancer/resource.go
  "hcloud:index/loadBalancer:LoadBalancer": ["location", "networkZone"],
  // internal/loadbalancer/resource_network.go (RequiresReplace)
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": ["loadBalancerId", "networkId", "subnetId", "ip"],
  // internal/loadbalancer/resource_target.go
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": ["loadBalancerId", "serverId", "labelSelector", "ip"],
  // internal/loadbalancer/resource_service.go
  "hcloud:index/loadBalancerService:LoadBalancerService": ["loadBalancerId", "protocol", "listenPort"],
};

/**
 * In-place updates that the hcloud provider carries out by powering the server off first (a hard Poweroff, no
 * graceful shutdown): internal/server/resource.go, resourceServerUpdate (`server_type`: Poweroff when running, then
 * ChangeType) and updatePublicNet (`public_net`: Poweroff, then the primary IP changes).
 */
export const HCLOUD_POWER_OFF_ON: Readonly<Record<string, readonly PropertyPath[]>> = {
  "hcloud:index/server:Server": ["serverType", "publicNets"],
};

/**
 * @pulumi/command 1.2.1: `triggers` is the only input tagged `provider:"replaceOnChanges"`
 * (provider/pkg/provider/common/inputs.go); every other change runs Update, which runs `update`, or `create` when
 * there is no `update` (provider/pkg/provider/remote/commandController.go). A replacement runs the old `delete`.
 */
export const COMMAND_REPLACE_ON: Readonly<Record<string, readonly PropertyPath[]>> = {
  [REMOTE_COMMAND_TYPE]: ["triggers"],
};

/**
 * @pulumi/random: every argument of random_password has a RequiresReplace plan modifier
 * (internal/provider/resource_password.go); `keepers` replaces when its values are not null.
 */
export const RANDOM_REPLACE_ON: Readonly<Record<string, readonly PropertyPath[]>> = {
  "random:index/randomPassword:RandomPassword": [
    "keepers",
    "length",
    "special",
    "upper",
    "lower",
    "number",
    "numeric",
    "minNumeric",
    "minUpper",
    "minLower",
    "minSpecial",
    "overrideSpecial",
  ],
};

const LABEL_SELECTOR = ["spec.selector"];

/**
 * pulumi-kubernetes provider/pkg/provider/diff.go (`forceNew`): the fields whose change replaces an object, by API
 * group, version and kind, besides metadata.name and metadata.namespace, which replace every object
 * (metadataForceNewProperties). Secrets replace on `type`, `data` and `stringData`, ConfigMaps on `data` and
 * `binaryData`, because the provider's enableSecretMutable and enableConfigMapMutable default to false
 * (provider/pkg/provider/provider.go) and the program sets neither.
 */
export const KUBERNETES_FORCE_NEW: Readonly<Record<string, readonly PropertyPath[]>> = {
  "apps/v1/DaemonSet": LABEL_SELECTOR,
  "apps/v1/Deployment": LABEL_SELECTOR,
  "apps/v1/StatefulSet": [
    "spec.podManagementPolicy",
    "spec.revisionHistoryLimit",
    "spec.selector",
    "spec.serviceName",
    "spec.volumeClaimTemplates",
  ],
  "batch/v1/Job": ["spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
  "v1/Service": ["spec.clusterIP"],
  "v1/Secret": ["type", "stringData", "data"],
  "v1/ConfigMap": ["binaryData", "data"],
  "v1/PersistentVolumeClaim": ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
  "v1/ResourceQuota": ["spec.scopes"],
  "policy/v1beta1/PodDisruptionBudget": ["spec"],
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ["roleRef"],
  "rbac.authorization.k8s.io/v1/RoleBinding": ["roleRef"],
  "storage.k8s.io/v1/StorageClass": ["parameters", "provisioner"],
};

/** Every Kubernetes object: changing its identity replaces it. */
export const KUBERNETES_IDENTITY: readonly PropertyPath[] = ["metadata.name", "metadata.namespace"];

/**
 * The Kubernetes provider resource: with `clusterIdentifier` set and unchanged, no change replaces it; a changed
 * `clusterIdentifier` does (provider/pkg/provider/provider.go, DiffConfig). Without one, a change of the active
 * cluster in `kubeconfig` (or of `context`, `cluster`) replaces it, and with it every object it manages.
 */
export const KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes";

/** The paths whose change replaces a Kubernetes object of this apiVersion and kind. */
export function kubernetesReplaceOn(apiVersion: string, kind: string): readonly PropertyPath[] {
  return [...KUBERNETES_IDENTITY, ...(KUBERNETES_FORCE_NEW[`${apiVersion}/${kind}`] ?? [])];
}

/** The type token the Kubernetes SDK registers an object under: `v1` -> `core/v1`, `apps/v1` stays. */
export function kubernetesTypeOf(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** The replace-on paths a provider declares for a resource type and its inputs. */
export function providerReplaceOn(type: string, inputs: Readonly<Record<string, unknown>>): readonly PropertyPath[] {
  const table = HCLOUD_REPLACE_ON[type] ?? COMMAND_REPLACE_ON[type] ?? RANDOM_REPLACE_ON[type];
  if (table) return table;
  if (type.startsWith("kubernetes:") && typeof inputs.apiVersion === "string" && typeof inputs.kind === "string") {
    return kubernetesReplaceOn(inputs.apiVersion, inputs.kind);
  }
  return [];
}

/** Whether a change at `changed` falls under `rule` (at it or below it, or above it: a whole block replaced). */
export function pathCovers(rule: PropertyPath, changed: PropertyPath): boolean {
  const r = rule.split(".");
  const c = changed.split(".");
  for (let i = 0; i < Math.min(r.length, c.length); i++) {
    const a = r[i] as string;
    const b = c[i] as string;
    if (a === b || a === "[*]" || a === "*" || a === "**") continue;
    // `networks[0].ip` against `networks`: compare the names before any index.
    if (a.replace(/\[\d+\]|\[\*\]/g, "") === b.replace(/\[\d+\]/g, "") && (a.endsWith("[*]") || !a.includes("["))) continue;
    return false;
  }
  return true;
}
