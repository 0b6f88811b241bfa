/**
 * Runs real CNI plugin binaries inside a lab (test/lab/netns.ts) the way Multus runs a NetworkAttachmentDefinition's
 * config for one entry of a pod's `k8s.v1.cni.cncf.io/networks` annotation. What is reproduced, and where it is read:
 *
 * - The plugin runs in the node's namespace (macvlan finds its `master` there) with CNI_COMMAND=ADD,
 *   CNI_CONTAINERID, CNI_NETNS (the pod namespace's path), CNI_IFNAME, CNI_PATH and CNI_ARGS, the config on stdin,
 *   its result on stdout: the CNI spec (containernetworking/cni SPEC.md, "Parameters" and "Result").
 * - Multus names the interfaces of the annotation's entries net1, net2, ... in order (multus-cni v4.3.0,
 *   pkg/multus/multus.go, getIfname: `net` + the delegate's index, the cluster network being 0, when the entry names no interface), passes the kubelet's
 *   CNI_ARGS through (IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..), and the entry's `ips` as the capability
 *   argument `ips` (pkg/types/conf.go, CreateCNIRuntimeConf).
 * - A conflist runs its plugins in order, each with the list's `name` and `cniVersion`, the previous plugin's result
 *   as `prevResult`, and `runtimeConfig` holding only the capability arguments the plugin declares in
 *   `capabilities` (containernetworking/cni libcni/api.go, buildOneConfig and injectRuntimeConfig).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./netns";

/** Where a package puts the plugins: Debian's containernetworking-plugins, or the upstream archive's usual place. */
const CNI_DIRS = ["/usr/lib/cni", "/opt/cni/bin"];

export function cniPath(plugins: readonly string[]): string | undefined {
  return CNI_DIRS.find((dir) => plugins.every((p) => existsSync(join(dir, p))));
}

/** Why these plugins cannot run here, or false. */
export function cniSkip(plugins: readonly string[]): string | false {
  return cniPath(plugins) ? false : `lab: no CNI plugins ${plugins.join(", ")} in ${CNI_DIRS.join(" or ")} (install containernetworking-plugins)`;
}

export interface CniResult {
  readonly ips?: readonly { readonly address: string; readonly gateway?: string; readonly interface?: number }[];
  readonly interfaces?: readonly { readonly name: string; readonly sandbox?: string }[];
  readonly routes?: readonly { readonly dst: string; readonly gw?: string }[];
}

/** The entry of a pod's networks annotation, as Multus reads it. */
export interface Selection {
  readonly name: string;
  readonly namespace?: string;
  readonly ips?: readonly string[];
}

type Conf = Record<string, unknown>;

/** One plugin's ADD in `nodeNs` for the pod namespace `podNs`; returns its result, throws with its error. */
export function cniAddOne(lab: Lab, nodeNs: string, podNs: string, ifname: string, conf: Conf, pod: { namespace: string; name: string }): CniResult {
  const type = String(conf.type);
  const dir = cniPath([type]);
  if (!dir) throw new Error(`lab: no CNI plugin ${type}`);
  const env = {
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: `${pod.namespace}-${pod.name}`,
    CNI_NETNS: `/var/run/netns/${lab.netns(podNs)}`,
    CNI_IFNAME: ifname,
    CNI_PATH: dir,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name}`,
  };
  const out = spawnSync("ip", ["netns", "exec", lab.netns(nodeNs), "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), join(dir, type)], {
    input: JSON.stringify(conf),
    encoding: "utf8",
  });
  if (out.status !== 0) throw new Error(`lab: CNI ${type} ADD ${ifname} in ${podNs} failed: ${out.stdout}${out.stderr}`);
  return JSON.parse(out.stdout) as CniResult;
}

/** A NAD's config (plugin or conflist) for one annotation entry, as Multus and libcni run it. */
export function cniAdd(lab: Lab, nodeNs: string, podNs: string, ifname: string, config: Conf, selection: Selection, pod: { namespace: string; name: string }): CniResult {
  const capabilityArgs: Record<string, unknown> = selection.ips ? { ips: [...selection.ips] } : {};
  const plugins = Array.isArray(config.plugins) ? (config.plugins as Conf[]) : [config];
  let prev: CniResult | undefined;
  for (const plugin of plugins) {
    const declared = Object.entries((plugin.capabilities as Record<string, boolean> | undefined) ?? {}).filter(([, on]) => on).map(([k]) => k);
    const runtimeConfig = Object.fromEntries(declared.filter((k) => k in capabilityArgs).map((k) => [k, capabilityArgs[k]]));
    const conf: Conf = {
      ...plugin,
      name: config.name,
      cniVersion: config.cniVersion,
      ...(Object.keys(runtimeConfig).length > 0 ? { runtimeConfig } : {}),
      ...(prev ? { prevResult: prev } : {}),
    };
    prev = cniAddOne(lab, nodeNs, podNs, ifname, conf, pod);
  }
  return prev!;
}

/** An interface's transmitted packets (kernel counters). */
export function txPackets(lab: Lab, ns: string, ifname: string): number {
  const [link] = JSON.parse(lab.ip(ns, "-j", "-s", "link", "show", "dev", ifname)) as { stats64: { tx: { packets: number } } }[];
  return link!.stats64.tx.packets;
}
