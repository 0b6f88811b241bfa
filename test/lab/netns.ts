/**
 * A network lab in Linux network namespaces, for tests that run real routing daemons (FRR, BIRD 2) against the files
 * the plan emits. Everything lives inside namespaces this module creates: a segment is a bridge in a namespace of its
 * own (a "switch"), a host or router is a namespace, links are veth pairs created directly between namespaces. The
 * host's own namespace gets nothing: no interface, no address, no route.
 *
 * Every run uses a unique prefix, `k3s-sites-lab-<pid>-<n>-`, for its namespaces and its state folder under the
 * temporary directory. destroy() stops every process inside the lab's namespaces (by pid, from `ip netns pids`) and
 * deletes them; it also runs on process exit and on SIGINT/SIGTERM; and sweepStale() removes what runs of dead pids
 * left behind (a test runner killed with SIGKILL), so a later run cleans up after an earlier one.
 *
 * Needs root, iproute2 (`ip netns`), and for what a test uses: FRR's zebra and bgpd (Debian frr, in /usr/lib/frr),
 * BIRD 2 (`bird`, `birdc`, Debian bird2), iputils `ping`. labSkip() says which is missing, for `it(..., { skip })`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The prefix of every namespace and state folder of any lab run. */
export const LAB_PREFIX = "k3s-sites-lab-";

/** Where Debian's frr package installs the daemons. */
export const FRR_DIR = "/usr/lib/frr";

export type Family = 4 | 6;

/** What a lab needs from the machine. */
export interface LabNeeds {
  /** FRR's zebra, bgpd and vtysh. @default false */
  readonly frr?: boolean;
  /** BIRD 2's bird and birdc. @default false */
  readonly bird?: boolean;
  /** iputils ping (DF and size). @default false */
  readonly ping?: boolean;
}

function commandExists(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Why the lab cannot run here (for `it(name, { skip: labSkip(...) })`), or false when it can. */
export function labSkip(needs: LabNeeds = {}): string | false {
  if (process.platform !== "linux") return `lab: network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "lab: needs root for network namespaces (run the tests as root, as CI does)";
  if (!commandExists("ip")) return "lab: no `ip` (install iproute2)";
  const probe = `${LAB_PREFIX}probe-${process.pid}`;
  const made = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (made.status !== 0) return `lab: \`ip netns add\` fails here: ${(made.stderr || "").trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  if (needs.frr) {
    for (const daemon of ["zebra", "bgpd"]) if (!existsSync(join(FRR_DIR, daemon))) return `lab: no ${FRR_DIR}/${daemon} (install frr)`;
    if (!commandExists("vtysh")) return "lab: no vtysh (install frr)";
  }
  if (needs.bird) {
    if (!commandExists("bird") || !commandExists("birdc")) return "lab: no bird/birdc (install bird2)";
    const version = spawnSync("bird", ["--version"], { encoding: "utf8" });
    if (!/BIRD version 2\./.test(`${version.stdout}${version.stderr}`)) return "lab: bird is not BIRD 2 (install bird2)";
  }
  if (needs.ping && !commandExists("ping")) return "lab: no ping (install iputils-ping)";
  return false;
}

function run(command: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...(input !== undefined ? { input } : {}) });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`lab: \`${command} ${args.join(" ")}\` failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function listNamespaces(): string[] {
  const out = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return out
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.length > 0);
}

/** Stop every process inside a namespace (by pid: they are ours, the namespace is ours), then delete it. */
function killAndDelete(netns: string): void {
  const pids = () =>
    (spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" }).stdout ?? "")
      .split("\n")
      .map(Number)
      .filter((p) => p > 0);
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    const live = pids();
    if (live.length === 0) break;
    for (const pid of live) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    const until = Date.now() + 2000;
    while (pids().length > 0 && Date.now() < until) spawnSync("sleep", ["0.05"]);
  }
  spawnSync("ip", ["netns", "del", netns], { stdio: "ignore" });
}

/** Remove the namespaces and state folders of lab runs whose process is gone. Returns the namespaces removed. */
export function sweepStale(): string[] {
  const owner = (name: string): number | undefined => {
    const m = new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(name);
    return m ? Number(m[1]) : undefined;
  };
  const removed: string[] = [];
  for (const netns of listNamespaces()) {
    const pid = owner(netns);
    if (pid !== undefined && !pidAlive(pid)) {
      killAndDelete(netns);
      removed.push(netns);
    }
  }
  for (const entry of readdirSync(tmpdir())) {
    const pid = owner(entry);
    if (pid !== undefined && !pidAlive(pid)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  return removed;
}

/** One address with its prefix length: "10.20.1.10/24", "fd00:20:1::10/64". */
export type AddressCidr = string;

export const familyOf = (address: string): Family => (address.includes(":") ? 6 : 4);

/** One end of a link: the namespace (a Lab name), the interface name in it, its addresses. */
export interface LinkEnd {
  readonly ns: string;
  readonly ifname: string;
  readonly addresses?: readonly AddressCidr[];
}

/** A kernel route, as `ip -j route` prints it (the fields used here). */
export interface KernelRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
  readonly type?: string;
  readonly nexthops?: readonly { readonly gateway?: string; readonly dev?: string }[];
}

/** A routing daemon running in a namespace. */
export interface Daemon {
  readonly kind: "frr" | "bird";
  readonly ns: string;
  /** The folder holding its config, sockets, pid files and log. */
  readonly dir: string;
  /** The config file it was started with (the exact text given). */
  readonly config: string;
}

/** A BGP session as the daemon reports it. */
export interface BgpSession {
  /** FRR: the neighbour address; BIRD: the protocol name. */
  readonly name: string;
  readonly state: string;
  readonly established: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
const live = new Set<Lab>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const lab of live) lab.destroy();
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      for (const lab of live) lab.destroy();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * One lab: namespaces, switches (bridges), links, addresses, daemons; destroy() removes all of it. Names given to
 * the methods are short lab names ("nuc", "home-a"); the kernel's namespace name is `${prefix}${name}`.
 */
export class Lab {
  readonly prefix: string;
  /** The run's state folder (configs, sockets, logs of the daemons). */
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private destroyed = false;

  constructor() {
    sweepStale();
    this.prefix = `${LAB_PREFIX}${process.pid}-${counter++}-`;
    this.dir = join(tmpdir(), this.prefix.slice(0, -1));
    mkdirSync(this.dir, { recursive: true });
    live.add(this);
    hookExit();
  }

  /** The kernel's name of a lab namespace. */
  netns(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Run a command inside a namespace; returns stdout, throws with stderr. */
  exec(ns: string, command: string, args: readonly string[], input?: string): string {
    return run("ip", ["netns", "exec", this.netns(ns), command, ...args], input);
  }

  /** `ip -n <ns> ...` */
  ip(ns: string, ...args: string[]): string {
    return run("ip", ["-n", this.netns(ns), ...args]);
  }

  /**
   * A namespace with lo up; `forwarding` turns on IPv4 and IPv6 forwarding (routers). IPv6 duplicate address
   * detection is off so that addresses are usable at once.
   */
  addNamespace(name: string, options: { readonly forwarding?: boolean } = {}): string {
    const netns = this.netns(name);
    run("ip", ["netns", "add", netns]);
    this.namespaces.push(netns);
    this.ip(name, "link", "set", "lo", "up");
    const sysctls = ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"];
    if (options.forwarding) sysctls.push("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
    this.exec(name, "sysctl", ["-q", "-w", ...sysctls]);
    return netns;
  }

  /** A switch: a namespace holding one bridge `br0` (up, no address), standing for a layer-2 segment. */
  addSwitch(name: string, options: { readonly mtu?: number } = {}): void {
    this.addNamespace(name);
    this.ip(name, "link", "add", "br0", ...(options.mtu ? ["mtu", String(options.mtu)] : []), "type", "bridge");
    this.ip(name, "link", "set", "br0", "up");
  }

  /** Addresses on an interface (nodad for IPv6). */
  addAddresses(ns: string, ifname: string, addresses: readonly AddressCidr[]): void {
    for (const address of addresses) this.ip(ns, "addr", "add", address, "dev", ifname, ...(familyOf(address) === 6 ? ["nodad"] : []));
  }

  /** Addresses on `lo` (pod addresses: /32 and /128 unless given): what a node's pods would hold. */
  addLoopback(ns: string, addresses: readonly string[]): void {
    this.addAddresses(ns, "lo", addresses.map((a) => (a.includes("/") ? a : `${a}/${familyOf(a) === 6 ? 128 : 32}`)));
  }

  /** A veth pair between two namespaces, both ends up with their addresses. */
  link(a: LinkEnd, b: LinkEnd, options: { readonly mtu?: number } = {}): void {
    this.ip(a.ns, "link", "add", a.ifname, ...(options.mtu ? ["mtu", String(options.mtu)] : []), "type", "veth", "peer", "name", b.ifname, "netns", this.netns(b.ns));
    if (options.mtu) this.ip(b.ns, "link", "set", b.ifname, "mtu", String(options.mtu));
    for (const end of [a, b]) {
      this.addAddresses(end.ns, end.ifname, end.addresses ?? []);
      this.ip(end.ns, "link", "set", end.ifname, "up");
    }
  }

  /** Plug a namespace into a switch: a veth whose far end is a port of the switch's bridge. */
  plug(switchName: string, end: LinkEnd, options: { readonly mtu?: number } = {}): void {
    const port = `p${this.portCount++}`;
    this.link(end, { ns: switchName, ifname: port }, options);
    this.ip(switchName, "link", "set", port, "master", "br0");
  }
  private portCount = 0;

  /** Write a file into the run's folder; returns its path. */
  writeFile(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /**
   * Start FRR in a namespace: zebra and bgpd with their own pid files, zserv socket and vty sockets in a folder of
   * their own (so several FRRs run side by side and none touches /var/run/frr), no vty TCP ports, as user frr. bgpd
   * reads `config` (exactly that text); zebra starts empty.
   */
  startFrr(ns: string, config: string): Daemon {
    const dir = join(this.dir, `frr-${ns}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "bgpd.conf");
    writeFileSync(file, config);
    writeFileSync(join(dir, "zebra.conf"), "");
    writeFileSync(join(dir, "vtysh.conf"), "");
    // FRR drops to its own user (frr, in group frrvty): the folder must be its.
    run("chown", ["-R", "frr:frr", dir]);
    const common = ["-d", "-z", join(dir, "zserv.api"), "--vty_socket", dir, "-P", "0"];
    this.exec(ns, join(FRR_DIR, "zebra"), [...common, "-f", join(dir, "zebra.conf"), "-i", join(dir, "zebra.pid"), "--log", `file:${join(dir, "zebra.log")}`]);
    this.waitFor(() => existsSync(join(dir, "zserv.api")), 5000, `zebra in ${ns} did not open its zserv socket (log: ${join(dir, "zebra.log")})`);
    this.exec(ns, join(FRR_DIR, "bgpd"), [...common, "-f", file, "-i", join(dir, "bgpd.pid"), "--log", `file:${join(dir, "bgpd.log")}`]);
    this.waitFor(() => existsSync(join(dir, "bgpd.vty")), 5000, `bgpd in ${ns} did not start (log: ${join(dir, "bgpd.log")})`);
    return { kind: "frr", ns, dir, config: file };
  }

  /** Run vtysh commands against an FRR started by startFrr. */
  vtysh(daemon: Daemon, ...commands: string[]): string {
    return this.exec(daemon.ns, "vtysh", ["--vty_socket", daemon.dir, ...commands.flatMap((c) => ["-c", c])]);
  }

  /**
   * Start BIRD 2 in a namespace with `config` (exactly that text); its own control socket and pid file. `instance`
   * names a second BIRD in the same namespace (e.g. one per address family, as calico-node's bird and bird6).
   */
  startBird(ns: string, config: string, instance = ""): Daemon {
    const dir = join(this.dir, `bird-${ns}${instance ? `-${instance}` : ""}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "bird.conf");
    writeFileSync(file, config);
    const check = spawnSync("bird", ["-p", "-c", file], { encoding: "utf8" });
    if (check.status !== 0) throw new Error(`lab: BIRD refuses the config for ${ns} (${file}): ${(check.stderr || check.stdout).trim()}`);
    this.exec(ns, "bird", ["-c", file, "-s", join(dir, "bird.ctl"), "-P", join(dir, "bird.pid")]);
    this.waitFor(() => existsSync(join(dir, "bird.ctl")), 5000, `bird in ${ns} did not open its control socket`);
    return { kind: "bird", ns, dir, config: file };
  }

  /** Run a birdc command against a BIRD started by startBird. */
  birdc(daemon: Daemon, command: string): string {
    return this.exec(daemon.ns, "birdc", ["-s", join(daemon.dir, "bird.ctl"), ...command.split(" ")]);
  }

  /** Stop one daemon (SIGTERM, SIGKILL after 2 s) by the pids of its pid files; destroy() stops any left. */
  stop(daemon: Daemon): void {
    const files = daemon.kind === "frr" ? ["bgpd.pid", "zebra.pid"] : ["bird.pid"];
    const pids = files.map((f) => join(daemon.dir, f)).filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, "utf8").trim())).filter((p) => p > 0);
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const alive = pids.filter(pidAlive);
      if (alive.length === 0) return;
      for (const pid of alive) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
      const until = Date.now() + 2000;
      while (pids.some(pidAlive) && Date.now() < until) spawnSync("sleep", ["0.05"]);
    }
  }

  /** The daemon's BGP sessions and their states. */
  bgpSessions(daemon: Daemon): BgpSession[] {
    if (daemon.kind === "frr") {
      const json = JSON.parse(this.vtysh(daemon, "show bgp neighbors json")) as Record<string, { bgpState?: string }>;
      return Object.entries(json)
        .filter(([, v]) => typeof v === "object" && v !== null && "bgpState" in v)
        .map(([name, v]) => ({ name, state: v.bgpState ?? "?", established: v.bgpState === "Established" }));
    }
    const out = this.birdc(daemon, "show protocols");
    return out
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === "BGP")
      .map((f) => ({ name: f[0]!, state: f.slice(5).join(" ") || f[3]!, established: f[5] === "Established" }));
  }

  /** Wait until every BGP session of each daemon is Established (at least `min` each); returns them. */
  async waitEstablished(daemons: readonly Daemon[], options: { readonly timeoutMs?: number; readonly min?: number } = {}): Promise<Map<Daemon, BgpSession[]>> {
    const until = Date.now() + (options.timeoutMs ?? 45_000);
    for (;;) {
      const states = new Map(daemons.map((d) => [d, this.bgpSessions(d)] as const));
      const waiting = [...states].filter(([, s]) => s.length < (options.min ?? 1) || s.some((x) => !x.established));
      if (waiting.length === 0) return states;
      if (Date.now() > until) {
        const detail = waiting.map(([d, s]) => `${d.kind} in ${d.ns}: ${s.map((x) => `${x.name} ${x.state}`).join(", ") || "no sessions"}`).join("; ");
        throw new Error(`lab: BGP sessions not Established within ${options.timeoutMs ?? 45_000} ms: ${detail}`);
      }
      await sleep(250);
    }
  }

  /** A namespace's kernel routes of one family (main table). */
  routes(ns: string, family: Family): KernelRoute[] {
    return JSON.parse(this.ip(ns, "-j", `-${family}`, "route", "show") || "[]") as KernelRoute[];
  }

  /** Wait until `check` holds for the routes of a namespace; returns the routes, or throws with them. */
  async waitRoutes(ns: string, family: Family, check: (routes: KernelRoute[]) => boolean, timeoutMs = 20_000): Promise<KernelRoute[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const routes = this.routes(ns, family);
      if (check(routes)) return routes;
      if (Date.now() > until) throw new Error(`lab: routes of ${ns} (IPv${family}) not as expected within ${timeoutMs} ms:\n${this.ip(ns, `-${family}`, "route", "show")}`);
      await sleep(250);
    }
  }

  /**
   * One ping from `from` (an address in the namespace) to `to`; `size` is the ICMP payload, `df` forbids
   * fragmentation (-M do). True when the answer came back.
   */
  ping(ns: string, options: { readonly from?: string; readonly to: string; readonly size?: number; readonly df?: boolean; readonly timeoutS?: number }): boolean {
    const args = ["-n", "-q", "-c", "1", "-W", String(options.timeoutS ?? 2)];
    if (options.from) args.push("-I", options.from);
    if (options.size !== undefined) args.push("-s", String(options.size));
    if (options.df) args.push("-M", "do");
    args.push(options.to);
    return spawnSync("ip", ["netns", "exec", this.netns(ns), "ping", `-${familyOf(options.to)}`, ...args], { stdio: "ignore" }).status === 0;
  }

  /** Poll `check` (synchronous) until true or throw `message`. */
  private waitFor(check: () => boolean, timeoutMs: number, message: string): void {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`lab: ${message}`);
      spawnSync("sleep", ["0.05"]);
    }
  }

  /** Stop every daemon and delete every namespace and the state folder. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const netns of [...this.namespaces].reverse()) killAndDelete(netns);
    // Anything with our prefix that a failed call left unrecorded.
    for (const netns of listNamespaces()) if (netns.startsWith(this.prefix)) killAndDelete(netns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** ICMP payload that makes an IP packet of exactly `mtu` bytes (IPv4 header 20 + ICMP 8; IPv6 40 + 8). */
export function payloadForMtu(mtu: number, family: Family): number {
  return mtu - (family === 4 ? 28 : 48);
}
