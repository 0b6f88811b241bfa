/**
 * The Gateway API CRDs vendored for Cilium's Gateway API support (issue 27) are the standard-channel files of the
 * release Cilium 1.20 needs, unmodified: listed in upstream/SOURCES.md with their size and sha256, and each one a
 * valid CustomResourceDefinition whose schemas accept a Gateway and refuse a broken one.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseManifest } from "../../src/kubernetes/object";
import { ofKind } from "../../src/kubernetes/object";
import type { ICustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition" with { "resolution-mode": "import" };
import { ROOT } from "../helpers";
import { CrdValidator, validateBuiltin } from "../support/schemas";

const UPSTREAM = join(ROOT, "upstream");
const VERSION = "v1.6.1";
const DIR = join(UPSTREAM, "gateway-api", VERSION);
const SAFE_UPGRADES = "gateway.networking.k8s.io_vap_safeupgrades.yaml";

const files = readdirSync(DIR).sort();
const docsOf = (file: string) => parseManifest(readFileSync(join(DIR, file), "utf8"));

/** Rows of upstream/SOURCES.md for gateway-api files: path, bytes and sha256. */
function listed(): { file: string; bytes: number; sha256: string }[] {
  return readFileSync(join(UPSTREAM, "SOURCES.md"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("| gateway-api/"))
    .map((l) => l.split("|").map((c) => c.trim()))
    .map((cells) => ({ file: cells[1]!, bytes: Number(cells[5]), sha256: cells[6]! }));
}

describe(`Gateway API ${VERSION} CRDs`, () => {
  it("lists every file in upstream/SOURCES.md with its size and sha256", () => {
    const rows = listed();
    assert.deepEqual(rows.map((r) => r.file).sort(), files.map((f) => `gateway-api/${VERSION}/${f}`));
    for (const row of rows) {
      const bytes = readFileSync(join(UPSTREAM, row.file));
      assert.equal(bytes.length, row.bytes, row.file);
      assert.equal(createHash("sha256").update(bytes).digest("hex"), row.sha256, row.file);
    }
  });

  it("holds one valid CustomResourceDefinition per file, of the standard channel at that release", async () => {
    const kinds: string[] = [];
    for (const file of files.filter((f) => f !== SAFE_UPGRADES)) {
      const docs = docsOf(file);
      assert.equal(docs.length, 1, file);
      await validateBuiltin(docs[0]!);
      const crd = ofKind<ICustomResourceDefinition>(docs[0], "CustomResourceDefinition");
      assert.ok(crd, `${file} holds a ${docs[0]!.kind}, not a CustomResourceDefinition`);
      assert.equal(crd.spec.group, "gateway.networking.k8s.io", file);
      assert.equal(file, `gateway.networking.k8s.io_${crd.metadata.name.split(".")[0]}.yaml`);
      assert.equal(crd.metadata.annotations?.["gateway.networking.k8s.io/bundle-version"], VERSION, file);
      assert.equal(crd.metadata.annotations?.["gateway.networking.k8s.io/channel"], "standard", file);
      assert.ok(crd.spec.versions.some((v) => v.name === "v1" && v.served), `${file} serves v1`);
      kinds.push(crd.spec.names.kind);
    }
    // The kinds Cilium 1.20 reconciles (upstream/SOURCES.md, gateway-api).
    assert.deepEqual(kinds.sort(), [
      "BackendTLSPolicy",
      "GRPCRoute",
      "Gateway",
      "GatewayClass",
      "HTTPRoute",
      "ListenerSet",
      "ReferenceGrant",
      "TCPRoute",
      "TLSRoute",
      "UDPRoute",
    ]);
  });

  it("keeps the safe-upgrades file as the admission policy it is, not a CRD", async () => {
    const docs = docsOf(SAFE_UPGRADES);
    assert.deepEqual(
      docs.map((d) => d.kind),
      ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"],
    );
    for (const doc of docs) await validateBuiltin(doc);
  });

  it("accepts a Gateway with an HTTPS listener and refuses one without a class", () => {
    const crds = new CrdValidator(files.filter((f) => f !== SAFE_UPGRADES).flatMap(docsOf));
    const gateway = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "site", namespace: "edge" },
      spec: {
        gatewayClassName: "cilium",
        listeners: [
          {
            name: "https",
            protocol: "HTTPS",
            port: 443,
            tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "site-tls" }] },
          },
        ],
      },
    };
    crds.validate(gateway);
    const { gatewayClassName: _, ...classless } = gateway.spec;
    const classlessGateway = { ...gateway, spec: classless };
    assert.throws(
      () => crds.validate(classlessGateway),
      /^Error: Gateway site: \/spec must have required property 'gatewayClassName'/,
    );
  });
});
