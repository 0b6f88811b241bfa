import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type ValidateFunction } from "ajv";
import { parse } from "yaml";
import {
  checkCiliumL2Devices,
  CILIUM_CHART,
  ciliumChart,
  ciliumKubeProxyReplacement,
  ciliumOperatorReplicas,
  ciliumResources,
  ciliumValues,
  interfaceRegex,
  L2_CLIENT_RATE_LIMIT,
} from "../../../src/cni/cilium";
import { clone, exampleSections, hetznerSections, parse1, problemsOf, ROOT, sshSections } from "../../helpers";
import { CrdValidator, schemaAjv } from "../../support/schemas";
import { vendoredChart } from "../../../plan/charts/vendored";

type Json = Record<string, any>;

const readJson = (path: string): Json => JSON.parse(readFileSync(path, "utf8")) as Json;

/**
 * The vendored schema of the 1.20 development line, and the files of the chart version we pin: the vendored chart
 * the plan renders (upstream/charts/cilium/<version>), so bumping the pin without vendoring the chart fails here.
 */
const UPSTREAM_SCHEMA = readJson(join(ROOT, "upstream/cilium/values.schema.json"));
// The pinned chart as the plan renders it (upstream/charts), through the plan's own lookup.
const PINNED_DIR = vendoredChart("cilium", CILIUM_CHART.version);
/** The previous pin, kept vendored as the upgrade source (--chart-diff cilium=1.19.6). */
const PREVIOUS_DIR = vendoredChart("cilium", "1.19.6");
const PINNED_SCHEMA = readJson(join(PINNED_DIR, "values.schema.json"));
const PINNED_VALUES_TEXT = readFileSync(join(PINNED_DIR, "values.yaml"), "utf8");
const PINNED_VALUES = parse(PINNED_VALUES_TEXT) as Json;
const PINNED_CERTGEN = (file: string) => readFileSync(join(PINNED_DIR, "templates/hubble/tls-cronjob", file), "utf8");

// Both schemas are draft-07, Ajv's default draft. Chart schemas carry no vocabulary Ajv would need; strict mode is
// off because they use keywords such as "items: {}" that strict mode flags without changing validation.
const ajv = schemaAjv();
const schemas: [string, ValidateFunction][] = [
  ["upstream 1.20 schema", ajv.compile(UPSTREAM_SCHEMA)],
  [`chart ${CILIUM_CHART.version} schema`, ajv.compile(PINNED_SCHEMA)],
];

function schemaProblems(values: unknown): string[] {
  return schemas.flatMap(([name, validate]) =>
    validate(values) ? [] : (validate.errors ?? []).map((e) => `${name}: ${e.instancePath || "/"} ${e.message}`),
  );
}

const crds = CrdValidator.fromFiles(
  join(ROOT, "upstream/cilium/crds/ciliumloadbalancerippools.yaml"),
  join(ROOT, "upstream/cilium/crds/ciliuml2announcementpolicies.yaml"),
);

const home = () => parse1(exampleSections("home"));

function hetznerCilium(servers = 3) {
  const raw = hetznerSections();
  raw.site.pools[0].count = servers;
  raw.cni = { plugin: "cilium" };
  return parse1(raw);
}

/** An ssh site with every Cilium setting given, so that every key the builder can set is set. */
function everything() {
  const raw = sshSections();
  raw.site.hosts[0].privateIpv6 = "fd00:1::10";
  raw.site.hosts[1].privateIpv6 = "fd00:1::21";
  raw.k3s = { ...raw.k3s, ipFamilies: "dual-stack", clusterCidrV6: "fd00:42::/56", serviceCidrV6: "fd00:43::/112" };
  raw.cni = {
    plugin: "cilium",
    cilium: {
      devices: ["eth0", "eno1"],
      mtu: 1500,
      hubble: { enabled: true, relay: true },
      resources: { cpu: "100m", memory: "256Mi" },
      loadBalancerPools: ["192.168.1.240/28"],
      l2Announcements: { interfaces: ["eth0", "eno1"], nodeSelector: { "k3s-sites/l2": "true" } },
    },
  };
  return parse1(raw);
}

/** Every path to a leaf of the values: `["hubble", "tls", "auto", "method"]`. Lists are leaves. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

const isObjectSchema = (node: Json) =>
  node.type === "object" || (Array.isArray(node.type) && node.type.includes("object"));

/** Whether a schema describes the path: through `properties`, or into an object it leaves free-form (resources). */
function schemaHasPath(schema: Json, path: readonly string[]): boolean {
  let node = schema;
  for (const key of path) {
    const child = node.properties?.[key];
    if (child !== undefined) node = child;
    else return node.properties === undefined && isObjectSchema(node);
  }
  return true;
}

/** Whether values.yaml has the path: as keys, or into an empty mapping it leaves to the user (`resources: {}`). */
function valuesHavePath(values: Json, path: readonly string[]): boolean {
  let node: unknown = values;
  for (const key of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return false;
    const map = node as Json;
    if (key in map) node = map[key];
    else return Object.keys(map).length === 0;
  }
  return true;
}

/**
 * Keys the chart reads but the vendored 1.20 development schema does not list. `devices`: 1.19.6's values.yaml has it
 * commented out (`# devices: ""`); 1.20.0 declares it (`devices: ""`, typed `[null, string, array]` in its own
 * values.schema.json), and templates/cilium-configmap.yaml of both renders it with `{{- if hasKey .Values "devices" }}`
 * and `join " " .Values.devices`, so the list the program sets renders the same on both.
 */
const NOT_IN_DEV_SCHEMA = new Set(["devices"]);

describe("CILIUM_CHART and ciliumChart", () => {
  it("pins a 1.20 release of helm.cilium.io and lets cni.cilium.version override it", () => {
    assert.deepEqual(CILIUM_CHART, { chart: "cilium", repository: "https://helm.cilium.io", version: "1.20.0" });
    assert.deepEqual(ciliumChart(home()), CILIUM_CHART);
    const raw = exampleSections("home");
    // Cilium 1.19 is tested up to Kubernetes 1.35: the site is on a k3s of that minor.
    raw.k3s.version = "v1.35.9+k3s1";
    raw.cni.cilium.version = "1.19.6";
    assert.equal(ciliumChart(parse1(raw)).version, "1.19.6");
  });
});

describe("ciliumValues", () => {
  it("validates against the vendored 1.20 schema and the pinned chart's schema (home, Hetzner, every option)", () => {
    // The schemas are draft-07 (Ajv's default class); a schema of another draft would need another Ajv class.
    assert.equal(UPSTREAM_SCHEMA.$schema, "http://json-schema.org/draft-07/schema#");
    assert.equal(PINNED_SCHEMA.$schema, "http://json-schema.org/draft-07/schema#");
    for (const config of [home(), hetznerCilium(), everything()]) {
      assert.deepEqual(schemaProblems(ciliumValues(config)), []);
    }
  });

  it("fails the schemas with a wrongly typed value, so the validation above bites", () => {
    const broken = { ...ciliumValues(home()), operator: { replicas: "2" }, ipam: { mode: 1 } };
    const problems = schemaProblems(broken);
    for (const name of ["upstream 1.20 schema", `chart ${CILIUM_CHART.version} schema`]) {
      assert.ok(problems.includes(`${name}: /operator/replicas must be integer`), problems.join("\n"));
      assert.ok(problems.includes(`${name}: /ipam/mode must be string`), problems.join("\n"));
    }
  });

  it("sets only keys that the pinned values.yaml and schema know: none is renamed or removed in 1.20", () => {
    const paths = leafPaths(ciliumValues(everything())).map((p) => p.join("."));
    assert.ok(paths.includes("devices") && paths.includes("resources.requests.cpu"), paths.join(", "));
    const unknown = paths.filter((path) => {
      const keys = path.split(".");
      return (
        !schemaHasPath(PINNED_SCHEMA, keys) ||
        !valuesHavePath(PINNED_VALUES, keys) ||
        (!NOT_IN_DEV_SCHEMA.has(path) && !schemaHasPath(UPSTREAM_SCHEMA, keys))
      );
    });
    assert.deepEqual(unknown, []);
    // The exception is real: the dev schema lacks it, the pinned chart declares it, 1.19.6 had it commented out.
    assert.equal(schemaHasPath(UPSTREAM_SCHEMA, ["devices"]), false);
    assert.match(PINNED_VALUES_TEXT, /^devices: ""$/m);
    assert.match(readFileSync(join(PREVIOUS_DIR, "values.yaml"), "utf8"), /^# devices: ""$/m);
    for (const dir of [PINNED_DIR, PREVIOUS_DIR]) {
      assert.match(
        readFileSync(join(dir, "templates/cilium-configmap.yaml"), "utf8"),
        /\{\{- if hasKey \.Values "devices" \}\}[\s\S]{0,200}devices: \{\{ join " " \.Values\.devices \| quote \}\}/,
      );
    }
  });

  it("sets keys the previous pin (1.19.6, the upgrade source) knows too, so --chart-diff compares like with like", () => {
    const previous = parse(readFileSync(join(PREVIOUS_DIR, "values.yaml"), "utf8")) as Json;
    const paths = leafPaths(ciliumValues(everything())).map((p) => p.join("."));
    assert.deepEqual(
      paths.filter((path) => path !== "devices" && !valuesHavePath(previous, path.split("."))),
      [],
    );
  });

  it("has key lookups that refuse misspelt keys and accept free-form objects", () => {
    assert.equal(schemaHasPath(UPSTREAM_SCHEMA, ["hubble", "tls", "auto", "method"]), true);
    assert.equal(schemaHasPath(UPSTREAM_SCHEMA, ["hubble", "tls", "auto", "methd"]), false);
    assert.equal(schemaHasPath(UPSTREAM_SCHEMA, ["mtu"]), false);
    assert.equal(schemaHasPath(UPSTREAM_SCHEMA, ["resources", "requests", "cpu"]), true);
    assert.equal(valuesHavePath(PINNED_VALUES, ["ipam", "mode"]), true);
    assert.equal(valuesHavePath(PINNED_VALUES, ["ipam", "mod"]), false);
    assert.equal(valuesHavePath(PINNED_VALUES, ["resources", "requests", "cpu"]), true);
    assert.equal(valuesHavePath(PINNED_VALUES, ["k8sClientRateLimit", "qps"]), true);
  });

  it("gives pods k3s's ranges over a VXLAN tunnel, replaces kube-proxy, and reaches k3s's local API port", () => {
    const values = ciliumValues(home());
    assert.deepEqual(values.ipam, { mode: "kubernetes" });
    assert.equal(values.routingMode, "tunnel");
    assert.equal(values.tunnelProtocol, "vxlan");
    assert.equal(values.kubeProxyReplacement, true);
    assert.equal(values.k8sServiceHost, "127.0.0.1");
    assert.equal(values.k8sServicePort, 6444);
    assert.equal("ipv4NativeRoutingCIDR" in values, false);
    assert.equal(values.rollOutCiliumPods, true);
  });

  it("runs one operator per server, at most two", () => {
    assert.equal(ciliumValues(home()).operator.replicas, 1); // one server, two agents
    assert.equal(ciliumValues(hetznerCilium(1)).operator.replicas, 1);
    assert.equal(ciliumValues(hetznerCilium(3)).operator.replicas, 2);
    assert.equal(ciliumValues(hetznerCilium(5)).operator.replicas, 2);
    const noServer = { ...home(), nodes: home().nodes.filter((n) => n.role !== "server") };
    assert.throws(() => ciliumOperatorReplicas(noServer), { message: "the site has no node with role server" });
  });

  it("turns IPv6 on with dual-stack and off with ipv4", () => {
    assert.equal(home().k3s.ipFamilies, "dual-stack");
    assert.deepEqual(ciliumValues(home()).ipv6, { enabled: true });
    assert.deepEqual(ciliumValues(hetznerCilium()).ipv6, { enabled: false });
    assert.deepEqual(ciliumValues(hetznerCilium()).ipv4, { enabled: true });
  });

  it("runs Hubble and its relay with certificates from certgen, not regenerated by helm on every render", () => {
    const hubble = ciliumValues(home()).hubble;
    assert.deepEqual(hubble, {
      enabled: true,
      relay: { enabled: true },
      tls: { auto: { enabled: true, method: "cronJob" } },
    });
    assert.notEqual(hubble.tls?.auto.method, "helm");
    // The pinned chart documents cronJob as a method and renders certgen's Job for it.
    assert.match(PINNED_VALUES_TEXT, /auto-generate certificates\. Supported values:\n\s+# - helm:.*\n\s+# - cronJob:/);
    assert.equal(PINNED_VALUES.hubble.tls.auto.method, "helm");
  });

  it("turns the relay off without Hubble, and off on its own", () => {
    const raw = exampleSections("home");
    raw.cni.cilium.hubble = { enabled: false };
    assert.deepEqual(ciliumValues(parse1(raw)).hubble, { enabled: false, relay: { enabled: false } });
    raw.cni.cilium.hubble = { relay: false };
    assert.deepEqual(ciliumValues(parse1(raw)).hubble.relay, { enabled: false });
  });

  it("announces on the LAN, with a higher API rate limit, only when l2Announcements is set", () => {
    const l2 = ciliumValues(home());
    assert.deepEqual(l2.l2announcements, { enabled: true });
    assert.deepEqual(l2.k8sClientRateLimit, { qps: 20, burst: 40 });
    assert.ok(L2_CLIENT_RATE_LIMIT.qps > 10, "above the chart's default of 10 QPS");
    for (const config of [hetznerCilium(), parse1({ ...sshSections(), cni: { plugin: "cilium" } })]) {
      const values = ciliumValues(config);
      assert.equal("l2announcements" in values, false);
      assert.equal("k8sClientRateLimit" in values, false);
    }
  });

  it("sets devices, MTU and the agent's requests only when configured", () => {
    const all = ciliumValues(everything());
    assert.deepEqual(all.devices, ["eth0", "eno1"]);
    assert.equal(all.MTU, 1500);
    assert.deepEqual(all.resources, { requests: { cpu: "100m", memory: "256Mi" } });
    const none = ciliumValues(home());
    for (const key of ["devices", "MTU", "resources"]) assert.equal(key in none, false, key);
    // Hetzner: the private network's MTU, unless configured.
    const cloud = hetznerSections();
    cloud.cni = { plugin: "cilium" };
    assert.equal(ciliumValues(parse1(cloud)).MTU, 1450);
    const raw = exampleSections("home");
    raw.cni.cilium.resources = { memory: "512Mi" };
    assert.deepEqual(ciliumValues(parse1(raw)).resources, { requests: { memory: "512Mi" } });
  });

  it("copies the config and never changes it", () => {
    const config = everything();
    const before = clone(config);
    const values = ciliumValues(config);
    (values.devices as string[]).push("wlan0");
    assert.deepEqual(config, before);
  });
});

describe("ciliumResources", () => {
  it("builds the home site's pool and L2 policy, valid against the vendored CRDs", () => {
    const objects = ciliumResources(home());
    assert.deepEqual(objects, [
      {
        apiVersion: "cilium.io/v2",
        kind: "CiliumLoadBalancerIPPool",
        metadata: { name: "k3s-sites" },
        spec: { blocks: [{ cidr: "192.168.1.240/28" }] },
      },
      {
        apiVersion: "cilium.io/v2alpha1",
        kind: "CiliumL2AnnouncementPolicy",
        metadata: { name: "k3s-sites" },
        spec: { loadBalancerIPs: true, interfaces: ["^eth0$", "^eno1$"] },
      },
    ]);
    for (const obj of objects) crds.validate(obj);
  });

  it("selects the announcing nodes by label when nodeSelector is set", () => {
    const policy = ciliumResources(everything()).find((o) => o.kind === "CiliumL2AnnouncementPolicy");
    assert.ok(policy && policy.kind === "CiliumL2AnnouncementPolicy");
    assert.deepEqual(policy.spec.nodeSelector, { matchLabels: { "k3s-sites/l2": "true" } });
    crds.validate(policy);
  });

  it("builds a pool without a policy when only loadBalancerPools is set, and nothing when neither is", () => {
    const raw = sshSections();
    raw.cni = { plugin: "cilium", cilium: { loadBalancerPools: ["192.168.1.240/29", "192.168.1.248/29"] } };
    const objects = ciliumResources(parse1(raw));
    assert.deepEqual(
      objects.map((o) => o.kind),
      ["CiliumLoadBalancerIPPool"],
    );
    assert.deepEqual((objects[0]!.spec as { blocks: unknown }).blocks, [
      { cidr: "192.168.1.240/29" },
      { cidr: "192.168.1.248/29" },
    ]);
    crds.validate(objects[0]!);
    assert.deepEqual(ciliumResources(hetznerCilium()), []);
  });

  it("fails CRD validation for wrongly shaped objects, so the validation above bites", () => {
    const [pool, policy] = ciliumResources(home());
    const blocksAsText = { ...pool!, spec: { blocks: "192.168.1.240/28" } };
    assert.throws(() => crds.validate(blocksAsText), {
      message: "CiliumLoadBalancerIPPool k3s-sites: /spec/blocks must be array",
    });
    const flagAsText = { ...policy!, spec: { loadBalancerIPs: "yes", interfaces: ["^eth0$"] } };
    assert.throws(() => crds.validate(flagAsText), {
      message: "CiliumL2AnnouncementPolicy k3s-sites: /spec/loadBalancerIPs must be boolean",
    });
    assert.throws(() => crds.validate({ ...policy!, apiVersion: "cilium.io/v2" }), {
      message: "no CustomResourceDefinition defines cilium.io/v2 CiliumL2AnnouncementPolicy",
    });
  });
});

describe("interfaceRegex", () => {
  it("matches exactly the named interface, since Cilium matches the expression anywhere in a device name", () => {
    assert.equal(interfaceRegex("eth0"), "^eth0$");
    assert.equal(interfaceRegex("eth0.100"), "^eth0\\.100$");
    const re = new RegExp(interfaceRegex("eth0.100"));
    assert.deepEqual(
      ["eth0.100", "eth0x100", "veth0.100", "eth0.1000"].map((name) => re.test(name)),
      [true, false, false, false],
    );
  });
});

describe("ciliumKubeProxyReplacement", () => {
  it("is true whenever Cilium is the CNI, false with Canal", () => {
    assert.equal(ciliumKubeProxyReplacement(home()), true);
    assert.equal(ciliumKubeProxyReplacement(hetznerCilium()), true);
    assert.equal(ciliumKubeProxyReplacement(parse1(hetznerSections())), false);
  });
});

describe("checkCiliumL2Devices", () => {
  it("refuses an L2 interface that cni.cilium.devices leaves out", () => {
    const raw = exampleSections("home");
    raw.cni.cilium.devices = ["eth0"];
    // A config rule: the stack is refused before anything is built.
    assert.deepEqual(problemsOf(raw), [
      "cni.cilium.l2Announcements.interfaces[1] eno1 is not in cni.cilium.devices [eth0]: Cilium announces only on " +
        "its devices; add eno1 to cni.cilium.devices, or remove cni.cilium.devices to let Cilium detect them",
    ]);
  });

  it("accepts interfaces matched by name or by a + wildcard, and detected devices", () => {
    const raw = exampleSections("home");
    raw.cni.cilium.devices = ["en+", "eth0"];
    assert.deepEqual(checkCiliumL2Devices(parse1(raw)), []);
    assert.deepEqual(checkCiliumL2Devices(home()), []);
    assert.deepEqual(checkCiliumL2Devices(everything()), []);
  });
});

describe("Hubble certificates", () => {
  const values = ciliumValues(home()) as unknown as Json;
  const job = PINNED_CERTGEN("job.yaml");
  const cronJob = PINNED_CERTGEN("cronjob.yaml");
  const spec = PINNED_CERTGEN("_job-spec.tpl");

  it("come first from an ordinary Job in the pinned chart, which Pulumi's Chart v4 applies (it drops hooks)", () => {
    // Chart 1.18 made this Job a post-install hook, which helm.v4.Chart would leave out, and hubble-relay would wait
    // for its certificates forever (upstream/SOURCES.md, "charts", the note on cilium 1.19.6). A chart that brings the hook back fails here.
    for (const [file, text] of [["job.yaml", job], ["cronjob.yaml", cronJob], ["_job-spec.tpl", spec]]) {
      assert.doesNotMatch(text!, /helm\.sh\/hook/, `${file} of chart ${CILIUM_CHART.version} is a Helm hook`);
    }
    assert.match(job, /^kind: Job$/m);
    // Annotations on the Job could make it a hook again; k3s-sites sets none.
    assert.match(job, /\.Values\.certgen\.annotations\.job/);
    assert.equal(values.certgen, undefined);
  });

  it("are made by that Job with the values k3s-sites sets, and renewed by the CronJob", () => {
    const condition =
      /^\{\{- if and \.Values\.hubble\.enabled \.Values\.hubble\.tls\.enabled \.Values\.hubble\.tls\.auto\.enabled \(eq \.Values\.hubble\.tls\.auto\.method "cronJob"\)/;
    assert.match(job, condition);
    assert.match(cronJob, condition);
    assert.equal(values.hubble.enabled, true);
    assert.deepEqual(values.hubble.tls, { auto: { enabled: true, method: "cronJob" } });
    // hubble.tls.enabled and the renewal schedule stay at the chart's defaults.
    assert.equal(PINNED_VALUES.hubble.tls.enabled, true);
    assert.equal(PINNED_VALUES.hubble.tls.auto.schedule, "0 0 1 */4 *");
    assert.match(cronJob, /\.Values\.hubble\.tls\.auto\.schedule \}\}/);
  });

  it("include the server certificates of the agents and the client certificates hubble-relay mounts", () => {
    assert.match(spec, /- name: hubble-server-certs\n/);
    assert.match(spec, /\{\{- if \.Values\.hubble\.relay\.enabled \}\}\n\s+- name: hubble-relay-client-certs\n/);
    assert.equal(values.hubble.relay.enabled, true);
  });
});
