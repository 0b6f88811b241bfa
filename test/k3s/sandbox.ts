/**
 * Runs a node script in a sandbox: a temporary root (K3S_SITES_ROOT) holding what a systemd host with the memory
 * cgroup has, and stub curl, systemctl, sysctl, modprobe, uname, ip and (when STUB_CLOUD_INIT is set) cloud-init
 * on PATH that record their calls. The stub curl "downloads" a stub installer, which installs a stub k3s binary
 * that reports the installed version and answers /readyz, and writes the unit as install.sh does. A started k3s
 * server writes its token file.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const STUBS: Record<string, string> = {
  curl: `#!/bin/sh
echo "curl $*" >> "$CALLS"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$out" ] || exit 22
cat > "$out" <<'INSTALLER'
echo "installer version=$INSTALL_K3S_VERSION exec=$INSTALL_K3S_EXEC skip_start=$INSTALL_K3S_SKIP_START" >> "$CALLS"
[ -z "$STUB_INSTALLER_FAILS" ] || exit 1
mkdir -p "$K3S_SITES_ROOT/usr/local/bin" "$K3S_SITES_ROOT/etc/systemd/system"
if [ "$INSTALL_K3S_EXEC" = server ]; then unit=k3s; else unit=k3s-agent; fi
echo "[Service]" > "$K3S_SITES_ROOT/etc/systemd/system/$unit.service"
cat > "$K3S_SITES_ROOT/usr/local/bin/k3s" <<EOF
#!/bin/sh
if [ "\\$1" = --version ]; then
  echo "k3s version $INSTALL_K3S_VERSION (stub)"
  echo "go version go1.0"
  exit 0
fi
echo "k3s \\$*" >> "\\$CALLS"
case "\\$*" in
  *get\\ nodes*) printf '%s\\n' \\$STUB_SERVER_VERSIONS ;;
esac
exit 0
EOF
chmod 755 "$K3S_SITES_ROOT/usr/local/bin/k3s"
INSTALLER
`,
  systemctl: `#!/bin/sh
echo "systemctl $*" >> "$CALLS"
mkdir -p "$K3S_SITES_ROOT/run/stub"
case "$1" in
  is-active) [ -z "$STUB_NEVER_ACTIVE" ] && [ -f "$K3S_SITES_ROOT/run/stub/$3.active" ] ;;
  is-failed) [ -n "$STUB_UNIT_FAILS" ] ;;
  stop) rm -f "$K3S_SITES_ROOT/run/stub/$2.active" ;;
  start|restart)
    unit="$2"; [ "$unit" != --no-block ] || unit="$3"
    touch "$K3S_SITES_ROOT/run/stub/$unit.active"
    if [ "$unit" = k3s ] && [ ! -f "$K3S_SITES_ROOT/var/lib/rancher/k3s/server/token" ]; then
      mkdir -p "$K3S_SITES_ROOT/var/lib/rancher/k3s/server"
      echo "K10\${STUB_CA_HASH}::server:stub" > "$K3S_SITES_ROOT/var/lib/rancher/k3s/server/token"
    fi
    if [ "$unit" = k3s ] && [ ! -f "$K3S_SITES_ROOT/etc/rancher/k3s/k3s.yaml" ]; then
      mkdir -p "$K3S_SITES_ROOT/etc/rancher/k3s"
      echo "apiVersion: v1" > "$K3S_SITES_ROOT/etc/rancher/k3s/k3s.yaml"
    fi
    ;;
esac
`,
  // The waits poll with sleep; tests shorten their deadlines instead of waiting.
  sleep: `#!/bin/sh
exit 0
`,
  uname: `#!/bin/sh
if [ "$1" = -m ]; then echo "$STUB_MACHINE"; else /bin/uname "$@"; fi
`,
  ip: `#!/bin/sh
echo "ip $*" >> "$CALLS"
i=2
for a in $STUB_ADDRESSES; do echo "$i: eth0    inet $a/32 scope global eth0"; i=$((i + 1)); done
`,
  sysctl: `#!/bin/sh
echo "sysctl $*" >> "$CALLS"
`,
  modprobe: `#!/bin/sh
echo "modprobe $*" >> "$CALLS"
mkdir -p "$K3S_SITES_ROOT/sys/module/$1"
`,
};

export interface Sandbox {
  readonly root: string;
  /** Runs the script with this stdin; returns the calls the stubs recorded during this run. */
  run(script: string, stdin: string, env?: Record<string, string>): RunResult;
  /** Every file under the root with its mode and content, for before/after comparisons. */
  snapshot(): Record<string, string>;
  read(path: string): string;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: string[];
}

const created: string[] = [];
// Removed when the test process ends, whether its tests passed or not.
process.on("exit", () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "k3s-sites-sandbox-"));
  created.push(dir);
  const root = join(dir, "root");
  const bin = join(dir, "bin");
  const tmp = join(dir, "tmp");
  const calls = join(dir, "calls.log");
  for (const d of [root, bin, tmp, join(root, "run/systemd/system"), join(root, "sys/fs/cgroup")]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(join(root, "sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  }
  const snapshot = (): Record<string, string> => {
    const files: Record<string, string> = {};
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) walk(path);
        else files[path.slice(root.length)] = `${(statSync(path).mode & 0o777).toString(8)} ${readFileSync(path, "utf8")}`;
      }
    };
    walk(root);
    return files;
  };
  return {
    root,
    snapshot,
    read: (path) => readFileSync(join(root, path), "utf8"),
    run(script, stdin, env = {}) {
      writeFileSync(calls, "");
      const file = join(dir, "script.sh");
      writeFileSync(file, script);
      // The host matches the node's values unless a test says otherwise.
      const value = (name: string) => new RegExp(`^${name}='([^']*)'$`, "m").exec(script)?.[1] ?? "";
      const machine = value("EXPECTED_ARCH") === "arm64" ? "aarch64" : "x86_64";
      const cloudInit = env.STUB_CLOUD_INIT;
      if (cloudInit !== undefined) {
        writeFileSync(join(bin, "cloud-init"), `#!/bin/sh\necho "cloud-init $*" >> "$CALLS"\nexit ${Number(cloudInit)}\n`);
        chmodSync(join(bin, "cloud-init"), 0o755);
      } else {
        rmSync(join(bin, "cloud-init"), { force: true });
      }
      const result = spawnSync("bash", [file], {
        input: stdin,
        encoding: "utf8",
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          K3S_SITES_ROOT: root,
          CALLS: calls,
          TMPDIR: tmp,
          STUB_SERVER_VERSIONS: "",
          STUB_MACHINE: machine,
          STUB_ADDRESSES: `127.0.0.1 ${value("PRIVATE_IP")}`,
          STUB_CA_HASH: "ab".repeat(32),
          ...env,
        },
        timeout: 20_000,
      });
      return {
        status: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        calls: readFileSync(calls, "utf8").split("\n").filter(Boolean),
      };
    },
  };
}

/**
 * Gives the sandbox a server's k3s whose `kubectl` records its calls (`kubectl <args>`) and answers with `cases`, the
 * arms of a shell `case "$*" in`, after `before` (shell lines of the caller's own). Every stub knows two faults:
 * STUB_WARN prints a warning on stderr as kubectl does when an aggregated API is briefly unavailable (and succeeds),
 * STUB_API_DOWN fails every call as an unreachable API does.
 */
export function installKubectl(box: Sandbox, cases: string, before = ""): void {
  const bin = join(box.root, "usr/local/bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "k3s"),
    `#!/bin/sh
shift 3 # kubectl --kubeconfig <file>
# printf, not echo: dash's echo would turn a jsonpath's \\n into a line break in the record.
printf 'kubectl %s\\n' "$*" >> "$CALLS"
${before}[ -z "$STUB_WARN" ] || echo 'E1202 memcache.go:265] couldn'"'"'t get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request' >&2
if [ -n "$STUB_API_DOWN" ]; then echo "The connection to the server 127.0.0.1:6443 was refused" >&2; exit 1; fi
case "$*" in
${cases}
esac
exit 0
`,
  );
  chmodSync(join(bin, "k3s"), 0o755);
}
