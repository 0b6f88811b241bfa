/**
 * Runs a verification script (src/verify/*.sh) with stub network tools on PATH: dig answers from a table of
 * names, nc connects to the listed address and port pairs only (anything else times out), curl answers HTTP
 * from a table of URLs and Kubernetes API GETs from JSON files, socat listens (until told to stop, or refuses to
 * bind) and records the answer its SYSTEM command gives. jq and the shell are the machine's own.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "../helpers";

/** Shared by the nc and curl stubs: `late <key> after=N` fails (status 1) on the first N calls for the key, as a peer that is not there yet. */
const LATE = `late() {
  case "$2" in after=*) ;; *) return 0 ;; esac
  f="$STUB_DIR/count-$(echo "$1" | tr -c 'A-Za-z0-9' _)"
  n=0; [ -f "$f" ] && read -r n < "$f"; n=$(( n + 1 )); echo "$n" > "$f"
  [ "$n" -gt "\${2#after=}" ]
}
`;

/**
 * Shared by the dig, nc, curl and sleep stubs: `advance N` moves the sandbox clock on N seconds; `timed_out N` does
 * so only with STUB_COSTS=1 (a try that times out costs its timeout). The clock is read with the shell's own read,
 * not cat: the checks' loops call these stubs some 1,500 times a suite.
 */
const CLOCK = `advance() { read -r now < "$STUB_DIR/clock"; echo $(( now + $1 )) > "$STUB_DIR/clock"; }
timed_out() { [ "\${STUB_COSTS:-0}" = 1 ] && advance "$1"; return 0; }
`;

const STUBS: Record<string, string> = {
  dig: `#!/bin/sh
echo "dig $*" >> "$STUB_DIR/calls"
${CLOCK}name=""; record=""
for a in "$@"; do
  case "$a" in +*) ;; *) if [ -z "$name" ]; then name="$a"; else record="$a"; fi ;; esac
done
[ -f "$STUB_DIR/dns" ] || exit 0
awk -v n="$name" -v r="$record" '$1 == n && $2 == r { print $3; found = 1 } END { exit !found }' "$STUB_DIR/dns" ||
  timed_out 4
exit 0
`,
  nc: `#!/bin/sh
echo "nc $*" >> "$STUB_DIR/calls"
${LATE}${CLOCK}z=0; address=""; port=""
while [ $# -gt 0 ]; do
  case "$1" in
    -z) z=1; shift ;;
    -w) wait="$2"; shift 2 ;;
    *) if [ -z "$address" ]; then address="$1"; else port="$1"; fi; shift ;;
  esac
done
cost() { timed_out "\${wait:-2}"; }
line="$(awk -v a="$address" -v p="$port" '$1 == a && $2 == p { print; found = 1; exit } END { exit !found }' "$STUB_DIR/tcp" 2>/dev/null)" || { cost; exit 1; }
set -- $line
answer="$3"
late "nc-$address-$port" "\${4:-}" || { cost; exit 1; }
[ "$z" = 1 ] || [ "$answer" = - ] || echo "$answer"
`,
  curl: `#!/bin/sh
echo "curl $*" >> "$STUB_DIR/calls"
${LATE}${CLOCK}url=""; headers=0; proxy=0
while [ $# -gt 0 ]; do
  case "$1" in
    -m|-o|-H|--cacert|--connect-timeout) shift 2 ;;
    -D) headers=1; shift 2 ;;
    --haproxy-protocol) proxy=1; shift ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
case "$url" in
  https://kubernetes.default.svc/*)
    file="$STUB_DIR/api/$(echo "\${url#https://kubernetes.default.svc/}" | tr / _).json"
    if [ -f "$file" ]; then cat "$file"; else echo '{"kind":"Status","code":404}'; fi
    exit 0 ;;
esac
line="$(awk -v u="$url" '$1 == u { print; found = 1 } END { exit !found }' "$STUB_DIR/http" 2>/dev/null)" || {
  timed_out 5
  echo "curl: (28) Connection timed out after 5000 milliseconds" >&2; exit 28; }
set -- $line
for word in "$@"; do case "$word" in after=*) late "curl-$url" "$word" || {
  echo "curl: (7) Failed to connect: Connection refused" >&2; exit 7; } ;; esac; done
if [ "$3" = proxy ] && [ "$proxy" = 0 ]; then echo "curl: (52) Empty reply from server" >&2; exit 52; fi
if [ "$3" != proxy ] && [ "$proxy" = 1 ]; then echo "curl: (52) Empty reply from server" >&2; exit 52; fi
# A server of "-" sends no Server header (Traefik).
if [ "$headers" = 1 ] && [ "$2" = - ]; then printf 'HTTP/1.1 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\n'; exit 0; fi
[ "$headers" = 1 ] && printf 'HTTP/1.1 404 Not Found\\r\\nServer: %s\\r\\n\\r\\n' "$2"
exit 0
`,
  // ip neigh show to <address>: the neighbour table's lines for the address (`address dev ... lladdr ... STATE`).
  ip: `#!/bin/sh
echo "ip $*" >> "$STUB_DIR/calls"
[ "$1 $2 $3" = "neigh show to" ] || exit 1
awk -v a="$4" '$1 == a' "$STUB_DIR/neigh" 2>/dev/null
`,
  // The clock (CLOCK, above): sleep advances it, date +%s reads it.
  sleep: `#!/bin/sh
echo "sleep $*" >> "$STUB_DIR/calls"
${CLOCK}advance "\${1%.*}"
`,
  date: `#!/bin/sh
[ "$1" = +%s ] || exec date "$@"
read -r now < "$STUB_DIR/clock"; echo "$now"
`,
  // A listener named FAMILY:PORT (TCP4:8080): refuses to bind when listed in refuse, else records the answer of
  // its SYSTEM command and listens until stop-FAMILY:PORT (which it then removes: one stop, one listener) or
  // stop-all exists.
  socat: `#!/bin/sh
echo "socat $*" >> "$STUB_DIR/calls"
spec="$1"; family="\${spec%%-LISTEN:*}"; port="\${spec#*-LISTEN:}"; port="\${port%%,*}"; name="$family:$port"
if grep -qx "$name" "$STUB_DIR/refuse" 2>/dev/null; then
  echo "socat E bind(5, {AF=$family [::]:$port}): Address already in use" >&2; exit 1
fi
case "$2" in SYSTEM:*) echo "answer $name $(sh -c "\${2#SYSTEM:}")" >> "$STUB_DIR/calls" ;; esac
while [ ! -e "$STUB_DIR/stop-$name" ] && [ ! -e "$STUB_DIR/stop-all" ]; do command -p sleep 0.05; done
rm -f "$STUB_DIR/stop-$name"
exit 0
`,
};

export interface Network {
  /** `name record address` lines: what dig answers. */
  readonly dns?: readonly string[];
  /**
   * `address port answer [after=N]` lines (answer `-` for none): what nc connects to; with after=N the first N
   * tries fail, as a peer whose policy is not in force yet.
   */
  readonly tcp?: readonly string[];
  /** `url server [proxy] [after=N]` lines: what curl gets an answer from (`proxy`: only with a PROXY header; after=N: not on the first N tries). */
  readonly http?: readonly string[];
  /** API path (`/apis/...`, with its query) -> the JSON object (or, as a string, the text) the API server returns. */
  readonly api?: Readonly<Record<string, unknown>>;
  /** The neighbour table, as `ip neigh` prints it: `address dev eth0 lladdr 52:54:00:12:34:56 REACHABLE`. */
  readonly neigh?: readonly string[];
  /** `FAMILY:PORT` listeners (`TCP6:8080`) socat cannot bind. */
  readonly refuse?: readonly string[];
}

export interface ScriptRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: string[];
  /** The sandbox clock at the end, in seconds: the sleeps, and with STUB_COSTS=1 the tries that timed out. */
  readonly clock?: number;
}

/** Whether the sandbox can run here: the scripts need bash and jq. */
export const SANDBOX_SKIP: string | undefined = (() => {
  for (const tool of ["bash", "jq", "awk"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install ${tool})`;
  }
  return undefined;
})();

/** How a run differs from the all-stub sandbox. */
export interface RunOptions {
  /** Tools the machine's own copy answers, not a stub (the kernel's neighbour table: `ip`, `sleep`). */
  readonly real?: readonly string[];
  /** Extra or replacing stubs, name -> script. */
  readonly stubs?: Readonly<Record<string, string>>;
  /** A command the script runs under (`ip netns exec <name>`). */
  readonly prefix?: readonly string[];
  /** The run's time limit (ms). @default 20000 */
  readonly timeout?: number;
}

/** The sandbox's folder: the stubs in bin/, the network's tables, the calls file and a service account. */
function sandbox(network: Network, options: RunOptions = {}): { dir: string; bin: string; sa: string } {
  const dir = mkdtempSync(join(tmpdir(), "verify-"));
  try {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    for (const [name, text] of Object.entries({ ...STUBS, ...options.stubs })) {
      if (options.real?.includes(name)) continue;
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    }
    writeFileSync(join(dir, "dns"), (network.dns ?? []).join("\n") + "\n");
    writeFileSync(join(dir, "tcp"), (network.tcp ?? []).join("\n") + "\n");
    writeFileSync(join(dir, "http"), (network.http ?? []).join("\n") + "\n");
    writeFileSync(join(dir, "calls"), "");
    writeFileSync(join(dir, "clock"), "0\n");
    mkdirSync(join(dir, "api"));
    for (const [path, body] of Object.entries(network.api ?? {})) {
      // A string is sent as it is (a pod's log), anything else as JSON.
      writeFileSync(join(dir, "api", `${path.slice(1).replaceAll("/", "_")}.json`), typeof body === "string" ? body : JSON.stringify(body));
    }
    const sa = join(dir, "sa");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "stub-token");
    writeFileSync(join(sa, "ca.crt"), "stub-ca");
    writeFileSync(join(dir, "refuse"), (network.refuse ?? []).join("\n") + "\n");
    writeFileSync(join(dir, "neigh"), (network.neigh ?? []).join("\n") + "\n");
    return { dir, bin, sa };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

const callsOf = (dir: string) => readFileSync(join(dir, "calls"), "utf8").split("\n").filter((l) => l !== "");

export function runCheck(script: string, env: Readonly<Record<string, string>>, network: Network, options: RunOptions = {}): ScriptRun {
  const { dir, bin, sa } = sandbox(network, options);
  try {
    const path = join(ROOT, "src/verify", script);
    const [command, ...args] = [...(options.prefix ?? []), "bash", path];
    const result = spawnSync(command!, args, {
      cwd: dirname(path),
      env: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, STUB_DIR: dir, SERVICE_ACCOUNT_DIR: sa, ...env },
      encoding: "utf8",
      timeout: options.timeout ?? 20_000,
    });
    const clock = Number(readFileSync(join(dir, "clock"), "utf8"));
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, calls: callsOf(dir), clock };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A script that keeps running (a server), seen while it runs. */
export interface Server {
  /** The stub calls so far. */
  calls(): string[];
  /** Whether the script is still running. */
  running(): boolean;
  /** Makes one stub listener stop, as a socat that dies or, without fork, has served its connection: `TCP6:8080`. */
  stop(listener: string): void;
  /** Waits until the condition holds, polling; throws after `ms`. */
  until(what: string, condition: () => boolean, ms?: number): Promise<void>;
  /** The script's end: its status and output. */
  readonly exited: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

/**
 * Starts a server script in the sandbox, hands it to `body`, then stops every stub listener, kills what is left of
 * the script's process group and removes the folder, whatever `body` did.
 */
export async function serveCheck<T>(
  script: string,
  env: Readonly<Record<string, string>>,
  network: Network,
  body: (server: Server) => Promise<T>,
): Promise<T> {
  const { dir, bin } = sandbox(network);
  // Output to files, not pipes: the script's background listeners outlive it and would hold a pipe open.
  const out = openSync(join(dir, "stdout"), "w");
  const err = openSync(join(dir, "stderr"), "w");
  const child = spawn("bash", [join(ROOT, "src/verify", script)], {
    cwd: join(ROOT, "src/verify"),
    env: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, STUB_DIR: dir, ...env },
    detached: true,
    stdio: ["ignore", out, err],
  });
  closeSync(out);
  closeSync(err);
  let done = false;
  const ended = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (status) => {
      done = true;
      resolve({ status, stdout: readFileSync(join(dir, "stdout"), "utf8"), stderr: readFileSync(join(dir, "stderr"), "utf8") });
    }),
  );
  const exited = Promise.race([
    ended,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${script} did not exit within 10 s`)), 10_000).unref()),
  ]);
  exited.catch(() => undefined); // a body that never awaits it does not fail on it
  const until = async (what: string, condition: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; calls: ${callsOf(dir).join(" | ")}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const server: Server = {
    calls: () => callsOf(dir),
    running: () => !done,
    stop: (listener) => writeFileSync(join(dir, `stop-${listener}`), ""),
    until,
    exited,
  };
  try {
    return await body(server);
  } finally {
    writeFileSync(join(dir, "stop-all"), "");
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2_000))]);
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // the group is gone already
    }
    await new Promise((r) => setTimeout(r, 100)); // the stubs see stop-all and end; then the folder goes
    rmSync(dir, { recursive: true, force: true });
  }
}
