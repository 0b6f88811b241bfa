/**
 * The Gateway API CRDs Cilium's Gateway API support needs, read from upstream/gateway-api/<version>/ (the
 * standard channel's config/crd/standard files, listed with their sources in upstream/SOURCES.md, "gateway-api")
 * and checked against their sha256 before use. The Cilium chart ships none (SOURCES.md), and the operator turns
 * its Gateway API controller on only when the CRDs are there when it starts, so they go in before Cilium.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseManifest, type KubernetesObject } from "../../kubernetes/object";

/** The Gateway API release each Cilium minor was built against (Cilium 1.20.0 release notes: v1.6.1). */
export const GATEWAY_API_OF_CILIUM: Readonly<Record<string, string>> = { "1.20": "v1.6.1" };

/** The files of each vendored release, with their sha256 (upstream/SOURCES.md). */
export const GATEWAY_API_FILES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "v1.6.1": {
    "gateway.networking.k8s.io_backendtlspolicies.yaml": "0d48c9e4b53dd9510cf615b9b1192d9d7afb07a1cc0498c9515627cb1c075419",
    "gateway.networking.k8s.io_gatewayclasses.yaml": "53710048ba26f8620eed59d5e51b157ecf040daf5c6eef31a4b991e0808c4be5",
    "gateway.networking.k8s.io_gateways.yaml": "25b885f5870b8fff1ae82efa2628b2761cef3745900c2aecf8fb76629a01255a",
    "gateway.networking.k8s.io_grpcroutes.yaml": "53a8d029da8f07e55d3fa58a5cf6de5950dab19fbb8d6a8082fb5e51ca5ef6fc",
    "gateway.networking.k8s.io_httproutes.yaml": "a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852",
    "gateway.networking.k8s.io_listenersets.yaml": "bf4d4b02564999b2558b96e31465129895db9b3a8adfb90adb9c80eac52a3a70",
    "gateway.networking.k8s.io_referencegrants.yaml": "8c645e9333cfa67790cc2a53e0c00076f88b2bd4230d2b49688c78bc34f9b2c3",
    "gateway.networking.k8s.io_tcproutes.yaml": "d5104d0cf30e924f5e3c9e2e76abd46876401c34ca33b9e79321523eee78c7f6",
    "gateway.networking.k8s.io_tlsroutes.yaml": "bb8b67926e5d9652cbfd2e19063b7c1d9e78806c9dd671608f57baef2f2e3bbb",
    "gateway.networking.k8s.io_udproutes.yaml": "4b80684c2bf8ef4b0a2a3ab45164ac9f96258fc69912645ff50ced595b0aa6de",
    // A ValidatingAdmissionPolicy and its binding that refuse older or experimental CRDs over these, not a CRD.
    "gateway.networking.k8s.io_vap_safeupgrades.yaml": "afb0ea1b3cc2e9344d93b0926fbe741aeb48ab4439f9f7b4b77b9ac94faf6c2e",
  },
};

export const GATEWAY_API_DIR = resolve(__dirname, "..", "..", "..", "upstream", "gateway-api");

/** The Gateway API release a Cilium chart version needs, or undefined when k3s-sites vendors none for its minor. */
export function gatewayApiOfCilium(ciliumVersion: string): string | undefined {
  const minor = ciliumVersion.split(".").slice(0, 2).join(".");
  return GATEWAY_API_OF_CILIUM[minor];
}

/** Releases read in this process, by folder: each plan gets copies, the files are read and checked once. */
const readReleases = new Map<string, KubernetesObject[]>();

/**
 * Every object of a vendored release (CRDs, then the admission policy), each file's sha256 checked first. Read once
 * a process, a fresh copy for each caller.
 */
export function gatewayApiObjects(version: string, root = GATEWAY_API_DIR): KubernetesObject[] {
  const key = join(root, version);
  let objects = readReleases.get(key);
  if (!objects) {
    objects = readRelease(version, root);
    readReleases.set(key, objects);
  }
  return structuredClone(objects);
}

function readRelease(version: string, root: string): KubernetesObject[] {
  const files = GATEWAY_API_FILES[version];
  if (!files) throw new Error(`Gateway API ${version} is not vendored (have: ${Object.keys(GATEWAY_API_FILES).join(", ")})`);
  return Object.entries(files).flatMap(([file, sha256]) => {
    const path = join(root, version, file);
    const text = readFileSync(path, "utf8");
    const actual = createHash("sha256").update(text).digest("hex");
    if (actual !== sha256) {
      throw new Error(`${join("upstream", "gateway-api", version, file)} has sha256 ${actual}, expected ${sha256}: restore the file from kubernetes-sigs/gateway-api ${version} (upstream/SOURCES.md)`);
    }
    return parseManifest(text);
  });
}
