/** The helm that renders charts comes from the lockfile, is the pinned helm 3, and is unpacked once into a cache. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { HELM_PACKAGE, type HelmLookup } from "../../../plan/charts/helm";
import { readZipEntry } from "../../../plan/charts/zip";
import { asNewProcess } from "../../support/new-process";

const zip = join(dirname(require.resolve(`${HELM_PACKAGE.name}/package.json`)), "lib", "layer.zip");
const linuxX64 = process.platform === "linux" && process.arch === "x64";

/** findHelm as a new process has it (it looks up once per process), with `cache` as the cache folder. */
function freshFindHelm(cache: string): HelmLookup {
  return asNewProcess(require.resolve("../../../plan/charts/helm"), { XDG_CACHE_HOME: cache, K3S_SITES_HELM: "" }, (helm: typeof import("../../../plan/charts/helm")) =>
    helm.findHelm(),
  );
}

function helmPath(found: HelmLookup): string {
  assert.ok("helm" in found, JSON.stringify(found));
  return found.helm.path;
}

describe("helm from the lockfile", () => {
  it("reads the pinned helm binary out of the package's layer.zip", () => {
    const bytes = readZipEntry(zip, HELM_PACKAGE.entry);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), HELM_PACKAGE.sha256);
    assert.throws(() => readZipEntry(zip, "helm/nothing"), /has no entry helm\/nothing/);
  });

  it(
    "unpacks it on first use into the cache folder and runs helm 3, the major Pulumi's provider renders with",
    linuxX64 ? {} : { skip: `${HELM_PACKAGE.name} ships helm for linux x86-64 only` },
    () => {
      const cache = mkdtempSync(join(tmpdir(), "helm-cache-"));
      try {
        // As a fresh process with an empty cache finds it.
        const out = freshFindHelm(cache);
        assert.ok("helm" in out, JSON.stringify(out));
        assert.equal(out.helm.path, join(cache, "k3s-sites", `helm-${HELM_PACKAGE.helmVersion}`, "helm"));
        assert.equal(out.helm.version, HELM_PACKAGE.helmVersion);
        assert.match(out.helm.version, /^v3\./);
        // findHelm takes the version from the digest it checked: the binary says the same.
        const said = execFileSync(out.helm.path, ["version", "--short"], { encoding: "utf8" }).trim();
        assert.equal(said.split("+")[0], HELM_PACKAGE.helmVersion);
        assert.equal(out.helm.source, `npm ${HELM_PACKAGE.name}@${HELM_PACKAGE.version}`);
        assert.equal(statSync(out.helm.path).mode & 0o111, 0o111);
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
  );

  it(
    "checks the unpacked helm's digest again once the file has changed, and unpacks it afresh",
    linuxX64 ? {} : { skip: `${HELM_PACKAGE.name} ships helm for linux x86-64 only` },
    () => {
      const cache = mkdtempSync(join(tmpdir(), "helm-cache-"));
      try {
        const find = () => helmPath(freshFindHelm(cache));
        const path = find();
        const digest = () => createHash("sha256").update(readFileSync(path)).digest("hex");
        // The stamp records the file as verified; an edit in place, same size, changes its change time.
        assert.match(readFileSync(`${path}.verified`, "utf8"), new RegExp(`^${HELM_PACKAGE.sha256} `));
        const fd = openSync(path, "r+");
        writeSync(fd, Buffer.from("XX"), 0, 2, 1000);
        closeSync(fd);
        assert.notEqual(digest(), HELM_PACKAGE.sha256);
        assert.equal(find(), path);
        assert.equal(digest(), HELM_PACKAGE.sha256);
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
  );
});
