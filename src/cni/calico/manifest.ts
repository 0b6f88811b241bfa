/**
 * Calico (policy, IPAM and BGP routing) from the official Calico `calico.yaml`, customized for k3s by one pure
 * function, the same way as Canal (src/cni/canal/manifest.ts): every change is made by name, and an upstream change
 * that removes something relied on fails here. Facts read in projectcalico/calico at v3.31.7 and v3.32.1 (the same
 * at both tags unless said otherwise).
 */
import type { SiteConfig } from "../../config/site";
import { CALICO_MANIFEST_PINS } from "../manifest";
import { addRequests, calicoPlugin, formatCniTemplate, manifestParts, parseCniTemplate, requestsOf, rewriteRegistry, setEnv } from "../customize";
import type { CalicoEncapsulation } from "./schema";
import type { KubernetesObject } from "../../kubernetes/object";

/**
 * Bytes each encapsulation adds to a packet (felix/dataplane/linux/int_dataplane.go: ipipMTUOverhead 20,
 * vxlanMTUOverhead 50, vxlanV6MTUOverhead 70).
 */
export const CALICO_OVERHEAD = { IPIP: 20, VXLAN: 50, VXLANV6: 70 } as const; // bytes

/** What customizeCalico changes in the upstream manifest: plain data, derived from the SiteConfig. */
export interface CalicoSettings {
  /** The Calico release the manifest comes from; only named in error messages. */
  readonly version: string;
  /** Pod interface MTU (veth_mtu, also the tunnel devices' MTU in calico.yaml), in bytes. */
  readonly mtu: number;
  /** IPv6 pod addresses and Felix's IPv6 support (k3s.ipFamilies dual-stack). */
  readonly dualStack: boolean;
  /** Requests of the calico-node container. @default - the upstream requests */
  readonly resources?: { readonly cpu?: string; readonly memory?: string };
  /** Registry (with an optional path) that replaces the registry of every image. @default - the upstream registries */
  readonly imageRegistry?: string;
}

/** The names customizeCalico looks up and the keys it sets, for callers and tests. */
export const CALICO_CUSTOMIZED = {
  namespace: "kube-system",
  configMap: "calico-config",
  daemonSet: "calico-node",
  calicoContainer: "calico-node",
  /** ConfigMap keys. */
  cniNetworkConfig: "cni_network_config",
  vethMtu: "veth_mtu",
  backend: "calico_backend",
  /** BGP needs BIRD: the manifest's backend, kept (the other values, vxlan and none, run no BGP). */
  bird: "bird",
  /**
   * calico-node creates no IP pool of its own (node/pkg/lifecycle/startup/startup.go, configureIPPools: with
   * NO_DEFAULT_POOLS "true" it logs "Skipping IP pool configuration" and returns; with CALICO_IPV4POOL_CIDR or
   * CALICO_IPV6POOL_CIDR also set it terminates). The site applies its IPPools itself.
   */
  noDefaultPoolsEnv: "NO_DEFAULT_POOLS",
  poolCidrEnvs: ["CALICO_IPV4POOL_CIDR", "CALICO_IPV6POOL_CIDR"],
  /**
   * The node's BGP address is its Kubernetes InternalIP, the node-ip k3s registers (startup.go: IP "autodetect" runs
   * IP_AUTODETECTION_METHOD; IPv6 only when IP6 is "autodetect", with IP6_AUTODETECTION_METHOD;
   * autodetection/autodetection_methods.go: "kubernetes-internal-ip"). The default, first-found, may pick a VPN or a
   * bridge.
   */
  ipEnv: "IP",
  ip6Env: "IP6",
  autodetectEnv: "IP_AUTODETECTION_METHOD",
  autodetect6Env: "IP6_AUTODETECTION_METHOD",
  internalIp: "kubernetes-internal-ip",
  /** calico.yaml sets it to "false"; dual-stack sites turn it on. */
  ipv6SupportEnv: "FELIX_IPV6SUPPORT",
  /** What the calico CNI plugin gets in its container_settings (k3s docs, "Custom CNI"). */
  containerSettings: { allow_ip_forwarding: true },
} as const;

/** The pod MTU: the underlay's, minus the largest header of the encapsulations the pools use. */
export function calicoMtu(config: SiteConfig): number {
  const calico = config.cni.calico;
  return calico.mtu ?? calico.underlayMtu - calicoOverhead(calico.encapsulation, config.k3s.ipFamilies === "dual-stack" ? calico.encapsulationV6 : "None");
}

/** The largest header the pools' encapsulations add, in bytes. */
export function calicoOverhead(v4: CalicoEncapsulation, v6: "None" | "VXLANCrossSubnet"): number {
  const four = v4 === "IPIP" ? CALICO_OVERHEAD.IPIP : v4 === "VXLANCrossSubnet" ? CALICO_OVERHEAD.VXLAN : 0;
  const six = v6 === "VXLANCrossSubnet" ? CALICO_OVERHEAD.VXLANV6 : 0;
  return Math.max(four, six);
}

export function calicoSettingsOf(config: SiteConfig): CalicoSettings {
  const calico = config.cni.calico;
  const resources = requestsOf(calico.resources);
  return {
    version: calico.version,
    mtu: calicoMtu(config),
    dualStack: config.k3s.ipFamilies === "dual-stack",
    ...(resources ? { resources } : {}),
    ...(calico.imageRegistry !== undefined ? { imageRegistry: calico.imageRegistry } : {}),
  };
}

/**
 * The upstream manifest with k3s-sites' customizations; `objects` is not modified. In ConfigMap calico-config:
 * `veth_mtu`; the calico CNI plugin's `container_settings.allow_ip_forwarding` and its IPAM's assign_ipv4/assign_ipv6
 * (cni-plugin/pkg/ipamplugin/ipam_plugin.go: IPv4 unless assign_ipv4 is "false", IPv6 only when assign_ipv6 is
 * "true"); `calico_backend` must be bird. In calico-node: NO_DEFAULT_POOLS, the address autodetection, and on
 * dual-stack IP6 and FELIX_IPV6SUPPORT. Optionally the requests of calico-node and every image's registry.
 */
export function customizeCalico(objects: readonly KubernetesObject[], settings: CalicoSettings): KubernetesObject[] {
  const out = structuredClone([...objects]);
  const names = CALICO_CUSTOMIZED;
  const missing = (what: string) =>
    new Error(
      `calico.yaml of Calico ${settings.version} has no ${what}: the upstream manifest changed shape, so k3s-sites ` +
        `cannot apply its customizations (IP pools, BGP, MTU, IP forwarding). Use a cni.calico.version k3s-sites ` +
        `supports (${Object.keys(CALICO_MANIFEST_PINS).join(", ")}), or teach src/cni/calico/manifest.ts the new layout`,
    );

  const { data, stringKey, container, requireRead } = manifestParts(out, names, missing);
  for (const key of [names.cniNetworkConfig, names.vethMtu, names.backend]) stringKey(key);
  if (data[names.backend] !== names.bird) {
    throw missing(`${names.backend} ${names.bird} in ConfigMap ${names.configMap} (it is ${String(data[names.backend])})`);
  }

  const cni = parseCniTemplate(stringKey(names.cniNetworkConfig), () => missing(`JSON in ${names.configMap} ${names.cniNetworkConfig}`));
  const calico = calicoPlugin(cni);
  if (!calico) throw missing(`calico plugin in ${names.configMap} ${names.cniNetworkConfig}`);
  const ipam = calico.ipam as Record<string, unknown> | undefined;
  if (ipam?.type !== "calico-ipam") throw missing(`calico-ipam in the calico plugin of ${names.configMap} ${names.cniNetworkConfig}`);
  calico.container_settings = { ...(calico.container_settings as object | undefined), ...names.containerSettings };
  calico.ipam = { ...ipam, assign_ipv4: "true", assign_ipv6: settings.dualStack ? "true" : "false" };
  data[names.cniNetworkConfig] = formatCniTemplate(cni);
  data[names.vethMtu] = String(settings.mtu);

  const calicoNode = container(names.calicoContainer);
  const envValue = (name: string): string | undefined => calicoNode.env?.find((e) => e.name === name)?.value;
  requireRead(names.vethMtu);
  if (envValue(names.ipEnv) !== "autodetect") throw missing(`${names.ipEnv} autodetect in container ${names.calicoContainer}`);
  if (envValue(names.ipv6SupportEnv) === undefined) throw missing(`${names.ipv6SupportEnv} in container ${names.calicoContainer}`);

  calicoNode.env = (calicoNode.env ?? []).filter((e) => !(names.poolCidrEnvs as readonly string[]).includes(e.name));
  setEnv(calicoNode, names.noDefaultPoolsEnv, "true");
  setEnv(calicoNode, names.autodetectEnv, names.internalIp);
  if (settings.dualStack) {
    setEnv(calicoNode, names.ip6Env, "autodetect");
    setEnv(calicoNode, names.autodetect6Env, names.internalIp);
    setEnv(calicoNode, names.ipv6SupportEnv, "true");
  }

  if (settings.resources) addRequests([calicoNode], settings.resources);
  if (settings.imageRegistry !== undefined) rewriteRegistry(out, settings.imageRegistry, missing);
  return out;
}
