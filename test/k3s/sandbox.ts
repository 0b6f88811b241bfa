/**
 * Runs a node script in a sandbox: a temporary root (K3S_SITES_ROOT) and stub curl, systemctl, sysctl and modprobe
 * on PATH that record their calls. The stub curl "downloads" a stub installer, which installs a stub k3s binary
 * that reports the installed version and answers /readyz.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
mkdir -p "$K3S_SITES_ROOT/usr/local/bin"
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
  is-active) [ -f "$K3S_SITES_ROOT/run/stub/$3.active" ] ;;
  start|restart) touch "$K3S_SITES_ROOT/run/stub/$2.active" ;;
esac
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

export function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "k3s-sites-sandbox-"));
  const root = join(dir, "root");
  const bin = join(dir, "bin");
  const tmp = join(dir, "tmp");
  const calls = join(dir, "calls.log");
  for (const d of [root, bin, tmp]) mkdirSync(d, { recursive: true });
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
      const result = spawnSync("bash", [file], {
        input: stdin,
        encoding: "utf8",
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          K3S_SITES_ROOT: root,
          CALLS: calls,
          TMPDIR: tmp,
          STUB_SERVER_VERSIONS: "",
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
