import * as pulumi from "@pulumi/pulumi";
import { KUBECONFIG_EXPIRES_OUTPUT } from "../src/cluster/certificates";
import { SSH_ACCESS_OUTPUT } from "../src/cluster/access";
import { PROTECTED_OUTPUT } from "../src/cluster/protection";
import { FIXED_SETTINGS_OUTPUT } from "../src/cluster/guards";
import { REMOVAL_SCRIPT_OUTPUT } from "../src/cluster/removal-script";
import { INGRESS_CONTROLLER_OUTPUT } from "../src/ingress/switch";
import { STORAGE_DRIVER_OUTPUT } from "../src/storage/switch";

/** The stack output that records the k3s version the previous deployment installed. */
export const K3S_VERSION_OUTPUT = "k3sVersion";

/** What the stack's previous deployment recorded; every field undefined before the first deployment. */
export interface PreviousDeployment {
  /** The fixed settings (src/cluster/guards.ts), with the cluster's membership. */
  readonly fixedSettings: unknown;
  /** The k3s version it installed; undefined for a deployment of an older version of this program. */
  readonly k3sVersion?: string;
  /** When the admin kubeconfig's client certificate expires (ISO 8601); undefined before a deployment recorded it. */
  readonly kubeconfigExpires?: string;
  /** How it reached the nodes (src/cluster/access.ts); undefined before a deployment recorded it. */
  readonly sshAccess?: unknown;
  /** What it protected (src/cluster/protection.ts); undefined before a deployment recorded it. */
  readonly protected?: unknown;
  /** Which removal script its membership commands hold (src/cluster/removal-script.ts); undefined before recorded. */
  readonly removalScript?: string;
  /** The ingress controller it installed, when it recorded one (src/ingress/switch.ts). */
  readonly ingressController?: string;
  /** The storage driver it installed, when it recorded one (src/storage/switch.ts). */
  readonly storageDriver?: string;
}

/** Reads the previous deployment's outputs back through a StackReference to the stack itself. */
export async function previousDeployment(): Promise<PreviousDeployment> {
  const self = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const ref = new pulumi.StackReference("previous-deployment", { name: self });
  const value = async (name: string) => {
    const details = await ref.getOutputDetails(name);
    return details.value ?? details.secretValue;
  };
  const fixedSettings = await value(FIXED_SETTINGS_OUTPUT);
  const version = await value(K3S_VERSION_OUTPUT);
  const expires = await value(KUBECONFIG_EXPIRES_OUTPUT);
  const sshAccess = await value(SSH_ACCESS_OUTPUT);
  const protectedRecord = await value(PROTECTED_OUTPUT);
  const removalScript = await value(REMOVAL_SCRIPT_OUTPUT);
  const ingressController = await value(INGRESS_CONTROLLER_OUTPUT);
  const storageDriver = await value(STORAGE_DRIVER_OUTPUT);
  return {
    fixedSettings,
    ...(typeof version === "string" ? { k3sVersion: version } : {}),
    ...(typeof expires === "string" ? { kubeconfigExpires: expires } : {}),
    ...(sshAccess !== undefined && sshAccess !== null ? { sshAccess } : {}),
    ...(protectedRecord !== undefined && protectedRecord !== null ? { protected: protectedRecord } : {}),
    ...(typeof removalScript === "string" ? { removalScript } : {}),
    ...(typeof ingressController === "string" ? { ingressController } : {}),
    ...(typeof storageDriver === "string" ? { storageDriver } : {}),
  };
}
