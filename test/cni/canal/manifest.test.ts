import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CANAL_CUSTOMIZED,
  canalSettingsOf,
  customizeCanal,
  splitCrds,
  withRegistry,
  type CanalSettings,
} from "../../../src/cni/canal";
import { parseManifest, type KubernetesObject } from "../../../src/kubernetes/object";
import type { SiteConfig } from "../../../src/config/site";
import { exampleSections, hetznerSections, parse1, problemsOf, ROOT, sshSections } from "../../helpers";
import { CrdValidator, validateBuiltin } from "../../support/schemas";

type Obj = KubernetesObject & Record<string, any>;

const VERSIONS = ["v3.31.7", "v3.32.1"] as const;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// Parsed once per file; frozen, so any test in which customizeCanal writes into its input throws.
const UPSTREAM = new Map(
  VERSIONS.map((v) => [
    v,
    deepFreeze(parseManifest(readFileSync(join(ROOT, "upstream", "calico", v, "canal.yaml"), "utf8"))) as Obj[],
  ]),
);

function upstream(version: string): Obj[] {
  return UPSTREAM.get(version as (typeof VERSIONS)[number])!;
}

/** A Hetzner site with a non-default private network and pod range, so that derived values cannot be constants. */
function hetznerConfig(): SiteConfig {
  const raw = hetznerSections();
  raw.site.network = { cidr: "172.16.0.0/16" };
  raw.k3s.clusterCidr = "10.52.0.0/16";
  return parse1(raw);
}

function sshConfig(): SiteConfig {
  return parse1({ ...sshSections(), cni: { plugin: "canal" } });
}

/** A home site that sets every Canal option. */
function sshCustomConfig(): SiteConfig {
  return parse1({
    ...sshSections(),
    cni: {
      plugin: "canal",
      canal: {
        interface: "eth1",
        mtu: 1380,
        resources: { cpu: "100m", memory: "96Mi" },
        imageRegistry: "registry.example.com/mirror",
      },
    },
  });
}

const CONFIGS = { hetzner: hetznerConfig, ssh: sshConfig, "ssh with every option": sshCustomConfig } as const;

function settingsFor(config: SiteConfig, version: string): CanalSettings {
  return { ...canalSettingsOf(config), version };
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(found, `${kind} ${name} not found`);
  return found;
}

function container(objects: Obj[], name: string): Obj {
  const ds = find(objects, "DaemonSet", CANAL_CUSTOMIZED.daemonSet);
  const found = ds.spec.template.spec.containers.find((c: Obj) => c.name === name);
  assert.ok(found, `container ${name} not found`);
  return found;
}

/** Parses the CNI config template the way install-cni fills it in: the bare placeholders become values. */
function renderedCni(data: Obj): Obj {
  const text: string = data[CANAL_CUSTOMIZED.cniNetworkConfig];
  return JSON.parse(text.replaceAll("__CNI_MTU__", data[CANAL_CUSTOMIZED.vethMtu]));
}

// --- a small structural diff: the JSON paths at which two manifests differ ---

/** JSON embedded in a string (net-conf.json, the CNI template with its bare placeholders quoted), or undefined. */
function embeddedJson(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text.replace(/(:\s*)(__[A-Z0-9_]+__)/g, '$1"$2"'));
    return value !== null && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Arrays of named things (containers, env, volumes, CNI plugins) are compared by name, so paths read as names. */
function keyed(items: unknown[]): Map<string, unknown> | undefined {
  for (const field of ["name", "type"]) {
    const keys = items.map((i) => (i !== null && typeof i === "object" ? (i as Obj)[field] : undefined));
    if (keys.every((k) => typeof k === "string") && new Set(keys).size === keys.length) {
      return new Map(items.map((item, i) => [`[${field}=${keys[i]}]`, item]));
    }
  }
  return undefined;
}

function diffPaths(a: unknown, b: unknown, path: string): string[] {
  if (typeof a === "string" && typeof b === "string" && a !== b) {
    const [ja, jb] = [embeddedJson(a), embeddedJson(b)];
    if (ja && jb) return diffPaths(ja, jb, path);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const [ka, kb] = [keyed(a), keyed(b)];
    if (ka && kb) return diffMaps(ka, kb, path);
    return diffMaps(new Map(a.map((v, i) => [`[${i}]`, v])), new Map(b.map((v, i) => [`[${i}]`, v])), path);
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const label = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
    const entries = (o: object) => new Map(Object.entries(o).map(([k, v]) => [label(k), v]));
    return diffMaps(entries(a), entries(b), path);
  }
  return Object.is(a, b) ? [] : [path];
}

function diffMaps(a: Map<string, unknown>, b: Map<string, unknown>, path: string): string[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys.flatMap((k) => (a.has(k) && b.has(k) ? diffPaths(a.get(k), b.get(k), path + k) : [path + k]));
}

function objectKey(o: Obj): string {
  return `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
}

function manifestDiff(before: Obj[], after: Obj[]): string[] {
  return diffMaps(new Map(before.map((o) => [objectKey(o) + " ", o])), new Map(after.map((o) => [objectKey(o) + " ", o])), "");
}

const CM = "ConfigMap kube-system/canal-config ";
const DS = "DaemonSet kube-system/canal .spec.template.spec";

/** The paths each config changes on purpose; anything else that differs from upstream is a bug. */
const EXPECTED_DIFF: Record<keyof typeof CONFIGS, string[]> = {
  hetzner: [
    `${CM}.data.veth_mtu`,
    `${CM}.data.cni_network_config.plugins[type=calico].container_settings`,
    `${CM}.data["net-conf.json"].Network`,
    `${DS}.containers[name=kube-flannel].env[name=FLANNELD_IFACE_CAN_REACH]`,
    `${DS}.containers[name=calico-node].env[name=CALICO_IPV4POOL_CIDR]`,
  ],
  ssh: [
    `${CM}.data.veth_mtu`,
    `${CM}.data.cni_network_config.plugins[type=calico].container_settings`,
    `${CM}.data["net-conf.json"].Network`,
    `${DS}.containers[name=calico-node].env[name=CALICO_IPV4POOL_CIDR]`,
  ],
  "ssh with every option": [
    `${CM}.data.canal_iface`,
    `${CM}.data.veth_mtu`,
    `${CM}.data.cni_network_config.plugins[type=calico].container_settings`,
    `${CM}.data["net-conf.json"].Network`,
    `${DS}.initContainers[name=install-cni].image`,
    `${DS}.initContainers[name=ebpf-bootstrap].image`,
    `${DS}.containers[name=calico-node].image`,
    `${DS}.containers[name=calico-node].env[name=CALICO_IPV4POOL_CIDR]`,
    `${DS}.containers[name=calico-node].resources.requests.cpu`,
    `${DS}.containers[name=calico-node].resources.requests.memory`,
    `${DS}.containers[name=kube-flannel].image`,
    `${DS}.containers[name=kube-flannel].resources`,
    "Deployment kube-system/calico-kube-controllers .spec.template.spec.containers[name=calico-kube-controllers].image",
  ],
};

describe("canalSettingsOf", () => {
  it("on hetzner: Flannel takes the interface that reaches the private network's gateway, MTU 1400", () => {
    assert.deepEqual(canalSettingsOf(parse1(hetznerSections())), {
      version: "v3.32.1",
      podCidr: "10.42.0.0/16",
      flannelInterface: { kind: "canReach", address: "10.0.0.1" },
      mtu: 1400,
    });
  });

  it("on hetzner: the gateway is the first address of site.network.cidr, the pod range is k3s.clusterCidr", () => {
    const settings = canalSettingsOf(hetznerConfig());
    assert.deepEqual(settings.flannelInterface, { kind: "canReach", address: "172.16.0.1" });
    assert.equal(settings.podCidr, "10.52.0.0/16");
  });

  it("on ssh sites: Flannel's default-route interface, MTU 1450", () => {
    assert.deepEqual(canalSettingsOf(sshConfig()), {
      version: "v3.32.1",
      podCidr: "10.42.0.0/16",
      flannelInterface: { kind: "defaultRoute" },
      mtu: 1450,
    });
  });

  it("takes cni.canal.interface, mtu, resources and imageRegistry as set", () => {
    assert.deepEqual(canalSettingsOf(sshCustomConfig()), {
      version: "v3.32.1",
      podCidr: "10.42.0.0/16",
      flannelInterface: { kind: "name", name: "eth1" },
      mtu: 1380,
      resources: { cpu: "100m", memory: "96Mi" },
      imageRegistry: "registry.example.com/mirror",
    });
    const raw = hetznerSections();
    raw.cni = { canal: { interface: "enp7s0", version: "v3.31.7", resources: {} } };
    const hetzner = canalSettingsOf(parse1(raw));
    assert.deepEqual(hetzner.flannelInterface, { kind: "name", name: "enp7s0" });
    assert.equal(hetzner.version, "v3.31.7");
    assert.equal(hetzner.resources, undefined, "empty resources leave the upstream requests alone");
  });

  it("rejects a dual-stack site at config time, naming the keys and the way out", () => {
    const raw = exampleSections("home");
    raw.cni = { plugin: "canal" };
    assert.deepEqual(problemsOf(raw), [
      "cni.plugin canal does not support k3s.ipFamilies dual-stack here: the Canal manifest runs Calico with IPv6 off and Flannel on one IPv4 network. Use cni.plugin cilium for a dual-stack site, or k3s.ipFamilies ipv4",
    ]);
  });
});

describe("parseManifest and splitCrds", () => {
  it("drop empty documents and refuse broken YAML", () => {
    const a = { apiVersion: "v1", kind: "A", metadata: { name: "a" } };
    const b = { apiVersion: "v1", kind: "B", metadata: { name: "b" } };
    const text = `---\n# only a comment\n---\n${JSON.stringify(a)}\n---\n\n---\n${JSON.stringify(b)}\n`;
    assert.deepEqual(parseManifest(text), [a, b]);
    assert.throws(() => parseManifest("kind: [A\n"), /^Error: the manifest is not valid YAML: /);
  });

  for (const version of VERSIONS) {
    it(`${version}: CRDs apart, everything else in upstream order`, () => {
      const objects = upstream(version);
      const { crds, rest } = splitCrds(objects);
      assert.equal(crds.length, version === "v3.31.7" ? 24 : 23);
      assert.ok(crds.every((o) => (o as Obj).kind === "CustomResourceDefinition"));
      assert.deepEqual(rest, objects.filter((o) => o.kind !== "CustomResourceDefinition"));
      assert.deepEqual(
        [...new Set(rest.map((o) => (o as Obj).kind))].sort(),
        ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Deployment", "PodDisruptionBudget", "ServiceAccount"],
      );
    });
  }
});

describe("withRegistry", () => {
  it("replaces the registry and keeps repository path and tag", () => {
    const mirror = "registry.example.com/mirror";
    assert.equal(withRegistry("quay.io/calico/node:v3.32.1", mirror), "registry.example.com/mirror/calico/node:v3.32.1");
    assert.equal(withRegistry("docker.io/flannel/flannel:v0.24.4", `${mirror}/`), "registry.example.com/mirror/flannel/flannel:v0.24.4");
    assert.equal(withRegistry("localhost:5000/calico/cni@sha256:ab", mirror), "registry.example.com/mirror/calico/cni@sha256:ab");
    assert.equal(withRegistry("calico/node:v3", "r.example:5000"), "r.example:5000/calico/node:v3");
    assert.equal(withRegistry("busybox:1.36", "r.example"), "r.example/library/busybox:1.36");
  });
});

for (const version of VERSIONS) {
  describe(`customizeCanal on Calico ${version}`, () => {
    for (const [label, configOf] of Object.entries(CONFIGS)) {
      const config = configOf();
      const settings = settingsFor(config, version);

      it(`${label}: sets every customized value`, () => {
        const out = customizeCanal(upstream(version), settings) as Obj[];
        const data = find(out, "ConfigMap", CANAL_CUSTOMIZED.configMap).data;
        assert.equal(JSON.parse(data[CANAL_CUSTOMIZED.netConf]).Network, config.k3s.clusterCidr);
        assert.equal(JSON.parse(data[CANAL_CUSTOMIZED.netConf]).Backend.Type, "vxlan");
        assert.equal(data[CANAL_CUSTOMIZED.vethMtu], String(settings.mtu));
        // install-cni replaces the bare placeholder on each node; it must survive the edit unquoted.
        assert.match(data[CANAL_CUSTOMIZED.cniNetworkConfig], /"mtu": __CNI_MTU__,/);
        assert.match(data[CANAL_CUSTOMIZED.cniNetworkConfig], /"nodename": "__KUBERNETES_NODE_NAME__"/);
        const calico = renderedCni(data).plugins.find((p: Obj) => p.type === "calico");
        assert.deepEqual(calico.container_settings, { allow_ip_forwarding: true });
        assert.equal(calico.mtu, settings.mtu);

        const flannel = container(out, CANAL_CUSTOMIZED.flannelContainer);
        const canReach = flannel.env.filter((e: Obj) => e.name === CANAL_CUSTOMIZED.canReachEnv);
        const iface = settings.flannelInterface;
        assert.equal(data[CANAL_CUSTOMIZED.iface], iface.kind === "name" ? iface.name : "");
        assert.deepEqual(canReach, iface.kind === "canReach" ? [{ name: CANAL_CUSTOMIZED.canReachEnv, value: iface.address }] : []);

        const calicoNode = container(out, CANAL_CUSTOMIZED.calicoContainer);
        // Upstream leaves the pool env commented out: calico-node would create 192.168.0.0/16 with outgoing NAT.
        const pool = (objects: Obj[]) =>
          container(objects, CANAL_CUSTOMIZED.calicoContainer).env.filter((e: Obj) => e.name === CANAL_CUSTOMIZED.ipv4PoolEnv);
        assert.deepEqual(pool(upstream(version)), []);
        assert.deepEqual(pool(out), [{ name: "CALICO_IPV4POOL_CIDR", value: config.k3s.clusterCidr }]);
        if (settings.resources) {
          assert.deepEqual(calicoNode.resources.requests, settings.resources);
          assert.deepEqual(flannel.resources.requests, settings.resources);
        } else {
          assert.deepEqual(calicoNode.resources.requests, { cpu: "250m" });
          assert.equal(flannel.resources, undefined);
        }

        const images = out.flatMap((o) =>
          [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])].map((c: Obj) => c.image),
        );
        assert.equal(images.length, 5);
        for (const image of images) {
          if (settings.imageRegistry) assert.match(image, /^registry\.example\.com\/mirror\/(calico|flannel)\/[a-z-]+:v[\d.]+$/);
          else assert.match(image, /^(quay\.io\/calico|docker\.io\/flannel)\/[a-z-]+:v[\d.]+$/);
        }
      });

      it(`${label}: every object validates against its schema`, async () => {
        const out = customizeCanal(upstream(version), settings) as Obj[];
        const { crds } = splitCrds(out);
        // Custom resources the manifest itself contains (none so far) are checked against its own CRDs, all of them
        // compiled: the validator reads Calico's Go-style (?i) patterns (test/support/schemas.ts, goRegExp).
        const custom = new CrdValidator(crds);
        let checked = 0;
        for (const obj of out as Parameters<typeof validateBuiltin>[0][]) {
          if (custom.has(obj)) custom.validate(obj);
          else await validateBuiltin(obj);
          checked++;
        }
        assert.equal(checked, upstream(version).length);
      });

      it(`${label}: differs from upstream only where it means to`, () => {
        const out = customizeCanal(upstream(version), settings) as Obj[];
        assert.deepEqual(manifestDiff(upstream(version), out).sort(), [...EXPECTED_DIFF[label as keyof typeof CONFIGS]].sort());
      });
    }

    it("does not modify its input", () => {
      const before = structuredClone(upstream(version));
      customizeCanal(upstream(version), settingsFor(sshCustomConfig(), version));
      customizeCanal(upstream(version), settingsFor(hetznerConfig(), version));
      assert.deepEqual(upstream(version), before);
    });

    it("replaces an existing FLANNELD_IFACE_CAN_REACH instead of adding a second one", () => {
      const settings = settingsFor(hetznerConfig(), version);
      const once = customizeCanal(upstream(version), settings) as Obj[];
      const twice = customizeCanal(once, settings) as Obj[];
      const env = container(twice, CANAL_CUSTOMIZED.flannelContainer).env.filter((e: Obj) => e.name === CANAL_CUSTOMIZED.canReachEnv);
      assert.deepEqual(env, [{ name: CANAL_CUSTOMIZED.canReachEnv, value: "172.16.0.1" }]);
      const pool = container(twice, CANAL_CUSTOMIZED.calicoContainer).env.filter((e: Obj) => e.name === "CALICO_IPV4POOL_CIDR");
      assert.deepEqual(pool, [{ name: "CALICO_IPV4POOL_CIDR", value: "10.52.0.0/16" }]);
    });

    it("refuses a calico-node that would create no pool, since it rejects CALICO_IPV4POOL_CIDR then", () => {
      const objects = structuredClone(upstream(version));
      container(objects, CANAL_CUSTOMIZED.calicoContainer).env.push({ name: "NO_DEFAULT_POOLS", value: "true" });
      assert.throws(() => customizeCanal(objects, settingsFor(hetznerConfig(), version)), {
        message: new RegExp(`^canal.yaml of Calico ${version} has no container calico-node that creates its default IP pool \\(it sets NO_DEFAULT_POOLS\\)`),
      });
    });
  });
}

describe("customizeCanal on a manifest that changed shape", () => {
  const version = "v3.32.1";
  const settings = settingsFor(sshCustomConfig(), version);
  const tail =
    ": the upstream manifest changed shape, so k3s-sites cannot apply its customizations (pod range, Flannel interface, " +
    "MTU, IP forwarding). Use a cni.canal.version k3s-sites supports (v3.31.7, v3.32.1), or teach src/cni/canal/manifest.ts the new layout";

  function edited(edit: (objects: Obj[]) => Obj[] | void): Obj[] {
    const objects = structuredClone(upstream(version));
    return edit(objects) ?? objects;
  }

  it("names a missing ConfigMap", () => {
    const objects = edited((o) => o.filter((x) => x.kind !== "ConfigMap"));
    assert.throws(() => customizeCanal(objects, settings), {
      message: `canal.yaml of Calico v3.32.1 has no ConfigMap kube-system/canal-config${tail}`,
    });
  });

  it("names a missing ConfigMap key, DaemonSet, container and calico plugin", () => {
    const cases: [string, (o: Obj[]) => void][] = [
      ["key veth_mtu in ConfigMap canal-config", (o) => void delete find(o, "ConfigMap", "canal-config").data.veth_mtu],
      ["DaemonSet kube-system/canal", (o) => void (find(o, "DaemonSet", "canal").metadata.name = "calico-node")],
      [
        "container kube-flannel in DaemonSet canal",
        (o) => {
          const spec = find(o, "DaemonSet", "canal").spec.template.spec;
          spec.containers = spec.containers.filter((c: Obj) => c.name !== "kube-flannel");
        },
      ],
      [
        "calico plugin in canal-config cni_network_config",
        (o) => {
          const data = find(o, "ConfigMap", "canal-config").data;
          data.cni_network_config = data.cni_network_config.replace('"type": "calico"', '"type": "calico-v4"');
        },
      ],
      [
        "container of DaemonSet canal reading canal-config veth_mtu",
        (o) => {
          const installCni = find(o, "DaemonSet", "canal").spec.template.spec.initContainers[0];
          installCni.env = installCni.env.filter((e: Obj) => e.name !== "CNI_MTU");
        },
      ],
      [
        "FLANNELD_IFACE in container kube-flannel reading canal-config canal_iface",
        (o) => {
          const flannel = container(o, "kube-flannel");
          flannel.env = flannel.env.filter((e: Obj) => e.name !== "FLANNELD_IFACE");
        },
      ],
    ];
    for (const [what, edit] of cases) {
      assert.throws(() => customizeCanal(edited(edit), settings), { message: `canal.yaml of Calico v3.32.1 has no ${what}${tail}` }, what);
    }
  });
});
