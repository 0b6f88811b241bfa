/**
 * Canal (Calico policy + Flannel VXLAN) from the official Calico `canal.yaml`, customized for k3s by one pure
 * function. Every change is made by name (ConfigMap canal-config, DaemonSet canal, container and key names), never by
 * position or text patching, so a Calico version bump keeps every customization, and an upstream change that
 * removes something we rely on fails here, loudly, instead of deploying a cluster with the upstream defaults.
 */
import { isHetzner, type SiteConfig } from "../../config/site";
import { addressAt, formatIp, parseCidr } from "../../net/cidr";
import { HETZNER_PRIVATE_MTU } from "../../hetzner/model";
import { CALICO_PINS } from "../manifest";
import { addRequests, calicoPlugin, formatCniTemplate, manifestParts, parseCniTemplate, parseJson, requestsOf, rewriteRegistry, setEnv } from "../customize";
import type { KubernetesObject } from "../../kubernetes/object";

export { splitCrds, withRegistry } from "../customize";

/** How Flannel chooses the interface it sends VXLAN over. */
export type FlannelInterface =
  /** canal_iface: an interface name (or an address on it), the same on every node. */
  | { readonly kind: "name"; readonly name: string }
  /** FLANNELD_IFACE_CAN_REACH: the interface of `ip route get <address>` on each node. */
  | { readonly kind: "canReach"; readonly address: string }
  /** Neither: Flannel's default, the interface of the default route. */
  | { readonly kind: "defaultRoute" };

/** What customizeCanal changes in the upstream manifest: plain data, derived from the SiteConfig by canalSettingsOf. */
export interface CanalSettings {
  /** The Calico release the manifest comes from; only named in error messages. */
  readonly version: string;
  /** Flannel's network (net-conf.json Network): the k3s pod range, which k3s cuts the node pod ranges from. */
  readonly podCidr: string;
  readonly flannelInterface: FlannelInterface;
  /** Pod interface MTU (veth_mtu), in bytes. */
  readonly mtu: number;
  /**
   * Resource requests set on each of the two node agent containers (calico-node and kube-flannel); a quantity not
   * given keeps the upstream request. @default - the upstream requests
   */
  readonly resources?: { readonly cpu?: string; readonly memory?: string };
  /** Registry (with an optional path) that replaces the registry of every image. @default - the upstream registries */
  readonly imageRegistry?: string;
}

/** Hetzner private networks have an MTU of 1450 bytes; Flannel's VXLAN header takes 50 of them. */
export const HETZNER_CANAL_MTU = HETZNER_PRIVATE_MTU - 50; // bytes
/** An Ethernet LAN (1500 bytes) minus the 50 bytes of VXLAN. */
export const SSH_CANAL_MTU = 1450; // bytes

/** The names customizeCanal looks up and the keys it sets, for callers and tests. */
export const CANAL_CUSTOMIZED = {
  namespace: "kube-system",
  configMap: "canal-config",
  daemonSet: "canal",
  /** ConfigMap keys. */
  netConf: "net-conf.json",
  cniNetworkConfig: "cni_network_config",
  vethMtu: "veth_mtu",
  iface: "canal_iface",
  /** The DaemonSet's containers. */
  calicoContainer: "calico-node",
  flannelContainer: "kube-flannel",
  /** kube-flannel's environment (flanneld reads every flag from FLANNELD_<FLAG>). */
  ifaceEnv: "FLANNELD_IFACE",
  canReachEnv: "FLANNELD_IFACE_CAN_REACH",
  /** calico-node's environment: the range of the IP pool it creates on first start. */
  ipv4PoolEnv: "CALICO_IPV4POOL_CIDR",
  /** calico-node's switch that skips creating any pool; the pool env above must not meet it. */
  noDefaultPoolsEnv: "NO_DEFAULT_POOLS",
  /** What the calico CNI plugin gets in its container_settings. */
  containerSettings: { allow_ip_forwarding: true },
} as const;

/**
 * The Canal settings of a site.
 *
 * The Flannel interface, unless cni.canal.interface names one:
 * - hetzner: the interface that reaches the private network's gateway, the first address of site.network.cidr
 *   (10.0.0.1 for 10.0.0.0/16). Hetzner names the private NIC differently per server type (ens10, enp7s0, ...), so
 *   no single name fits every pool, and the default route is the public NIC. Every cloud server gets the route
 *   `<network> via <gateway>` and an on-link route to the gateway on the private NIC (docs.hetzner.com, Networks,
 *   "Architecture"); the gateway is never a server's address (Hetzner reserves the first IP). Flannel's
 *   --iface-can-reach (since v0.18.0; both pinned manifests run flannel v0.24.4) picks the interface of
 *   `ip route get <address>`.
 * - ssh: Flannel's default, the interface of the default route (what the config reference documents). Can-reach
 *   does not fit a home LAN: a node's own address (e.g. the first server's) resolves to `lo` on that node, and Flannel
 *   would then build VXLAN on lo with its 65536-byte MTU (flannel pkg/ip GetInterfaceBySpecificIPRouting returns the
 *   route's device as is); a guessed gateway such as the LAN's .1 may be one of the hosts, or a VIP on one. Sites whose
 *   nodes talk over another interface than the default route (a VPN) set cni.canal.interface.
 */
export function canalSettingsOf(config: SiteConfig): CanalSettings {
  const canal = config.cni.canal;
  if (config.k3s.ipFamilies !== "ipv4") {
    // The manifest runs Felix with IPv6 off and Flannel on one IPv4 network; a dual-stack pod range would be half used.
    throw new Error(
      `cni.plugin canal supports k3s.ipFamilies ipv4 only, got ${config.k3s.ipFamilies}: set cni.plugin to cilium ` +
        `for a dual-stack site, or k3s.ipFamilies to ipv4`,
    );
  }
  let flannelInterface: FlannelInterface;
  if (canal.interface !== undefined) {
    flannelInterface = { kind: "name", name: canal.interface };
  } else if (isHetzner(config.site)) {
    const network = parseCidr(config.site.network.cidr);
    if (network === undefined) {
      throw new Error(`site.network.cidr ${config.site.network.cidr} is not a CIDR: use an IPv4 range such as 10.0.0.0/16`);
    }
    flannelInterface = { kind: "canReach", address: formatIp(addressAt(network, 1n)) };
  } else {
    flannelInterface = { kind: "defaultRoute" };
  }
  const resources = requestsOf(canal.resources);
  return {
    version: canal.version,
    podCidr: config.k3s.clusterCidr,
    flannelInterface,
    mtu: canal.mtu ?? (isHetzner(config.site) ? HETZNER_CANAL_MTU : SSH_CANAL_MTU),
    ...(resources ? { resources } : {}),
    ...(canal.imageRegistry !== undefined ? { imageRegistry: canal.imageRegistry } : {}),
  };
}

/**
 * The upstream manifest with k3s-sites' customizations; `objects` is not modified. Sets in ConfigMap canal-config:
 * the Flannel network (`net-conf.json` Network) to the k3s pod range, since upstream's 10.244.0.0/16 does not hold
 * the node pod ranges k3s hands out; `veth_mtu`; `canal_iface` or, in DaemonSet canal's kube-flannel container,
 * FLANNELD_IFACE_CAN_REACH; in calico-node, CALICO_IPV4POOL_CIDR to the pod range too; and
 * `container_settings.allow_ip_forwarding` of the calico CNI plugin, which k3s needs
 * (docs.k3s.io, Basic Network Options, "Custom CNI": Canal and Calico must allow IP forwarding in
 * container_settings). Optionally the resource requests of calico-node and kube-flannel, and the registry of every
 * image. Throws naming what it did not find.
 */
export function customizeCanal(objects: readonly KubernetesObject[], settings: CanalSettings): KubernetesObject[] {
  const out = structuredClone([...objects]);
  const names = CANAL_CUSTOMIZED;
  const missing = (what: string) =>
    new Error(
      `canal.yaml of Calico ${settings.version} has no ${what}: the upstream manifest changed shape, so k3s-sites ` +
        `cannot apply its customizations (pod range, Flannel interface, MTU, IP forwarding). Use a cni.canal.version ` +
        `k3s-sites supports (${Object.keys(CALICO_PINS).join(", ")}), or teach src/cni/canal/manifest.ts the new layout`,
    );

  const { data, stringKey, podSpec, container, requireRead } = manifestParts(out, names, missing);
  // Every key we set must exist upstream: a renamed key would otherwise be added beside the one Calico reads.
  for (const key of [names.netConf, names.cniNetworkConfig, names.vethMtu, names.iface]) stringKey(key);

  const netConf = parseJson(stringKey(names.netConf), () => missing(`JSON in ${names.configMap} ${names.netConf}`));
  netConf.Network = settings.podCidr;
  data[names.netConf] = `${JSON.stringify(netConf, null, 2)}\n`;

  const cni = parseCniTemplate(stringKey(names.cniNetworkConfig), () =>
    missing(`JSON in ${names.configMap} ${names.cniNetworkConfig}`),
  );
  const calico = calicoPlugin(cni);
  if (!calico) throw missing(`calico plugin in ${names.configMap} ${names.cniNetworkConfig}`);
  calico.container_settings = { ...(calico.container_settings as object | undefined), ...names.containerSettings };
  data[names.cniNetworkConfig] = formatCniTemplate(cni);

  data[names.vethMtu] = String(settings.mtu);

  const pod = podSpec();
  const calicoNode = container(names.calicoContainer);
  const flannel = container(names.flannelContainer);

  requireRead(names.cniNetworkConfig);
  requireRead(names.vethMtu);
  if (!pod.volumes?.some((v) => v.configMap?.name === names.configMap)) {
    throw missing(`volume of DaemonSet ${names.daemonSet} mounting ${names.configMap} (Flannel's ${names.netConf})`);
  }

  const iface = settings.flannelInterface;
  if (iface.kind === "name") {
    const ifaceEnv = flannel.env?.find((e) => e.name === names.ifaceEnv);
    if (ifaceEnv?.valueFrom?.configMapKeyRef?.key !== names.iface) {
      throw missing(`${names.ifaceEnv} in container ${names.flannelContainer} reading ${names.configMap} ${names.iface}`);
    }
    data[names.iface] = iface.name;
  } else {
    // An interface name would win over can-reach in flanneld; the default route needs none either.
    data[names.iface] = "";
    if (iface.kind === "canReach") setEnv(flannel, names.canReachEnv, iface.address);
  }

  // calico-node creates its default IPv4 pool on first start from CALICO_IPV4POOL_CIDR, 192.168.0.0/16 when unset
  // (node/pkg/lifecycle/startup/startup.go configureIPPools; it falls back to kubeadm's ConfigMap, which k3s does not
  // have), and canal.yaml leaves that env commented out. Canal's pods take addresses from Flannel's host-local IPAM, but
  // Felix still applies the pool's natOutgoing to traffic from the pool to outside every pool: on a LAN inside
  // 192.168.0.0/16 it would masquerade the LAN's traffic to nginx's hostPorts. The pool is the pod range instead. It
  // only takes effect when calico-node creates the pool, i.e. on a new cluster (canal.yaml: "Changing this value after
  // installation will have no effect").
  if (calicoNode.env?.some((e) => e.name === names.noDefaultPoolsEnv && e.value?.toLowerCase() === "true")) {
    throw missing(`container ${names.calicoContainer} that creates its default IP pool (it sets ${names.noDefaultPoolsEnv})`);
  }
  setEnv(calicoNode, names.ipv4PoolEnv, settings.podCidr);

  if (settings.resources) addRequests([calicoNode, flannel], settings.resources);
  if (settings.imageRegistry !== undefined) rewriteRegistry(out, settings.imageRegistry, missing);
  return out;
}
