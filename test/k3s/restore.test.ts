/**
 * The etcd restore of docs/day2.md, run in a sandbox against the config the plan writes (the init server's node script
 * runs first and writes /etc/rancher/k3s/config.yaml and its secrets drop-in), with S3 uploads on and off. The k3s
 * stub decides as `k3s server --cluster-reset` does (k3s-io/k3s pkg/etcd/etcd.go, ETCD.Reset): with etcd-s3 on, in
 * the config file or on the command line (which wins), the restore path is an S3 object key, downloaded into the
 * snapshot directory, and the S3 settings must come from the config file or the command line; otherwise it is a
 * file that must exist.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import type { SiteConfig } from "../../src/config/site";
import { RESTORE_SCRIPT, nodeScript, nodeStdin } from "../../src/k3s/script";
import { serverSecretFilesOf } from "../../src/concerns/registry";
import { hetznerSections, parse1 } from "../helpers";
import { makeSandbox, type Sandbox } from "./sandbox";

const SNAPSHOTS = "var/lib/rancher/k3s/server/db/snapshots";
const NAME = "on-demand-control-1-1764980000";

function site(s3: boolean): SiteConfig {
  const raw = hetznerSections();
  if (s3) raw.k3s.etcdSnapshots = { s3: { bucket: "snaps" } };
  return parse1(raw);
}

/** The init server as the plan leaves it (its node script has run), with k3s stopped and a k3s that restores. */
function initServer(config: SiteConfig): Sandbox {
  const box = makeSandbox();
  const node = config.nodes.find((n) => n.name === "control-1")!;
  const s3 = config.k3s.etcdSnapshots.s3 !== undefined;
  const stdin = nodeStdin({
    token: "the-token",
    agentToken: "the-agent-token",
    ...(s3 ? { etcdS3: { accessKey: "AKID", secretKey: "the-secret" } } : {}),
    files: serverSecretFilesOf(config).map(() => "the-hcloud-token"),
  });
  const bootstrap = box.run(nodeScript(config, { node, ...firstDeploymentJoin(config, node) }), stdin);
  assert.equal(bootstrap.status, 0, bootstrap.stderr);
  assert.equal(box.run("systemctl stop k3s\n", "").status, 0);
  writeFileSync(
    join(box.root, "usr/local/bin/k3s"),
    `#!/bin/sh
echo "k3s $*" >> "$CALLS"
config="$K3S_SITES_ROOT/etc/rancher/k3s/config.yaml"
s3=0; grep -qx 'etcd-s3: true' "$config" && s3=1
path=""
for a in "$@"; do
  case "$a" in
    --etcd-s3=false) s3=0 ;;
    --cluster-reset-restore-path=*) path="\${a#*=}" ;;
  esac
done
if [ "$s3" = 1 ]; then
  grep -q '^etcd-s3-access-key: ' "$K3S_SITES_ROOT/etc/rancher/k3s/config.yaml.d/90-k3s-sites-secrets.yaml" ||
    { echo "cannot use S3 config secret when restoring snapshot; configuration must be set in CLI or config file" >&2; exit 1; }
  case " $STUB_S3_OBJECTS " in *" $path "*) ;; *) echo "failed to download snapshot from S3: NoSuchKey: $path" >&2; exit 1 ;; esac
  echo "restored s3:$path" >> "$CALLS"
else
  [ -f "$path" ] || { echo "etcd: snapshot path does not exist: $path" >&2; exit 1; }
  echo "restored file:$path" >> "$CALLS"
fi
echo "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now" >&2
exit 0
`,
  );
  chmodSync(join(box.root, "usr/local/bin/k3s"), 0o755);
  mkdirSync(join(box.root, SNAPSHOTS), { recursive: true });
  writeFileSync(join(box.root, SNAPSHOTS, NAME), "snapshot");
  return box;
}

const restored = (calls: string[]) => calls.filter((c) => c.startsWith("restored "));

describe("the etcd restore recipe, against the config the plan writes", () => {
  it("with S3 uploads on, restores a snapshot by its name from the bucket, then starts k3s", () => {
    const box = initServer(site(true));
    const run = box.run(RESTORE_SCRIPT.replace(/^set -euo pipefail$/m, `set -euo pipefail\nset -- ${NAME}`), "", { STUB_S3_OBJECTS: NAME });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(restored(run.calls), [`restored s3:${NAME}`]);
    assert.ok(run.calls.includes(`k3s server --cluster-reset --cluster-reset-restore-path=${NAME}`), run.calls.join("\n"));
    assert.ok(run.calls.includes("systemctl start k3s"));
    assert.match(run.stderr, /on each other server now: systemctl stop k3s; rm -rf \/var\/lib\/rancher\/k3s\/server\/db\/; systemctl start k3s/);
  });

  it("with S3 uploads on, restores a local file too, which the former recipe's command sent to S3 as a key", () => {
    const box = initServer(site(true));
    const file = join(box.root, SNAPSHOTS, NAME);
    // The former recipe: k3s server --cluster-reset --cluster-reset-restore-path=<snapshot file>.
    const former = box.run(`"$K3S_SITES_ROOT/usr/local/bin/k3s" server --cluster-reset --cluster-reset-restore-path=${file}\n`, "", {
      STUB_S3_OBJECTS: NAME,
    });
    assert.notEqual(former.status, 0);
    assert.match(former.stderr, /failed to download snapshot from S3: NoSuchKey/);
    const run = box.run(RESTORE_SCRIPT.replace(/^set -euo pipefail$/m, `set -euo pipefail\nset -- ${file}`), "", { STUB_S3_OBJECTS: NAME });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(restored(run.calls), [`restored file:${file}`]);
    assert.ok(run.calls.includes(`k3s server --cluster-reset --cluster-reset-restore-path=${file} --etcd-s3=false`));
  });

  it("with S3 uploads off, restores a local file, and refuses a bare name with where to look", () => {
    const box = initServer(site(false));
    const file = join(box.root, SNAPSHOTS, NAME);
    const run = box.run(RESTORE_SCRIPT.replace(/^set -euo pipefail$/m, `set -euo pipefail\nset -- ${file}`), "");
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(restored(run.calls), [`restored file:${file}`]);
    assert.ok(run.calls.includes(`k3s server --cluster-reset --cluster-reset-restore-path=${file}`));
    assert.equal(box.run("systemctl stop k3s\n", "").status, 0);
    const byName = box.run(RESTORE_SCRIPT.replace(/^set -euo pipefail$/m, `set -euo pipefail\nset -- ${NAME}`), "");
    assert.notEqual(byName.status, 0);
    assert.match(byName.stderr, new RegExp(`${NAME} is not a file on this server, and S3 uploads are off \\(k3s\\.etcdSnapshots\\.s3\\): give the path of a snapshot file, e\\.g\\. one of ${NAME}`));
    assert.deepEqual(restored(byName.calls), []);
  });

  it("refuses while k3s runs on the server, before touching etcd", () => {
    const box = initServer(site(false));
    assert.equal(box.run("systemctl start --no-block k3s\n", "").status, 0);
    const run = box.run(RESTORE_SCRIPT.replace(/^set -euo pipefail$/m, `set -euo pipefail\nset -- ${join(box.root, SNAPSHOTS, NAME)}`), "");
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /k3s is running on this server: stop it on every server first \(systemctl stop k3s\)/);
    assert.deepEqual(run.calls.filter((c) => c.startsWith("k3s ")), []);
  });
});
