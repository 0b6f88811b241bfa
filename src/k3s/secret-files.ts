/**
 * Stack secrets the servers keep as files for the pods that need them, so that the secret is in no Kubernetes
 * Secret: a Secret is readable by every controller whose ClusterRole reads Secrets in every namespace (cert-manager's,
 * the ingress controller's), and RBAC cannot exclude one namespace from such a role. A file readable by root alone on
 * the servers adds no reader: root there already holds the cluster's admin credentials. The node script writes each
 * from its stdin (src/k3s/node.sh) and removes any file there the site no longer gives; the concerns say which
 * (their k3s.serverSecretFiles, gathered by serverSecretFilesOf in src/concerns/registry.ts).
 */

/** Where the servers keep them: root's alone (0700; each file 0600). */
export const SERVER_SECRETS_DIR = "/etc/k3s-sites/secrets";

/** The host folder of one concern's files, which its pods mount read-only. */
export function serverSecretFolder(folder: string): string {
  return `${SERVER_SECRETS_DIR}/${folder}`;
}
