import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { SSH_ACCESS_OUTPUT, checkRemovalAccess, removedNodes, sshAccessOf } from "../src/cluster/access";
import { REMOVAL_SCRIPT, REMOVAL_SCRIPT_OUTPUT, checkRemovalScript } from "../src/cluster/removal-script";
import { KUBECONFIG_EXPIRES_OUTPUT, renewalDue } from "../src/cluster/certificates";
import { PROTECTED_OUTPUT, checkProtectedRemovals, protectedOf } from "../src/cluster/protection";
import { FIXED_SETTINGS_OUTPUT, checkFixedSettings, fixedSettingsOf } from "../src/cluster/guards";
import { checkMembership, checkRemovedPools, clusterMembersOf, runningServersOf } from "../src/cluster/membership";
import { ConfigError } from "../src/config/problems";
import { readAppManifests } from "../src/apps/manifests";
import { SECRETS } from "../src/config/secrets";
import { concernsInUse } from "../src/concerns/registry";
import { componentOf } from "../components/concerns";
import { isUpgrade } from "../src/k3s/rollout";
import { checkUpgradePath } from "../src/k3s/rules-upgrade";
import { K3S_VERSION_OUTPUT, previousDeployment } from "./previous-deployment";
import { Site } from "../components/site";
import { ingressControllerOutput, ingressSwitchOf } from "./ingress-switch";
import { STORAGE_DRIVER_OUTPUT, storageDriverSwitch } from "../src/storage/switch";
import { loadStackConfig } from "./stack-config";

/** The whole program: read the stack config, build the site, return the stack outputs. */
export async function main(): Promise<Record<string, unknown>> {
  // Read first: the config rules' advice on the number of servers accounts for the running cluster.
  const deployment = await previousDeployment();
  const previous = deployment.fixedSettings;
  const { config, secrets } = loadStackConfig({ runningServers: runningServersOf(previous) });
  // Before any resource: settings k3s fixes at creation must match the previous deployment's, the server that
  // initialized the cluster keeps cluster-init, removals keep a quorum of etcd members and no pool vanishes, and
  // k3s.version moves at most one Kubernetes minor up from the version the previous run installed.
  const deployed = previous !== undefined && previous !== null;
  const members = clusterMembersOf(config, previous);
  const fixed = fixedSettingsOf(config, members.record);
  // The key's value is read here only to tell one key from another (its public half, or a digest); it stays secret.
  const access = sshAccessOf(config, pulumi.runtime.getConfig(SECRETS.sshPrivateKey.key), deployment.sshAccess);
  const problems = [
    ...checkFixedSettings(previous, fixed),
    ...checkUpgradePath(deployment.k3sVersion, config),
    ...checkMembership(config, members),
    ...checkRemovedPools(config, previous),
    ...checkRemovalAccess(config, members, deployment.sshAccess, access),
    ...checkRemovalScript(config, removedNodes(config, members, deployment.sshAccess), deployment.removalScript, deployed),
    ...checkProtectedRemovals(config, deployment.protected),
  ];
  // The apps' own files, relative to this program's folder (the same under pulumi up and the plan, wherever the
  // stack file lives), checked with the rest.
  const apps = readAppManifests(config, join(__dirname, ".."));
  problems.push(...apps.problems);
  if (problems.length > 0) throw new pulumi.RunError(new ConfigError(problems, pulumi.getStack()).message);

  // Fetched (or read from the cache) and checked against its pinned sha256 before any resource exists.
  const concerns = concernsInUse(config);
  const prepared: Record<string, string> = {};
  for (const concern of concerns) {
    try {
      const read = await componentOf(concern).prepare(config);
      if (read !== undefined) prepared[concern.key] = read;
    } catch (err) {
      throw new pulumi.RunError(`${concern.key}: ${(err as Error).message}`);
    }
  }

  // k3s renews its certificates only when it starts: near their expiry, this run renews them on every node.
  const renewal = renewalDue(deployment.kubeconfigExpires, new Date());
  if (renewal) {
    pulumi.log.info(
      `the cluster's admin client certificate expires at ${renewal.expires}: this run renews the certificates of ` +
        "every node (k3s certificate rotate on each server, one at a time, then a restart of each agent)",
    );
  }

  // A change of ingress.controller: said plainly before anything happens (the plan prints the same lines).
  const change = ingressSwitchOf(config, deployment);
  for (const line of change?.lines ?? []) pulumi.log.warn(line);
  // A change of storage.driver (also k3s's local-path switched off on a Hetzner site deployed before storage.driver):
  // what happens to the existing volumes, said before anything happens.
  for (const line of storageDriverSwitch(deployed, deployment.storageDriver, config.storage)) pulumi.log.warn(line);

  const routers = Object.assign({}, ...concerns.map((concern) => componentOf(concern).routers(config, pulumi.getStack()))) as Record<string, string>;
  const site = new Site("site", {
    siteName: pulumi.getStack(),
    config,
    secrets,
    members,
    upgrading: isUpgrade({ deployed, ...deployment }, config.k3s.version),
    firstInstall: !deployed,
    ...(renewal ? { renewal } : {}),
    ...(Object.keys(prepared).length > 0 ? { prepared } : {}),
    ...(apps.manifests.length > 0 ? { appManifests: apps.manifests } : {}),
    ...(change?.waitsForPorts ? { ingressWaitsForPorts: true } : {}),
    ...(change ? { ingressSwitch: { from: change.from, to: change.to } } : {}),
  });
  return {
    kind: config.site.kind,
    [FIXED_SETTINGS_OUTPUT]: fixed,
    // Both resolve only once every node's steps of this run have succeeded (components/k3s/cluster.ts).
    [K3S_VERSION_OUTPUT]: site.cluster.k3sVersion,
    nodes: site.nodes,
    kubeconfig: site.cluster.kubeconfig,
    [KUBECONFIG_EXPIRES_OUTPUT]: site.cluster.kubeconfigExpires,
    // Recorded once every membership command holds this run's connection, which its removal will use.
    // Recorded once every server holds this run's protection (its update, with the nodes' addresses, succeeded).
    [PROTECTED_OUTPUT]: pulumi.output(site.nodes).apply(() => protectedOf(config)),
    [SSH_ACCESS_OUTPUT]: pulumi.all(Object.values(site.cluster.memberships).map((m) => m.id)).apply(() => access),
    // Recorded once every membership command holds this version's removal script (src/cluster/removal-script.ts).
    [REMOVAL_SCRIPT_OUTPUT]: pulumi.all(Object.values(site.cluster.memberships).map((m) => m.id)).apply(() => REMOVAL_SCRIPT),
    ...(site.loadBalancer ? { loadBalancer: site.loadBalancer } : {}),
    ...(site.networkId ? { networkId: site.networkId } : {}),
    // The concerns' own outputs (Multus: the annotation each attached app must carry).
    ...Object.assign({}, ...concerns.map((concern) => componentOf(concern).outputs(config))),
    ...ingressControllerOutput(config),
    // The driver this run installed: the next run says what a change of storage.driver does to existing volumes.
    [STORAGE_DRIVER_OUTPUT]: config.storage.driver,
    // Calico sites with routers, MetalLB BGP peers: each router's side of the BGP sessions (frr.conf, bird.conf text).
    ...(Object.keys(routers).length > 0 ? { routers } : {}),
  };
}
