import * as pulumi from "@pulumi/pulumi";
import { FIXED_SETTINGS_OUTPUT } from "../src/cluster/guards";

/**
 * The fixed settings the stack's previous deployment recorded, read back through a StackReference to the stack
 * itself; undefined before the first deployment.
 */
export async function previousFixedSettings(): Promise<unknown> {
  const self = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const ref = new pulumi.StackReference("previous-deployment", { name: self });
  const details = await ref.getOutputDetails(FIXED_SETTINGS_OUTPUT);
  return details.value ?? details.secretValue;
}
