/** The check scripts, linted as committed and run in the sandbox: each passes on a working site and fails on the fault it is for. */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { shellcheck } from "../support/shellcheck";
import { ROOT } from "../helpers";
import { spawnSync } from "node:child_process";
import { APP_RULE_TIMEOUT, CERTIFICATE_TIMEOUT, CONNECT_TIMEOUT, DENY_WAIT, JOB_BUDGET, NEIGH_WAIT } from "../../src/verify/names";
import { JOB_DEADLINE } from "../../src/verify/pins";
import { SANDBOX_SKIP, runCheck, serveCheck } from "./sandbox";

const DIR = join(ROOT, "src/verify");

describe("verification scripts: shellcheck", () => {
  it("finds nothing in any script, lib.sh followed where it is sourced", async () => {
    const files = Object.fromEntries(
      readdirSync(DIR)
        .filter((f) => f.endsWith(".sh"))
        .map((f) => [f, readFileSync(join(DIR, f), "utf8")]),
    );
    assert.ok(Object.keys(files).length >= 6);
    assert.deepEqual(await shellcheck(files, { sources: { "./lib.sh": files["lib.sh"]! } }), []);
  });
});

const ECHO = "verify-echo.k3s-sites-verify.svc.cluster.local";

describe("verification scripts: until_ok", { skip: SANDBOX_SKIP }, () => {
  it("stops at its deadline on the clock, the tries' own time included", () => {
    const started = Date.now();
    const run = spawnSync("bash", ["-c", '. ./lib.sh; slow() { sleep 1; return 1; }; until_ok 3 1 slow; echo "status $?"'], { cwd: DIR, encoding: "utf8" });
    const took = (Date.now() - started) / 1000;
    assert.match(run.stdout, /^status 1$/m, run.stderr);
    // 3 s and the try that started before then (date's whole seconds add up to 1 s); counting only the sleeps it
    // took 7 s: 4 tries of 1 s and 3 sleeps of 1 s.
    assert.ok(took < 5.5, `took ${took} s`);
  });
});

describe("verification scripts in the sandbox", { skip: SANDBOX_SKIP }, () => {
  const dnsEnv = { API_SERVICE_IP: "10.43.0.1", EXTERNAL_NAME: "kubernetes.io", TIMEOUT: "20", INTERVAL: "5" };

  it("dns.sh passes when both names resolve, and fails on a wrong Service address or no external answer", () => {
    const good = runCheck("dns.sh", dnsEnv, { dns: ["kubernetes.default A 10.43.0.1", "kubernetes.io A 147.75.40.148"] });
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /^ok   dns kubernetes.default \(from this pod to CoreDNS in kube-system\): expected 10.43.0.1 within 20s, saw 10.43.0.1$/m);
    assert.match(good.stdout, /^ok   dns kubernetes.io \(CoreDNS forwarding outside the cluster\): expected an address within 20s, saw 147.75.40.148$/m);
    assert.equal(good.calls.filter((c) => c.startsWith("sleep")).length, 0, "no wait when the answers come at once");

    const noUpstream = runCheck("dns.sh", dnsEnv, { dns: ["kubernetes.default A 10.43.0.1"] });
    assert.equal(noUpstream.status, 1);
    assert.match(noUpstream.stdout, /^FAIL dns kubernetes.io \(CoreDNS forwarding outside the cluster\): expected an address within 20s, saw none; likely cause: CoreDNS cannot reach the upstream resolvers/m);
    assert.equal(noUpstream.calls.filter((c) => c === "sleep 5").length, 4, "asked again every 5 s for 20 s, then gave up");

    const wrong = runCheck("dns.sh", dnsEnv, { dns: ["kubernetes.default A 10.96.0.1", "kubernetes.io A 147.75.40.148"] });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stdout, /^FAIL dns kubernetes.default .*: expected 10.43.0.1 within 20s, saw 10.96.0.1; likely cause: CoreDNS is not running/m);
  });

  const podsEnv = { ECHO_SERVICE: ECHO, ECHO_PORT: "8080", NODES: "a b", FAMILIES: "4 6", TIMEOUT: "20", INTERVAL: "5" };
  const echoDns = [`${ECHO} A 10.42.0.5`, `${ECHO} A 10.42.1.5`, `${ECHO} AAAA fd00::5`, `${ECHO} AAAA fd00:1::5`];

  it("pods.sh passes when every node's echo server answers over both families, and fails when one node is cut off", () => {
    const tcp = ["10.42.0.5 8080 a", "10.42.1.5 8080 b", "fd00::5 8080 a", "fd00:1::5 8080 b"];
    const good = runCheck("pods.sh", podsEnv, { dns: echoDns, tcp });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   pods ipv6 to b \(echo server port 8080 via verify-echo\S+\): expected an answer from b within 20s, saw answers from a b at addresses fd00::5 fd00:1::5$/m);

    // IPv6 between nodes broken: node b's pod is unreachable over IPv6, and stays so for all of TIMEOUT.
    const cut = runCheck("pods.sh", podsEnv, { dns: echoDns, tcp: tcp.slice(0, 3) });
    assert.equal(cut.status, 1);
    assert.match(cut.stdout, /^FAIL pods ipv6 to b \(.*\): expected an answer from b within 20s, saw answers from a at addresses fd00::5 fd00:1::5; likely cause: the echo pod on b is not Ready/m);
    assert.match(cut.stdout, /^ok   pods ipv4 to b/m);
    assert.equal(cut.calls.filter((c) => c === "sleep 5").length, 4);
  });

  it("pods.sh tries again while k3s's policy controller still rejects a new pod (kube-router's REJECT before it knows the pod's address)", () => {
    // Node b's echo server refuses the first two tries, as kube-router does until the pod's address is published.
    const tcp = ["10.42.0.5 8080 a", "10.42.1.5 8080 b after=2"];
    const late = runCheck("pods.sh", { ...podsEnv, FAMILIES: "4" }, { dns: echoDns, tcp });
    assert.equal(late.status, 0, late.stdout);
    assert.equal(late.calls.filter((c) => c === "sleep 5").length, 2, "two waits, then every node answered");
  });

  const policyEnv = {
    ECHO_SERVICE: ECHO,
    ECHO_PORT: "8080",
    DENIED_PORT: "8081",
    OUTSIDE: "1.1.1.1 443",
    EXTERNAL_NAME: "kubernetes.io",
    APP_RULE_JOB: "",
    APP_RULE_SKIP: "the site declares no app (networkPolicies.apps)",
    TIMEOUT: "20",
    INTERVAL: "5",
    DENY_WAIT: "6",
  };
  const policyDns = [`${ECHO} A 10.42.0.5`, "kubernetes.io A 147.75.40.148"];

  it("policies.sh passes when the policies hold, and fails when a port without a rule, or the outside, answers", () => {
    const good = runCheck("policies.sh", policyEnv, { dns: policyDns, tcp: ["10.42.0.5 8080 a"] });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   policies ingress to port 8081 without a rule \(echo server 10.42.0.5\): expected refused or timed out within 6s, saw refused or timed out$/m);

    // A CNI that does not enforce policies: everything connects, for all of DENY_WAIT.
    const open = runCheck("policies.sh", policyEnv, { dns: policyDns, tcp: ["10.42.0.5 8080 a", "10.42.0.5 8081 a", "1.1.1.1 443 -"] });
    assert.equal(open.status, 1);
    assert.match(open.stdout, /^FAIL policies ingress to port 8081 without a rule \(echo server 10.42.0.5\): expected refused or timed out within 6s, saw connected; likely cause: the CNI does not enforce NetworkPolicies/m);
    assert.match(open.stdout, /^FAIL policies egress to 1.1.1.1:443 without a rule: expected refused or timed out within 6s, saw connected; likely cause/m);

    // DNS egress blocked by default-deny: no address at all, after TIMEOUT of asking.
    const noDns = runCheck("policies.sh", policyEnv, { tcp: ["10.42.0.5 8080 a"] });
    assert.equal(noDns.status, 1);
    assert.match(noDns.stdout, /^FAIL policies echo server address \(verify-echo\S+\): expected an address within 20s, saw no answer; likely cause/m);
  });

  it("policies.sh counts a refusal only once the allowed port connected (kube-router rejects everything before it knows the pod)", () => {
    // The first three tries are rejected, as by kube-router before the pod's address is known: then it connects.
    const late = runCheck("policies.sh", policyEnv, { dns: policyDns, tcp: ["10.42.0.5 8080 a after=3"] });
    assert.equal(late.status, 0, late.stdout);
    assert.equal(late.calls.filter((c) => c === "sleep 5").length, 3);
    // Never connected: the refusals are not tried, so a site that rejects everything never passes them.
    const never = runCheck("policies.sh", policyEnv, { dns: policyDns, tcp: [] });
    assert.equal(never.status, 1);
    assert.match(never.stdout, /^FAIL policies allowed port 8080 \(this pod to echo server 10.42.0.5\): expected connected within 20s, saw refused or timed out; likely cause/m);
    assert.match(never.stdout, /^skip policies refusals: not tried: the allowed port never connected/m);
    assert.doesNotMatch(never.stdout, /ok   policies ingress/);
  });

  // The edge check's controller: nginx unless a test says otherwise.
  const timing = { TIMEOUT: "30", INTERVAL: "5", LB_PROXY: "0", EDGE_NAME: "nginx", EDGE_ANSWERS: "nginx*" };
  const edgeEnv = {
    ...timing,
    EDGE_NAME: "nginx",
    EDGE_ANSWERS: "nginx*",
    NODE_NAME: "control-1",
    NODE_TARGETS: "10.0.116.10 10.0.243.10",
    PROXY_PROTOCOL: "1",
    LB_TARGETS: "198.51.100.7",
    LB_SERVICE: "",
  };

  it("edge.sh knows each ingress controller by its answer: Traefik sends no Server header, Envoy its own", () => {
    const traefik = { ...edgeEnv, EDGE_NAME: "traefik", EDGE_ANSWERS: "no Server header", NODE_TARGETS: "", HOST_IP: "10.0.243.10", LB_TARGETS: "" };
    const ok = runCheck("edge.sh", traefik, { http: ["http://10.0.243.10/ - proxy"] });
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /^ok   edge hostPort 10.0.243.10:80 from control-1's host network, with a PROXY header: expected an answer from traefik within 30s, saw no Server header$/m);
    // nginx still on the port after a switch to Traefik: not the controller the site runs.
    const stale = runCheck("edge.sh", traefik, { http: ["http://10.0.243.10/ nginx/1.27.4 proxy"] });
    assert.equal(stale.status, 1);
    assert.match(stale.stdout, /^FAIL edge hostPort 10.0.243.10:80 .*expected an answer from traefik within 30s, saw nginx\/1.27.4; likely cause: traefik's pod/m);
    const envoy = { ...edgeEnv, EDGE_NAME: "cilium", EDGE_ANSWERS: "envoy*", NODE_TARGETS: "", HOST_IP: "10.0.243.10", LB_TARGETS: "", PROXY_PROTOCOL: "0" };
    assert.equal(runCheck("edge.sh", envoy, { http: ["http://10.0.243.10/ envoy"] }).status, 0);
    assert.equal(runCheck("edge.sh", envoy, { http: ["http://10.0.243.10/ -"] }).status, 1);
  });

  it("edge.sh on a node's host network calls that node's own address (HOST_IP) when NODE_TARGETS is empty", () => {
    const run = runCheck("edge.sh", { ...edgeEnv, NODE_TARGETS: "", LB_TARGETS: "", HOST_IP: "10.0.243.10", NODE_NAME: "worker-1" }, { http: ["http://10.0.243.10/ nginx/1.27.4 proxy"] });
    assert.equal(run.status, 0, run.stdout);
    assert.match(run.stdout, /^ok   edge hostPort 10.0.243.10:80 from worker-1's host network, with a PROXY header: expected an answer from nginx within 30s, saw nginx\/1.27.4$/m);
    assert.equal(run.calls.filter((c) => c.startsWith("curl ")).length, 1, "its own node only");
  });

  it("edge.sh passes when nginx answers on every node (with the PROXY header) and on the load balancer", () => {
    const http = ["http://10.0.116.10/ nginx/1.27.4 proxy", "http://10.0.243.10/ nginx/1.27.4 proxy", "http://198.51.100.7/ nginx/1.27.4"];
    const good = runCheck("edge.sh", edgeEnv, { http });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   edge load balancer 198.51.100.7:80, without a PROXY header: expected an answer from nginx within 30s, saw nginx\/1.27.4$/m);
    assert.match(good.stdout, /^ok   edge hostPort 10.0.243.10:80 from control-1's host network, with a PROXY header: expected an answer from nginx within 30s/m);
    assert.ok(good.calls.some((c) => c.includes("--haproxy-protocol") && c.includes("10.0.116.10")));
    // A node that drops packets costs 2 s a try: every round over the nodes stays short on a large site.
    assert.ok(good.calls.filter((c) => c.includes("10.0.116.10")).every((c) => c.includes("--connect-timeout 2 -m 5")));

    const nodeDown = runCheck("edge.sh", edgeEnv, { http: [http[0]!, http[2]!] });
    assert.equal(nodeDown.status, 1);
    assert.match(nodeDown.stdout, /^FAIL edge hostPort 10.0.243.10:80 from control-1's host network, with a PROXY header: expected an answer from nginx within 30s, saw no answer \(curl: \(28\).*; likely cause: nginx's pod on the node with address 10.0.243.10/m);
    assert.equal(nodeDown.calls.filter((c) => c === "sleep 5").length, 6, "tried for 30 s");

    // Something else on the port: not nginx.
    const other = runCheck("edge.sh", edgeEnv, { http: [http[0]!, http[1]!, "http://198.51.100.7/ Caddy"] });
    assert.equal(other.status, 1);
    assert.match(other.stdout, /^FAIL edge load balancer 198.51.100.7:80, without a PROXY header: expected an answer from nginx within 30s, saw Caddy; likely cause/m);

    // nginx starting: the first tries are refused, then it answers.
    const starting = runCheck("edge.sh", edgeEnv, { http: [`${http[0]!} after=2`, http[1]!, http[2]!] });
    assert.equal(starting.status, 0, starting.stdout);
    assert.equal(starting.calls.filter((c) => c === "sleep 5").length, 2);
  });

  it("edge.sh sends a PROXY header to a LoadBalancer Service's address when nginx expects one (LB_PROXY), and fails without it", () => {
    // A home site with ingress.proxyProtocol: nginx's port 80 takes PROXY headers only, on the Service's address too.
    const path = "/api/v1/namespaces/nginx-ingress/services/nginx-ingress";
    const api = { [path]: { status: { loadBalancer: { ingress: [{ ip: "192.168.1.240" }] } } } };
    const env = { ...timing, NODE_TARGETS: "", PROXY_PROTOCOL: "1", LB_TARGETS: "", LB_SERVICE: "nginx-ingress/nginx-ingress" };
    const http = ["http://192.168.1.240/ nginx proxy"];
    const good = runCheck("edge.sh", { ...env, LB_PROXY: "1" }, { http, api });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   edge LoadBalancer Service nginx-ingress\/nginx-ingress at 192.168.1.240:80 from inside the cluster, with a PROXY header/m);
    const bare = runCheck("edge.sh", env, { http, api });
    assert.equal(bare.status, 1);
    assert.match(bare.stdout, /^FAIL edge LoadBalancer Service nginx-ingress\/nginx-ingress at 192.168.1.240:80 from inside the cluster, without a PROXY header: .*saw no answer \(curl: \(52\) Empty reply/m);
    // Every assigned address gets the header, the second of a dual-stack Service's too.
    const dual = { [path]: { status: { loadBalancer: { ingress: [{ ip: "192.168.1.240" }, { ip: "fd00:1::240" }] } } } };
    const both = runCheck("edge.sh", { ...env, LB_PROXY: "1" }, { http: [...http, "http://[fd00:1::240]/ nginx proxy"], api: dual });
    assert.equal(both.status, 0, both.stdout);
    assert.match(both.stdout, /^ok   edge LoadBalancer Service nginx-ingress\/nginx-ingress at \[fd00:1::240\]:80 from inside the cluster, with a PROXY header/m);
  });

  it("edge.sh looks up a LoadBalancer Service's address, and fails when none was assigned", () => {
    const env = { ...timing, NODE_TARGETS: "192.168.1.10", PROXY_PROTOCOL: "0", LB_TARGETS: "", LB_SERVICE: "nginx-ingress/nginx-ingress" };
    const path = "/api/v1/namespaces/nginx-ingress/services/nginx-ingress";
    const http = ["http://192.168.1.10/ nginx", "http://192.168.1.240/ nginx"];
    const good = runCheck("edge.sh", env, { http, api: { [path]: { status: { loadBalancer: { ingress: [{ ip: "192.168.1.240" }] } } } } });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   edge nginx-ingress\/nginx-ingress address: expected an address assigned within 30s, saw 192.168.1.240$/m);
    const pending = runCheck("edge.sh", env, { http, api: { [path]: { status: { loadBalancer: {} } } } });
    assert.equal(pending.status, 1);
    assert.match(pending.stdout, /^FAIL edge nginx-ingress\/nginx-ingress address: expected an address assigned within 30s, saw none; likely cause: no pool hands out an address/m);
  });

  const announceEnv = {
    LB_SERVICE: "nginx-ingress/nginx-ingress",
    // What Cilium's trait hands the check (src/cni/cilium/announcer.ts); MetalLB's below.
    ANNOUNCER_PATH: "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cilium-l2announce-nginx-ingress-nginx-ingress",
    ANNOUNCER_FILTER: ".spec.holderIdentity // empty",
    ANNOUNCER_WHERE: "Lease kube-system/cilium-l2announce-nginx-ingress-nginx-ingress",
    ANNOUNCER_FIX: "a CiliumL2AnnouncementPolicy selecting the Service and the nodes (cni.cilium.l2Announcements)",
    INTERFACES_KEY: "cni.cilium.l2Announcements.interfaces",
    PROBE_PORT: "9",
    NODE_NAME: "pi-1",
    TIMEOUT: "30",
    INTERVAL: "5",
    NEIGH_WAIT: "10",
  };
  const service = { "/api/v1/namespaces/nginx-ingress/services/nginx-ingress": { status: { loadBalancer: { ingress: [{ ip: "192.168.1.240" }] } } } };
  const lease = (holder: string) => ({ "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cilium-l2announce-nginx-ingress-nginx-ingress": { spec: { holderIdentity: holder } } });

  it("announce.sh passes when another node answers ARP for the address, probing a port no datapath captures", () => {
    const neigh = ["192.168.1.240 dev eth0 lladdr 52:54:00:12:34:56 REACHABLE"];
    const good = runCheck("announce.sh", announceEnv, { api: { ...service, ...lease("nuc") }, neigh });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   edge announcement of 192.168.1.240 seen from pi-1's host network \(announced by nuc\): expected a REACHABLE neighbour entry \(an ARP or NDP reply now, not an earlier one\) within 30s, saw 192.168.1.240 dev eth0 lladdr 52:54:00:12:34:56 REACHABLE$/m);
    // The probe goes to port 9, which the Service does not serve: kube-proxy and Cilium leave it alone.
    assert.ok(good.calls.includes("nc -z -w 2 192.168.1.240 9"), good.calls.join("\n"));
  });

  it("announce.sh fails when no node answers on the LAN (a speaker announcing nothing, or on the wrong interface), naming the announcer", () => {
    for (const neigh of [[], ["192.168.1.240 dev eth0 FAILED"], ["192.168.1.240 dev eth0 INCOMPLETE"]]) {
      const silent = runCheck("announce.sh", announceEnv, { api: { ...service, ...lease("nuc") }, neigh });
      assert.equal(silent.status, 1, silent.stdout);
      assert.match(silent.stdout, /^FAIL edge announcement of 192.168.1.240 seen from pi-1's host network \(announced by nuc\): .*; likely cause: nuc does not answer for 192.168.1.240 on the LAN pi-1 is on: the announcing interfaces/m);
      // Probed for 30 s on the clock: the last probe starts before then and watches the entry for NEIGH_WAIT (10 s).
      assert.ok(silent.clock! >= 30 && silent.clock! <= 40, `clock ${silent.clock}`);
    }
    // Nobody holds the lease: the announcement is not there at all.
    const none = runCheck("announce.sh", announceEnv, { api: service, neigh: [] });
    assert.equal(none.status, 1);
    assert.match(none.stdout, /^FAIL edge announcement: the node announcing 192.168.1.240 \(Lease kube-system\/cilium-l2announce-nginx-ingress-nginx-ingress\): expected a node within 30s, saw none; likely cause: no node is elected/m);
  });

  it("announce.sh does not count an entry the kernel has not confirmed (STALE, DELAY, PROBE: an earlier reply), waiting NEIGH_WAIT for it", () => {
    for (const state of ["STALE", "DELAY", "PROBE"]) {
      const neigh = [`192.168.1.240 dev eth0 lladdr 02:00:00:00:00:01 ${state}`];
      const old = runCheck("announce.sh", { ...announceEnv, TIMEOUT: "5" }, { api: { ...service, ...lease("nuc") }, neigh });
      assert.equal(old.status, 1, old.stdout);
      assert.match(old.stdout, new RegExp(`^FAIL edge announcement of 192.168.1.240 .*saw 192.168.1.240 dev eth0 lladdr 02:00:00:00:00:01 ${state}; likely cause: nuc does not answer`, "m"));
      // The probe watches the entry once a second for NEIGH_WAIT (10) seconds; that passes TIMEOUT 5: one probe.
      assert.equal(old.calls.filter((c) => c === "sleep 1").length, 10, old.calls.join("\n"));
      assert.equal(old.clock, 10);
    }
  });

  it("announce.sh on the announcing node itself says so and leaves the verdict to the other node's pod", () => {
    const self = runCheck("announce.sh", { ...announceEnv, NODE_NAME: "nuc" }, { api: { ...service, ...lease("nuc") } });
    assert.equal(self.status, 0, self.stdout);
    assert.match(self.stdout, /^skip edge announcement of 192.168.1.240 from nuc: this node announces it/m);
    assert.equal(self.calls.filter((c) => c.startsWith("nc ")).length, 0);
  });

  it("announce.sh reads MetalLB's announcer from the ServiceL2Status of nginx's Service", () => {
    const statuses = {
      "/apis/metallb.io/v1beta1/namespaces/metallb-system/servicel2statuses": {
        items: [
          { status: { node: "pi-2", serviceName: "other", serviceNamespace: "web" } },
          { status: { node: "tower", serviceName: "nginx-ingress", serviceNamespace: "nginx-ingress" } },
        ],
      },
    };
    const neigh = ["192.168.1.240 dev eno1 lladdr 52:54:00:ab:cd:ef REACHABLE"];
    const metallb = {
      ANNOUNCER_PATH: "/apis/metallb.io/v1beta1/namespaces/metallb-system/servicel2statuses",
      ANNOUNCER_FILTER: "[.items[]? | select(.status.serviceNamespace == $ns and .status.serviceName == $name) | .status.node][0] // empty",
      ANNOUNCER_WHERE: "ServiceL2Status of nginx-ingress/nginx-ingress in metallb-system",
    };
    const good = runCheck("announce.sh", { ...announceEnv, ...metallb }, { api: { ...service, ...statuses }, neigh });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   edge announcement: the node announcing 192.168.1.240 \(ServiceL2Status of nginx-ingress\/nginx-ingress in metallb-system\): expected a node within 30s, saw tower$/m);
  });

  const echoEnv = { NODE_NAME: "worker-1", ECHO_PORT: "8080", DENIED_PORT: "8081", FAMILIES: "4 6" };
  const listeners = (calls: string[]) => calls.filter((c) => c.startsWith("socat ")).sort();

  it("echo.sh listens on both ports over both families, answers with the node's name, and exits 1 when one listener stops", async () => {
    await serveCheck("echo.sh", echoEnv, {}, async (server) => {
      await server.until("four listeners", () => server.calls().filter((c) => c.startsWith("answer ")).length === 4);
      assert.deepEqual(listeners(server.calls()), [
        "socat TCP4-LISTEN:8080,fork,reuseaddr SYSTEM:echo worker-1",
        "socat TCP4-LISTEN:8081,fork,reuseaddr SYSTEM:echo worker-1",
        "socat TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=1 SYSTEM:echo worker-1",
        "socat TCP6-LISTEN:8081,fork,reuseaddr,ipv6only=1 SYSTEM:echo worker-1",
      ]);
      // What a client reads (pods.sh takes the first line): the node's name, on every listener.
      assert.deepEqual(
        server.calls().filter((c) => c.startsWith("answer ")).sort(),
        ["answer TCP4:8080 worker-1", "answer TCP4:8081 worker-1", "answer TCP6:8080 worker-1", "answer TCP6:8081 worker-1"],
      );
      assert.equal(server.running(), true, "serves while its listeners do");
      // The IPv6 listener dies: the pod must end (so the DaemonSet restarts it), not serve IPv4 only.
      server.stop("TCP6:8080");
      const end = await server.exited;
      assert.equal(end.status, 1);
      assert.match(end.stdout, /^FAIL echo TCP6 port 8080 on worker-1: expected a listener, saw it stop with status 0$/m);
    });
  });

  it("echo.sh exits 1 at once when a listener cannot bind, and listens over IPv4 only on a single-stack site", async () => {
    await serveCheck("echo.sh", echoEnv, { refuse: ["TCP6:8081"] }, async (server) => {
      const end = await server.exited;
      assert.equal(end.status, 1);
      assert.match(end.stdout, /^FAIL echo TCP6 port 8081 on worker-1: expected a listener, saw it stop with status 1$/m);
      assert.match(end.stderr, /Address already in use/);
    });
    await serveCheck("echo.sh", { ...echoEnv, FAMILIES: "4" }, {}, async (server) => {
      await server.until("two listeners", () => server.calls().filter((c) => c.startsWith("answer ")).length === 2);
      assert.deepEqual(listeners(server.calls()), [
        "socat TCP4-LISTEN:8080,fork,reuseaddr SYSTEM:echo worker-1",
        "socat TCP4-LISTEN:8081,fork,reuseaddr SYSTEM:echo worker-1",
      ]);
      assert.equal(server.running(), true);
    });
  });

  it("edge.sh tries IPv6 load-balancer addresses in brackets, a LoadBalancer Service's too, and fails when one does not answer", () => {
    // The Hetzner host-network Job: the load balancer's IPv6 only.
    const env6 = { ...timing, NODE_TARGETS: "", PROXY_PROTOCOL: "0", LB_TARGETS: "2001:db8:7::1", LB_SERVICE: "" };
    const good = runCheck("edge.sh", env6, { http: ["http://[2001:db8:7::1]/ nginx"] });
    assert.equal(good.status, 0, good.stdout);
    assert.match(good.stdout, /^ok   edge load balancer \[2001:db8:7::1\]:80, without a PROXY header: expected an answer from nginx within 30s, saw nginx$/m);
    const down = runCheck("edge.sh", env6, { http: [] });
    assert.equal(down.status, 1);
    assert.match(down.stdout, /^FAIL edge load balancer \[2001:db8:7::1\]:80, without a PROXY header: expected an answer from nginx within 30s, saw no answer/m);
    // No IPv6 known: said, not failed.
    const none = runCheck("edge.sh", { ...env6, LB_TARGETS: "" }, {});
    assert.equal(none.status, 0);
    assert.match(none.stdout, /^skip edge: no address to try/m);

    // A dual-stack LoadBalancer Service: both of its addresses.
    const env = { ...timing, NODE_TARGETS: "192.168.1.10", PROXY_PROTOCOL: "0", LB_TARGETS: "", LB_SERVICE: "nginx-ingress/nginx-ingress" };
    const api = {
      "/api/v1/namespaces/nginx-ingress/services/nginx-ingress": {
        status: { loadBalancer: { ingress: [{ ip: "192.168.1.240" }, { ip: "fd00:1::240" }] } },
      },
    };
    const both = runCheck("edge.sh", env, { api, http: ["http://192.168.1.10/ nginx", "http://192.168.1.240/ nginx", "http://[fd00:1::240]/ nginx"] });
    assert.equal(both.status, 0, both.stdout);
    assert.match(both.stdout, /^ok   edge nginx-ingress\/nginx-ingress address: expected an address assigned within 30s, saw 192.168.1.240 fd00:1::240$/m);
    assert.match(both.stdout, /^ok   edge LoadBalancer Service nginx-ingress\/nginx-ingress at \[fd00:1::240\]:80 from inside the cluster/m);
    const v6down = runCheck("edge.sh", env, { api, http: ["http://192.168.1.10/ nginx", "http://192.168.1.240/ nginx"] });
    assert.equal(v6down.status, 1);
    assert.match(v6down.stdout, /^FAIL edge LoadBalancer Service nginx-ingress\/nginx-ingress at \[fd00:1::240\]:80/m);
  });

  const logEnv = {
    ...timing,
    NODE_TARGETS: "",
    PROXY_PROTOCOL: "1",
    LB_TARGETS: "198.51.100.7",
    LB_SERVICE: "",
    LOG_NAMESPACE: "nginx-ingress",
    LOG_SELECTOR: "app.kubernetes.io%2Fname%3Dnginx-ingress",
    LOG_CONTAINER: "nginx-ingress",
    LB_PRIVATE_IP: "10.0.0.10",
    LOG_TIMEOUT: "10",
    INTERVAL: "5",
    LOG_SKIP: "",
    POD_NAME: "verify-edge-0123456789-x7k2p",
    // What netshoot's image sets: never the marker.
    HOSTNAME: "netshoot",
  };
  const pods = {
    items: [
      { metadata: { name: "nginx-ingress-4bq9z", ownerReferences: [{ kind: "DaemonSet", name: "nginx-ingress" }] } },
      // The policies check's stand-in for nginx has nginx's labels: not a log to read.
      { metadata: { name: "verify-policies-app-0123456789-abcde", ownerReferences: [{ kind: "Job", name: "verify-policies-app-0123456789" }] } },
    ],
  };
  const logApi = (line: string) => ({
    "/api/v1/namespaces/nginx-ingress/pods?labelSelector=app.kubernetes.io%2Fname%3Dnginx-ingress": pods,
    "/api/v1/namespaces/nginx-ingress/pods/nginx-ingress-4bq9z/log?container=nginx-ingress&sinceSeconds=70":
      `10.0.0.10 - - [02/Dec/2026:03:00:00 +0000] "GET / HTTP/1.1" 404 153 "-" "curl/8.17.0" "-"\n${line}\n`,
  });
  const marked = (client: string) =>
    `${client} - - [02/Dec/2026:03:00:01 +0000] "GET /k3s-sites-verify/verify-edge-0123456789-x7k2p HTTP/1.1" 404 153 "-" "curl/8.17.0" "-"`;
  const lbHttp = ["http://198.51.100.7/ nginx"];

  it("edge.sh finds its marked request in nginx's log with the client's address from the PROXY header", () => {
    const good = runCheck("edge.sh", logEnv, { http: lbHttp, api: logApi(marked("203.0.113.50")) });
    assert.equal(good.status, 0, good.stdout);
    assert.match(
      good.stdout,
      /^ok   edge client address from the PROXY header \(GET \/k3s-sites-verify\/verify-edge-0123456789-x7k2p via 198\.51\.100\.7\): expected a client address other than the load balancer's 10\.0\.0\.10 in nginx's log, saw 203\.0\.113\.50$/m,
    );
    assert.ok(good.calls.includes("curl -sS -m 5 -o /dev/null http://198.51.100.7/k3s-sites-verify/verify-edge-0123456789-x7k2p"));
    assert.equal(good.calls.filter((c) => c.includes("verify-policies-app")).length, 0, "reads the DaemonSet's pods only");
  });

  it("edge.sh fails when nginx logged the load balancer's own address (PROXY header not used), or did not log the request", () => {
    const ignored = runCheck("edge.sh", logEnv, { http: lbHttp, api: logApi(marked("10.0.0.10")) });
    assert.equal(ignored.status, 1);
    assert.match(ignored.stdout, /^FAIL edge client address from the PROXY header .*saw 10\.0\.0\.10; likely cause: nginx does not take the client from the PROXY header/m);
    const missing = runCheck("edge.sh", logEnv, { http: lbHttp, api: logApi("") });
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /^FAIL edge client address from the PROXY header .*saw no log line for the request; likely cause/m);
    assert.equal(missing.calls.filter((c) => c.startsWith("sleep")).length, 2, "polled the log until LOG_TIMEOUT");
    const skipped = runCheck("edge.sh", { ...logEnv, LOG_NAMESPACE: "", LOG_SKIP: "ingress.proxyProtocol is false: the load balancer sends no PROXY header" }, { http: lbHttp });
    assert.equal(skipped.status, 0, skipped.stdout);
    assert.match(skipped.stdout, /^skip edge client address from the PROXY header: ingress\.proxyProtocol is false/m);
  });

  const ready = (status: string) => ({ status: { conditions: [{ type: "Ready", status }] } });
  const certEnv = { ISSUERS: "letsencrypt-staging letsencrypt-prod", CERTIFICATE: "", TIMEOUT: "30", INTERVAL: "10" };

  it("certificates.sh passes when the issuers are Ready, and fails after the timeout when one is not", () => {
    const api = {
      "/apis/cert-manager.io/v1/clusterissuers/letsencrypt-staging": ready("True"),
      "/apis/cert-manager.io/v1/clusterissuers/letsencrypt-prod": ready("True"),
    };
    const good = runCheck("certificates.sh", certEnv, { api });
    assert.equal(good.status, 0, good.stdout);
    const stuck = runCheck("certificates.sh", certEnv, {
      api: { ...api, "/apis/cert-manager.io/v1/clusterissuers/letsencrypt-prod": ready("False") },
    });
    assert.equal(stuck.status, 1);
    assert.match(stuck.stdout, /^FAIL certificates ClusterIssuer letsencrypt-prod: expected Ready True within 30s, saw Ready False; likely cause: the ACME account cannot be registered/m);
    assert.equal(stuck.calls.filter((c) => c.startsWith("sleep")).length, 3, "polled until the timeout");
  });

  it("certificates.sh checks the verifyHost certificate when one is named", () => {
    const env = { ...certEnv, ISSUERS: "letsencrypt-staging", CERTIFICATE: "k3s-sites-verify/verify-certificate" };
    const issuer = { "/apis/cert-manager.io/v1/clusterissuers/letsencrypt-staging": ready("True") };
    const missing = runCheck("certificates.sh", env, { api: issuer });
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /^FAIL certificates Certificate k3s-sites-verify\/verify-certificate: expected Ready True within \d+s, saw Ready none; likely cause: the challenge fails/m);
    const issued = runCheck("certificates.sh", env, {
      api: { ...issuer, "/apis/cert-manager.io/v1/namespaces/k3s-sites-verify/certificates/verify-certificate": ready("True") },
    });
    assert.equal(issued.status, 0, issued.stdout);
  });

  it("every FAIL line of every check names where it looked and the likely cause, on a site where nothing answers", () => {
    const fast = { TIMEOUT: "5", INTERVAL: "5", DENY_WAIT: "2" };
    const dead = [
      runCheck("dns.sh", { ...dnsEnv, ...fast }, {}),
      runCheck("pods.sh", { ...podsEnv, ...fast }, { dns: echoDns }),
      runCheck("policies.sh", { ...policyEnv, ...fast }, { dns: policyDns }),
      runCheck("edge.sh", { ...edgeEnv, ...fast, LB_SERVICE: "nginx-ingress/nginx-ingress" }, {}),
      runCheck("edge.sh", { ...logEnv, ...fast }, { http: lbHttp, api: logApi("") }),
      runCheck("announce.sh", { ...announceEnv, ...fast }, {}),
      runCheck("announce.sh", { ...announceEnv, ...fast }, { api: service }),
      runCheck("certificates.sh", { ...certEnv, CERTIFICATE: "k3s-sites-verify/verify-certificate" }, {}),
    ];
    for (const run of dead) {
      assert.equal(run.status, 1, run.stdout);
      const fails = run.stdout.split("\n").filter((l) => l.startsWith("FAIL "));
      assert.ok(fails.length > 0, run.stdout);
      for (const line of fails) assert.match(line, /^FAIL \S.*: expected .+, saw .*; likely cause: \S/, line);
    }
  });

  it("every script ends within JOB_DEADLINE with its last line printed, on a site where nothing answers, with the Jobs' own waits", () => {
    // STUB_COSTS: a try that times out costs its timeout on the sandbox clock (curl 5 s, nc its -w, dig 4 s), as
    // it does on a real site; sleeps cost theirs. The clock at the end is the script's worst-case run time.
    const real = { BUDGET: String(JOB_BUDGET), STUB_COSTS: "1", INTERVAL: "5" };
    const connect = { ...real, TIMEOUT: String(CONNECT_TIMEOUT) };
    const dead = {
      "dns.sh": runCheck("dns.sh", { ...dnsEnv, ...connect }, {}),
      "pods.sh": runCheck("pods.sh", { ...podsEnv, ...connect }, { dns: echoDns }),
      "policies.sh": runCheck("policies.sh", { ...policyEnv, ...connect, DENY_WAIT: String(DENY_WAIT) }, { dns: policyDns, tcp: [`10.42.0.5 8081 -`, "1.1.1.1 443 -"] }),
      "edge.sh": runCheck("edge.sh", { ...logEnv, ...connect, LOG_TIMEOUT: "30", NODE_NAME: "control-1", NODE_TARGETS: "10.0.116.10 10.0.243.10 10.0.12.10 10.0.13.10 10.0.14.10", LB_TARGETS: "198.51.100.7 2001:db8::7" }, {}),
      "announce.sh": runCheck("announce.sh", { ...announceEnv, ...connect, NEIGH_WAIT: String(NEIGH_WAIT) }, { api: { ...service, ...lease("nuc") }, neigh: ["192.168.1.240 dev eth0 INCOMPLETE"] }),
      "certificates.sh": runCheck("certificates.sh", { ...certEnv, ...real, TIMEOUT: String(CERTIFICATE_TIMEOUT), INTERVAL: "10", CERTIFICATE: "k3s-sites-verify/verify-certificate" }, {}),
      "policies-app.sh": runCheck("policies-app.sh", { EDGE_NAME: "nginx", EDGE_NAMESPACE: "nginx-ingress", APP: "website", SERVER: "k3s-sites-verify-app.web.svc.cluster.local", APP_PORT: "8080", DENIED_PORT: "8081", ...real, TIMEOUT: String(APP_RULE_TIMEOUT), DENY_WAIT: String(DENY_WAIT) }, { dns: ["k3s-sites-verify-app.web.svc.cluster.local A 10.42.3.7"], tcp: ["10.42.3.7 8080 - after=1000"] }),
    };
    for (const [script, run] of Object.entries(dead)) {
      assert.match(run.stdout, /^\d+ check\(s\) failed\n$/m, `${script}: ${run.stdout}${run.stderr}`);
      // 10 s for the pod to start and its last line to reach the log.
      assert.ok(run.clock! <= JOB_DEADLINE - 10, `${script} runs ${run.clock} s in the worst case, past JOB_DEADLINE ${JOB_DEADLINE} s less 10`);
    }
  });
});
