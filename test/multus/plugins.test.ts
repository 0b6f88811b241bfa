/**
 * The CNI plugins behind the Multus networks: which k3s bundles, which the node script installs (from the pinned,
 * digest-checked containernetworking/plugins archive, into the bin dir Multus and containerd use), and a check that
 * every plugin type a NetworkAttachmentDefinition of the plan names is one or the other.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { firstDeploymentJoin } from "../../src/cluster/membership";
import type { SiteConfig } from "../../src/config/site";
import { NODE_SCRIPT_TEMPLATE, nodeScript, nodeStdin } from "../../src/k3s/script";
import { K3S_CNI_DIRS, multusObjects } from "../../src/multus/manifest";
import {
  CNI_PLUGINS_RELEASE,
  K3S_BUNDLED_CNI_PLUGINS,
  bundledPlugins,
  cniPluginsUrl,
  missingPlugins,
  pluginTypesOf,
  pluginsToInstall,
} from "../../src/multus/plugins";
import { exampleSections, parse1, sshSections } from "../helpers";
import { makeSandbox } from "../k3s/sandbox";
import { planOf, planOfSections } from "../plan/run";
import { nodeOfCommand } from "../../src/k3s/names";

const lan = parse1(exampleSections("lan"));

/** A header value of a generated script. */
function valueOf(script: string, name: string): string | undefined {
  return new RegExp(`^${name}='([^']*)'$`, "m").exec(script)?.[1];
}

function scriptOf(config: SiteConfig, name: string): string {
  const node = config.nodes.find((n) => n.name === name)!;
  return nodeScript(config, { node, ...firstDeploymentJoin(config, node), caHash: "ab".repeat(32) });
}

describe("CNI plugins for Multus networks", () => {
  it("hold k3s's bundled set and the pinned release as read upstream", () => {
    // k3s scripts/package-cli and rancher/plugins main_linux.go (v1.6.0-k3s1 .. v1.9.1-k3s1): no macvlan, no static.
    assert.deepEqual([...K3S_BUNDLED_CNI_PLUGINS], ["bandwidth", "bridge", "firewall", "flannel", "host-local", "loopback", "portmap"]);
    assert.equal(cniPluginsUrl("arm64"), "https://github.com/containernetworking/plugins/releases/download/v1.9.1/cni-plugins-linux-arm64-v1.9.1.tgz");
    assert.deepEqual(CNI_PLUGINS_RELEASE.sha256, {
      amd64: "b98f74a0f8522f0a83867178729c1aa70f2158f90c45a2ca8fa791db1c76b303",
      arm64: "56171987d3947707c3563db2f4001bccaf50fd63468611b9f3cbecb1375ee7ec",
    });
    for (const p of ["macvlan", "static", "host-local", "sbr"]) assert.ok((CNI_PLUGINS_RELEASE.plugins as readonly string[]).includes(p), p);
  });

  it("install macvlan, sbr and static on the lan example, into k3s's bin dir", () => {
    assert.deepEqual(pluginsToInstall(lan), ["macvlan", "sbr", "static"]);
    for (const name of ["tower", "mini-1"]) {
      const script = scriptOf(lan, name);
      assert.equal(valueOf(script, "CNI_PLUGINS"), "macvlan sbr static", name);
      assert.equal(valueOf(script, "CNI_BIN_DIR"), "/var/lib/rancher/k3s/data/cni", name);
      assert.equal(valueOf(script, "CNI_PLUGINS_URL"), cniPluginsUrl("amd64"), name);
      assert.equal(valueOf(script, "CNI_PLUGINS_SHA256"), CNI_PLUGINS_RELEASE.sha256.amd64, name);
    }
  });

  it("install host-local as well into /opt/cni/bin where k3s's Flannel is off, and nothing on a site without networks", () => {
    const raw = exampleSections("lan");
    raw.cni = { plugin: "canal" };
    raw.site.hosts = raw.site.hosts.slice(0, 1); // host-local is refused on more than one node
    raw.networks[1].ipam = { type: "host-local", ranges: [{ subnet: "192.168.30.0/24", gateway: "192.168.30.1" }] };
    raw.networkPolicies.apps.find((a: { name: string }) => a.name === "mail").networks[1] = { name: "dmz-out" };
    const canal = parse1(raw);
    assert.deepEqual(bundledPlugins(canal), []);
    assert.deepEqual(pluginsToInstall(canal), ["host-local", "macvlan", "sbr", "static"]);
    assert.equal(valueOf(scriptOf(canal, "tower"), "CNI_BIN_DIR"), "/opt/cni/bin");
    const home = parse1(exampleSections("home"));
    assert.equal(valueOf(scriptOf(home, "nuc"), "CNI_PLUGINS"), undefined, "other sites' scripts stay as they were");
  });

  it("refuse a plugin type that nothing installs", () => {
    assert.deepEqual(pluginTypesOf({ type: "tuning", plugins: [{ type: "ipvlan", ipam: { type: "whereabouts" } }] }), ["tuning", "ipvlan", "whereabouts"]);
    const raw = sshSections();
    raw.cni = { plugin: "flannel" };
    raw.site.hosts = raw.site.hosts.slice(0, 1);
    raw.networks = [{ name: "dmz", namespace: "dmz", master: "eth0", ipam: { type: "host-local", ranges: [{ subnet: "192.168.50.0/24" }] } }];
    const site = parse1(raw);
    assert.deepEqual(pluginsToInstall(site), ["macvlan"]);
    assert.deepEqual(missingPlugins(["host-local", "macvlan", "static"], K3S_BUNDLED_CNI_PLUGINS), ["macvlan", "static"]);
    // A plugin type a new kind of network would run, installed by nothing: refused before any node is touched.
    assert.throws(
      () => missingPlugins(["macvlan", "whereabouts"], K3S_BUNDLED_CNI_PLUGINS),
      /run CNI plugin types whereabouts, which neither k3s nor containernetworking\/plugins v1\.9\.1 provides/,
    );
  });
});

describe("the plan's NetworkAttachmentDefinitions", () => {
  it("name only plugin types k3s bundles or every node script installs (lan, and lan on Canal)", async () => {
    const canal = exampleSections("lan");
    canal.cni = { plugin: "canal" };
    for (const [label, run] of [["lan", await planOf("lan")], ["lan on canal", await planOfSections(canal, "lan")]] as const) {
      const nads = run.resources
        .filter((r) => r.name.endsWith("-multus-networks"))
        .flatMap((r) => r.inputs.objs as { spec: { config: string } }[]);
      assert.ok(nads.length > 0, label);
      const used = new Set(nads.flatMap((n) => pluginTypesOf(JSON.parse(n.spec.config) as Record<string, unknown>)));
      const scripts = run.resources.filter((r) => nodeOfCommand(r) !== undefined);
      assert.ok(scripts.length > 0, label);
      const binDir = label === "lan" ? K3S_CNI_DIRS.bin : "/opt/cni/bin";
      const bundled = new Set<string>(label === "lan" ? K3S_BUNDLED_CNI_PLUGINS : []);
      for (const s of scripts) {
        const create = s.inputs.create as string;
        const installed = new Set((valueOf(create, "CNI_PLUGINS") ?? "").split(" "));
        assert.equal(valueOf(create, "CNI_BIN_DIR"), binDir, `${label} ${s.name}`);
        for (const type of used) assert.ok(bundled.has(type) || installed.has(type), `${label}: ${s.name} gets no ${type}`);
      }
      // The bin dir the plugins land in is the one the Multus daemon searches.
      const cm = (run.resources.find((r) => r.name.endsWith("-multus-manifest"))!.inputs.objs as { kind: string; data?: Record<string, string> }[]).find(
        (o) => o.kind === "ConfigMap",
      )!;
      const daemonConfig = JSON.parse(cm.data!["daemon-config.json"]!) as { binDir?: string };
      assert.equal(daemonConfig.binDir ?? "/opt/cni/bin", binDir, label);
    }
  });
});

describe("the node script's plugin install, in a sandbox", () => {
  /** A stand-in archive holding the release's member names, and a curl that serves it for the archive's URL. */
  function withArchive(box: ReturnType<typeof makeSandbox>) {
    const dir = mkdtempSync(join(tmpdir(), "cni-archive-"));
    try {
      for (const p of CNI_PLUGINS_RELEASE.plugins) writeFileSync(join(dir, p), `#!/bin/sh\necho ${p}\n`, { mode: 0o755 });
      const archive = join(dirname(box.root), "plugins.tgz");
      const tar = spawnSync("tar", ["-czf", archive, "-C", dir, "."]);
      assert.equal(tar.status, 0, String(tar.stderr));
      const bin = join(dirname(box.root), "archive-bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(
        join(bin, "curl"),
        `#!/bin/sh\ncase "$*" in *.tgz) echo "curl-archive $*" >> "$CALLS"; while [ $# -gt 1 ]; do [ "$1" = -o ] && cp "${archive}" "$2"; shift; done; exit 0 ;; esac\nexec "${join(dirname(box.root), "bin", "curl")}" "$@"\n`,
      );
      chmodSync(join(bin, "curl"), 0o755);
      const sha = createHash("sha256").update(readFileSync(archive)).digest("hex");
      return { env: { PATH: `${bin}:${join(dirname(box.root), "bin")}:/usr/bin:/bin` }, sha };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("installs only the named plugins once the sha256 matches, and a second run downloads nothing", () => {
    const box = makeSandbox();
    const { env, sha } = withArchive(box);
    const script = scriptOf(lan, "mini-1").replace(/^CNI_PLUGINS_SHA256='[^']*'$/m, `CNI_PLUGINS_SHA256='${sha}'`);
    const stdin = nodeStdin({ token: "the-agent-token" });
    const first = box.run(script, stdin, env);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.calls.filter((c) => c.startsWith("curl-archive")).length, 1);
    const files = box.snapshot();
    const bin = K3S_CNI_DIRS.bin;
    assert.deepEqual(
      Object.keys(files).filter((f) => f.startsWith(`${bin}/`)).sort(),
      [`${bin}/.k3s-sites-plugins`, `${bin}/macvlan`, `${bin}/sbr`, `${bin}/static`],
    );
    assert.match(files[`${bin}/macvlan`]!, /^755 #!\/bin\/sh\necho macvlan/);
    const second = box.run(script, stdin, env);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(second.calls.filter((c) => c.startsWith("curl-archive")), []);
    assert.deepEqual(box.snapshot(), files);
  });

  it("downloads after the node's default route is in place (a node without public IPv4 has none before)", () => {
    const route = NODE_SCRIPT_TEMPLATE.indexOf('if [ -n "$ROUTE_UNIT" ]; then');
    const plugins = NODE_SCRIPT_TEMPLATE.indexOf('if [ -n "$CNI_PLUGINS" ]; then');
    const installer = NODE_SCRIPT_TEMPLATE.indexOf('download "$INSTALLER_URL" "$installer"');
    assert.ok(route > 0 && plugins > route, "the plugins' download comes after the route unit");
    assert.ok(installer > plugins, "and before k3s is installed");
  });

  it("installs nothing from an archive whose sha256 is not the pinned one, and says so", () => {
    const box = makeSandbox();
    const { env } = withArchive(box);
    const result = box.run(scriptOf(lan, "mini-1"), nodeStdin({ token: "the-agent-token" }), env);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /cni-plugins-linux-amd64-v1\.9\.1\.tgz has sha256 [0-9a-f]{64}, not the pinned b98f74a0f852\w+: nothing was installed/);
    assert.deepEqual(Object.keys(box.snapshot()).filter((f) => f.startsWith(K3S_CNI_DIRS.bin)), []);
    assert.ok(!result.calls.some((c) => c.startsWith("installer")), "k3s is not installed after a failed check");
  });
});

describe("Multus on a Flannel site finds k3s's plugins", () => {
  it("sets the daemon's binDir to k3s's bin dir and mounts k3s's data dir read-only at the same path", () => {
    const objects = multusObjects(lan) as { kind: string; data?: Record<string, string>; spec?: { template: { spec: Record<string, unknown> } } }[];
    const cm = objects.find((o) => o.kind === "ConfigMap")!;
    const daemonConfig = JSON.parse(cm.data!["daemon-config.json"]!) as Record<string, unknown>;
    assert.equal(daemonConfig.binDir, "/var/lib/rancher/k3s/data/cni");
    assert.equal(daemonConfig.chrootDir, "/hostroot", "upstream's other keys stay");
    const pod = objects.find((o) => o.kind === "DaemonSet")!.spec!.template.spec as {
      volumes: { name: string; hostPath?: { path: string } }[];
      containers: { name: string; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[];
    };
    assert.equal(pod.volumes.find((v) => v.name === "k3s-data")?.hostPath?.path, "/var/lib/rancher/k3s/data");
    const mount = pod.containers.find((c) => c.name === "kube-multus")!.volumeMounts.find((m) => m.name === "k3s-data");
    assert.deepEqual(mount, { name: "k3s-data", mountPath: "/var/lib/rancher/k3s/data", readOnly: true });
    const raw = exampleSections("lan");
    raw.cni = { plugin: "canal" };
    const canal = multusObjects(parse1(raw)) as typeof objects;
    assert.equal((JSON.parse(canal.find((o) => o.kind === "ConfigMap")!.data!["daemon-config.json"]!) as { binDir?: string }).binDir, undefined);
  });
});
