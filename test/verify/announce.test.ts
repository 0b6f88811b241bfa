/**
 * announce.sh against a real kernel's neighbour table: two network namespaces joined by a veth pair, the probing
 * node's end holding an entry from an earlier reply (STALE), as a node's table does between two runs of the Job.
 * The entry must not count until the kernel has confirmed it (net/core/neighbour.c: STALE -> DELAY on the first
 * packet, PROBE after delay_first_probe_time, then REACHABLE or FAILED).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { SANDBOX_SKIP, runCheck } from "./sandbox";

const NAME = `k3s-sites-verify-${process.pid}`;
const PROBE = `${NAME}-probe`;
const PEER = `${NAME}-peer`;

const ip = (...args: string[]) => {
  const run = spawnSync("ip", args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`ip ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
};

const SKIP: string | undefined =
  SANDBOX_SKIP ??
  (process.getuid?.() !== 0
    ? "not root: the test makes network namespaces (ip netns add needs root)"
    : spawnSync("ip", ["netns", "list"]).status !== 0
      ? "ip netns does not work here (iproute2 missing, or no permission to make namespaces)"
      : undefined);

/** netcat-openbsd's `nc -z -w <s> <address> <port>` as the image runs it: one TCP connect, through bash's /dev/tcp. */
const NC = `#!/bin/sh
address=""; port=""; w=2
while [ $# -gt 0 ]; do
  case "$1" in -z) shift ;; -w) w="$2"; shift 2 ;; *) if [ -z "$address" ]; then address="$1"; else port="$1"; fi; shift ;; esac
done
exec timeout "$w" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$address" "$port"
`;

describe("announce.sh in network namespaces, against the kernel's neighbour table", { skip: SKIP }, () => {
  before(() => {
    ip("netns", "add", PROBE);
    ip("netns", "add", PEER);
    ip("link", "add", "name", "veth0", "netns", PROBE, "type", "veth", "peer", "name", "veth1", "netns", PEER);
    ip("-n", PROBE, "addr", "add", "192.168.77.1/24", "dev", "veth0");
    ip("-n", PEER, "addr", "add", "192.168.77.2/24", "dev", "veth1");
    // The announced address: the peer answers ARP for .241; nobody for .240.
    ip("-n", PEER, "addr", "add", "192.168.77.241/24", "dev", "veth1");
    for (const [ns, dev] of [[PROBE, "veth0"], [PEER, "veth1"]] as const) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
    }
  });
  after(() => {
    for (const ns of [PROBE, PEER]) spawnSync("ip", ["netns", "del", ns]);
  });

  const env = {
    LB_SERVICE: "nginx-ingress/nginx-ingress",
    ANNOUNCER_PATH: "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cilium-l2announce-nginx-ingress-nginx-ingress",
    ANNOUNCER_FILTER: ".spec.holderIdentity // empty",
    ANNOUNCER_WHERE: "Lease kube-system/cilium-l2announce-nginx-ingress-nginx-ingress",
    ANNOUNCER_FIX: "a CiliumL2AnnouncementPolicy selecting the Service and the nodes (cni.cilium.l2Announcements)",
    INTERFACES_KEY: "cni.cilium.l2Announcements.interfaces",
    PROBE_PORT: "9",
    NODE_NAME: "pi-1",
    TIMEOUT: "1",
    INTERVAL: "1",
    NEIGH_WAIT: "10",
  };
  const api = (address: string) => ({
    "/api/v1/namespaces/nginx-ingress/services/nginx-ingress": { status: { loadBalancer: { ingress: [{ ip: address }] } } },
    "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cilium-l2announce-nginx-ingress-nginx-ingress": { spec: { holderIdentity: "nuc" } },
  });
  const run = (address: string) =>
    runCheck("announce.sh", env, { api: api(address) }, { real: ["ip", "sleep", "date"], stubs: { nc: NC }, prefix: ["ip", "netns", "exec", PROBE], timeout: 40_000 });
  const stale = (address: string, mac: string) => ip("-n", PROBE, "neigh", "replace", address, "lladdr", mac, "dev", "veth0", "nud", "stale");

  it("fails when nothing answers ARP for the address, though the table still holds a STALE entry from an earlier run", () => {
    stale("192.168.77.240", "02:00:00:00:00:01");
    const broken = run("192.168.77.240");
    assert.equal(broken.status, 1, broken.stdout + broken.stderr);
    assert.match(
      broken.stdout,
      /^FAIL edge announcement of 192\.168\.77\.240 seen from pi-1's host network \(announced by nuc\): expected a REACHABLE neighbour entry \(an ARP or NDP reply now, not an earlier one\) within 1s, saw 192\.168\.77\.240 dev veth0 .*FAILED; likely cause: nuc does not answer/m,
    );
  });

  it("passes when the announcer answers, confirming the STALE entry (REACHABLE)", () => {
    const mac = JSON.parse(ip("-n", PEER, "-j", "link", "show", "veth1"))[0].address as string;
    stale("192.168.77.241", mac);
    const good = run("192.168.77.241");
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, new RegExp(`^ok   edge announcement of 192\\.168\\.77\\.241 .*saw 192\\.168\\.77\\.241 dev veth0 lladdr ${mac} REACHABLE$`, "m"));
  });
});
