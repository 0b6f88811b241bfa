import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/kubernetes/object";
import { ROOT } from "../helpers";
import { findHelm } from "../../plan/charts/helm";
import { HELM_SKIP } from "../plan/charts/support";

/** What the yaml library's default (YAML 1.2 core schema) reads, for comparison; throws on its errors. */
const withYamlLibrary = (text: string) =>
  parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw d.errors[0];
      return d.toJS() as unknown;
    })
    .filter((v) => v !== null && typeof v === "object");

describe("parseManifest (js-yaml, core schema)", () => {
  const manifests = [
    "upstream/calico/v3.31.7/canal.yaml",
    "upstream/calico/v3.31.7/calico.yaml",
    "upstream/calico/v3.32.1/canal.yaml",
    "upstream/calico/v3.32.1/calico.yaml",
    "upstream/multus/v4.3.0/multus-daemonset-thick.yml",
    "upstream/metallb/crds.yaml",
    ...readdirSync(join(ROOT, "upstream/gateway-api"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => `upstream/gateway-api/${f}`)
      .sort(),
  ];
  for (const path of manifests) {
    it(`reads ${path} exactly as the yaml library does`, () => {
      const text = readFileSync(join(ROOT, path), "utf8");
      assert.deepEqual(parseManifest(text), withYamlLibrary(text));
    });
  }

  // What helm renders from the vendored charts, as the plan parses it (plan/charts/render.ts): cert-manager with its
  // CRDs (1 MB) and Cilium.
  const renders: [string, string, string[]][] = [
    ["cert-manager v1.21.2", "upstream/charts/cert-manager/v1.21.2", ["--namespace", "cert-manager", "--set", "crds.enabled=true"]],
    ["cilium 1.20.0", "upstream/charts/cilium/1.20.0", ["--namespace", "kube-system"]],
  ];
  for (const [name, dir, args] of renders) {
    it(`reads helm's render of ${name} exactly as the yaml library does`, { skip: HELM_SKIP }, () => {
      const helm = findHelm();
      assert.ok("helm" in helm);
      const text = execFileSync(helm.helm.path, ["template", "parse", join(ROOT, dir), ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
      const objects = parseManifest(text);
      assert.ok(objects.length > 20, `${objects.length} objects`);
      assert.deepEqual(objects, withYamlLibrary(text));
    });
  }

  it("keeps YAML 1.1 look-alikes as YAML 1.2 reads them: dates and yes/no are strings, no merge keys", () => {
    const text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {date: 2026-12-02, flag: yes}\nbase: &b {a: 1}\nmerged: {<<: *b}\n";
    const [doc] = parseManifest(text);
    assert.deepEqual(doc, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a" },
      data: { date: "2026-12-02", flag: "yes" },
      base: { a: 1 },
      merged: { "<<": { a: 1 } },
    });
    assert.deepEqual(doc, withYamlLibrary(text)[0]);
  });

  it("refuses duplicate keys, as the yaml library does", () => {
    assert.throws(() => parseManifest("a: 1\na: 2\n"), /^Error: the manifest is not valid YAML: /);
    assert.throws(() => withYamlLibrary("a: 1\na: 2\n"));
  });
});
