/**
 * A MetalLB speaker on one node, emulated by FRR's bgpd with the configuration FRR-K8s would render for it. The
 * chart values (`frrk8s.enabled: true`) run the speaker with METALLB_BGP_TYPE=frr-k8s (charts/metallb/templates/
 * speaker.yaml at v0.16.1), so the speaker writes an FRRConfiguration per node and FRR-K8s renders frr.conf from
 * it. The mapping, read at metallb/metallb v0.16.1 (791dfcc6) and metallb/frr-k8s v0.0.25 (fc9b433c, the chart's
 * frr-k8s 0.0.25 subchart; FRR image 10.4.3):
 *
 * - local AS: BGPPeer spec.myASN; neighbour: spec.peerAddress, remote AS spec.peerASN, port spec.peerPort (default
 *   179): internal/bgp/frrk8s/frrk8s.go (the routers and neighbors it builds), FRR-K8s
 *   internal/frr/templates/neighborsession.tmpl (`neighbor <addr> remote-as`, `port`).
 * - router id: spec.routerID when set (the emitted BGPPeer sets none), else FRR picks one (`bgp router-id` only
 *   when set: frr.tmpl).
 * - hold and keepalive: internal/config/config.go parseTimers returns none when neither spec.holdTime nor
 *   spec.keepaliveTime is set (no `timers` line: FRR's traditional defaults, 60/180 s); with holdTime alone,
 *   keepalive is holdTime / 3; with keepaliveTime alone, hold is 3 × keepaliveTime (`holdTime = ptr.To(ka.Duration *
 *   3)`); both then go to FRR-K8s, whose neighborsession.tmpl writes `neighbor <addr> timers <keepalive> <hold>`.
 * - password: spec.password or passwordSecret; the emitted BGPPeer has none, so no `password` line.
 * - next hop: eBGP (myASN != peerASN) without ebgpMultiHop: the node's address on the shared LAN (FRR sets itself
 *   as next hop towards an eBGP peer).
 * - communities and local preference: only from BGPAdvertisement communities/localPref; the emitted one has none.
 * - what it announces: each LoadBalancer address of a pool whose BGPAdvertisement selects this node, masked with
 *   aggregationLength (32 / 128 when unset): speaker/bgp_controller.go SetBalancer; frr.tmpl `network <prefix>`
 *   lines and prefixlists.tmpl's outgoing prefix list of exactly those; nothing accepted in (toReceive empty: the
 *   incoming prefix lists deny any).
 * - the router section's fixed lines: `no bgp ebgp-requires-policy`, `no bgp network import-check`,
 *   `no bgp default ipv4-unicast`, `bgp graceful-restart preserve-fw-state` (frr.tmpl).
 *
 * Left out, as zebra's and not bgpd's: `hostname`, `ip nht resolve-via-default` (the peer is on the node's LAN, so
 * next-hop tracking needs no default route), the log lines.
 */

/** The emitted BGPPeer's spec (metallb.io/v1beta2), the fields the speaker reads here. */
export interface BgpPeerSpec {
  readonly myASN: number;
  readonly peerASN: number;
  readonly peerAddress: string;
  readonly peerPort?: number;
  readonly routerID?: string;
  readonly holdTime?: string;
  readonly keepaliveTime?: string;
  readonly password?: string;
  readonly ebgpMultiHop?: boolean;
}

/**
 * The keepalive and hold times (seconds) MetalLB hands FRR-K8s for a BGPPeer, or none: internal/config/config.go
 * parseTimers at v0.16.1 (the one given sets the other: hold = 3 × keepalive, keepalive = hold / 3).
 */
export function speakerTimers(p: Pick<BgpPeerSpec, "holdTime" | "keepaliveTime">): { keepalive: number; hold: number } | undefined {
  const seconds = (d: string | undefined) => (d === undefined ? undefined : Number(/^(\d+)s$/.exec(d)?.[1]));
  const hold = seconds(p.holdTime);
  const keepalive = seconds(p.keepaliveTime);
  if (hold === undefined && keepalive === undefined) return undefined;
  return { keepalive: keepalive ?? Math.floor(hold! / 3), hold: hold ?? keepalive! * 3 };
}

/** frr.conf of one node's speaker: its BGPPeers, and the prefixes it announces (to every one of them). */
export function speakerFrrConfig(peers: readonly BgpPeerSpec[], prefixes: readonly string[]): string {
  const lines: string[] = [];
  let seq = 0;
  for (const p of peers) {
    const id = p.peerAddress;
    const v4 = prefixes.filter((x) => !x.includes(":"));
    if (v4.length === 0) lines.push(`ip prefix-list ${id}-allowed-ipv4 seq ${++seq} deny any`);
    for (const x of v4) lines.push(`ip prefix-list ${id}-allowed-ipv4 seq ${++seq} permit ${x}`);
    lines.push(`ipv6 prefix-list ${id}-allowed-ipv6 seq ${++seq} deny any`);
    lines.push(`route-map ${id}-out permit ${++seq}`, `  match ip address prefix-list ${id}-allowed-ipv4`);
    lines.push(`route-map ${id}-out permit ${++seq}`, `  match ipv6 address prefix-list ${id}-allowed-ipv6`);
    lines.push(`ip prefix-list ${id}-inpl-ipv4 seq ${++seq} deny any`, `ipv6 prefix-list ${id}-inpl-ipv4 seq ${++seq} deny any`);
    lines.push(`route-map ${id}-in permit ${++seq}`, `  match ip address prefix-list ${id}-inpl-ipv4`);
    lines.push(`route-map ${id}-in permit ${++seq}`, `  match ipv6 address prefix-list ${id}-inpl-ipv4`);
  }
  const myASN = peers[0]!.myASN;
  lines.push(
    `router bgp ${myASN}`,
    "  no bgp ebgp-requires-policy",
    "  no bgp network import-check",
    "  no bgp default ipv4-unicast",
    "  bgp graceful-restart preserve-fw-state",
  );
  if (peers[0]!.routerID) lines.push(`  bgp router-id ${peers[0]!.routerID}`);
  for (const p of peers) {
    const a = p.peerAddress;
    lines.push(`  neighbor ${a} remote-as ${p.peerASN}`);
    if (p.ebgpMultiHop) lines.push(`  neighbor ${a} ebgp-multihop`);
    lines.push(`  neighbor ${a} port ${p.peerPort ?? 179}`);
    const timers = speakerTimers(p);
    if (timers) lines.push(`  neighbor ${a} timers ${timers.keepalive} ${timers.hold}`);
    if (p.password) lines.push(`  neighbor ${a} password ${p.password}`);
    lines.push(
      "  address-family ipv4 unicast",
      `    neighbor ${a} activate`,
      `    neighbor ${a} route-map ${a}-in in`,
      `    neighbor ${a} route-map ${a}-out out`,
      "  exit-address-family",
    );
  }
  const v4 = prefixes.filter((x) => !x.includes(":"));
  if (v4.length > 0) lines.push("  address-family ipv4 unicast", ...v4.map((x) => `    network ${x}`), "  exit-address-family");
  return `${lines.join("\n")}\n`;
}
