import * as pulumi from "@pulumi/pulumi";
import { Site } from "./site";
import { loadStackConfig } from "./stack-config";

/** The whole program: read the stack config, build the site, return the stack outputs. */
export async function main(): Promise<Record<string, unknown>> {
  const { config, secrets } = loadStackConfig();
  const site = new Site("site", { siteName: pulumi.getStack(), config, secrets });
  return {
    kind: config.site.kind,
    nodes: site.nodes,
    ...(site.loadBalancer ? { loadBalancer: site.loadBalancer } : {}),
    ...(site.networkId ? { networkId: site.networkId } : {}),
  };
}
