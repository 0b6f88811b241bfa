/**
 * Names of the cluster's resources that other code must find: the plan writes each node's bootstrap script as
 * nodes/<node>.sh, and the deploy-time model tells a node's bootstrap from the other remote commands. Made here, and
 * recognized here only.
 */

/** The type token of the remote commands that run the nodes' scripts (@pulumi/command). */
export const REMOTE_COMMAND_TYPE = "command:remote:Command";

/** The remote command that bootstraps a node: `<cluster>-node-<node>` (components/k3s/cluster.ts). */
export function nodeCommandName(cluster: string, node: string): string {
  return `${cluster}-node-${node}`;
}

/** The shape of a node command's name; a node name is a DNS label. Read it through nodeOfCommand. */
const NODE_COMMAND_PATTERN = /-node-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

/** The node a resource bootstraps, when it is a node's bootstrap command; undefined for anything else. */
export function nodeOfCommand(resource: { readonly type: string; readonly name: string }): string | undefined {
  return resource.type === REMOTE_COMMAND_TYPE ? NODE_COMMAND_PATTERN.exec(resource.name)?.[1] : undefined;
}

/**
 * The label k3s sets to "true" on every server's Node (k3s-io/k3s pkg/server/server.go, setNodeLabelsAndAnnotations,
 * util.ControlPlaneRoleLabelKey): a pod that must run on a server selects it.
 */
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
