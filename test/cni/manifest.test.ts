import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  CALICO_PINS,
  canalCachePath,
  canalManifestUrl,
  expectedCanalDigest,
  loadCanalManifest,
  type FetchLike,
} from "../../src/cni/manifest";
import { ROOT } from "../helpers";

const UPSTREAM = join(ROOT, "upstream");
const V = "v3.32.1";
const URL_V = "https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests/canal.yaml";
// Read once: the real manifest the fake downloads serve.
const TEXT = readFileSync(join(UPSTREAM, "calico", V, "canal.yaml"), "utf8");
const PIN = "aa58a7b245586a90d75d969b9184326f6218acea7e4951ce2931113cd8e91e39";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "canal-cache-"));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fetch that serves `body` for the expected URL and records its calls. */
function fakeFetch(body: string, init: ResponseInit = { status: 200 }): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (url: string) => {
    calls.push(url);
    return new Response(body, init);
  };
  return Object.assign(fn, { calls });
}

const noDownload: FetchLike = async (url) => {
  throw new Error(`unexpected download of ${url}`);
};

describe("Calico pins", () => {
  it("match the vendored canal.yaml files and upstream/SOURCES.md", () => {
    const sources = readFileSync(join(UPSTREAM, "SOURCES.md"), "utf8");
    assert.deepEqual(Object.keys(CALICO_PINS), ["v3.31.7", "v3.32.1"]);
    for (const [version, digest] of Object.entries(CALICO_PINS)) {
      assert.equal(sha256(readFileSync(canalCachePath(UPSTREAM, version), "utf8")), digest, version);
      assert.match(sources, new RegExp(`\\| calico/${version.replace(/\./g, "\\.")}/canal\\.yaml \\|.*\\| ${digest} \\|`), version);
    }
  });

  it("point at the release tag's manifests/canal.yaml", () => {
    assert.equal(canalManifestUrl(V), URL_V);
    assert.equal(canalCachePath("/cache", "v3.31.7"), "/cache/calico/v3.31.7/canal.yaml");
    assert.throws(() => canalManifestUrl("../v3.32.1"), {
      message: 'cni.canal.version "../v3.32.1" is not a Calico release tag: use one such as v3.32.1',
    });
  });

  it("take cni.canal.sha256 over the pin, and the pin without it", () => {
    assert.equal(expectedCanalDigest(V), PIN);
    assert.equal(expectedCanalDigest(V, "AB".repeat(32)), "ab".repeat(32));
    assert.equal(expectedCanalDigest("v3.33.0", "cd".repeat(32)), "cd".repeat(32));
  });

  it("refuse an unpinned version without cni.canal.sha256, naming the key and both ways out", () => {
    assert.throws(() => expectedCanalDigest("v3.33.0"), {
      message:
        "cni.canal.version v3.33.0 has no pinned canal.yaml digest in k3s-sites: set cni.canal.sha256 to the sha256 of " +
        "https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/canal.yaml (curl -sL <url> | sha256sum, " +
        "after reading the release notes), or use a pinned version: v3.31.7, v3.32.1",
    });
  });
});

describe("loadCanalManifest", () => {
  it("reads a pinned version from the cache folder (the vendored upstream/) without downloading", async () => {
    for (const version of Object.keys(CALICO_PINS)) {
      const text = await loadCanalManifest({ version, cacheDir: UPSTREAM, fetch: noDownload });
      assert.equal(sha256(text), CALICO_PINS[version]);
    }
  });

  it("refuses a cached file whose digest differs, naming the file and both digests", async () => {
    const dir = tempDir();
    const path = canalCachePath(dir, V);
    mkdirSync(join(dir, "calico", V), { recursive: true });
    const tampered = TEXT.replace('veth_mtu: "0"', 'veth_mtu: "9000"');
    writeFileSync(path, tampered);
    await assert.rejects(loadCanalManifest({ version: V, cacheDir: dir, fetch: noDownload }), {
      message:
        `${path} has sha256 ${sha256(tampered)}, but the k3s-sites pin for Calico v3.32.1 is ${PIN}: the cached ` +
        `canal.yaml is not the pinned file. Restore it from ${URL_V} (or delete it to download it again)`,
    });
    const configured = "ef".repeat(32);
    await assert.rejects(loadCanalManifest({ version: V, sha256: configured, cacheDir: UPSTREAM, fetch: noDownload }), {
      message:
        `${canalCachePath(UPSTREAM, V)} has sha256 ${PIN}, but cni.canal.sha256 is ${configured}: the cached canal.yaml ` +
        `is not the pinned file. Restore it from ${URL_V} (or delete it to download it again), and check ` +
        `cni.canal.sha256 against that file`,
    });
  });

  it("fails on an unpinned version without cni.canal.sha256 before downloading", async () => {
    const fetch = fakeFetch(TEXT);
    await assert.rejects(loadCanalManifest({ version: "v3.33.0", cacheDir: tempDir(), fetch }), /^Error: cni\.canal\.version v3\.33\.0 has no pinned/);
    assert.deepEqual(fetch.calls, []);
  });

  it("downloads a missing file, checks it, and writes it into the cache, which the next run reads", async () => {
    const dir = tempDir();
    const fetch = fakeFetch(TEXT);
    assert.equal(await loadCanalManifest({ version: V, cacheDir: dir, fetch }), TEXT);
    assert.deepEqual(fetch.calls, [URL_V]);
    assert.equal(readFileSync(canalCachePath(dir, V), "utf8"), TEXT);
    assert.deepEqual(readdirSync(join(dir, "calico", V)), ["canal.yaml"], "no temporary file left behind");
    assert.equal(await loadCanalManifest({ version: V, cacheDir: dir, fetch: noDownload }), TEXT);
  });

  it("accepts an unpinned version whose download matches cni.canal.sha256", async () => {
    const fetch = fakeFetch(TEXT);
    const text = await loadCanalManifest({ version: "v3.33.0", sha256: PIN, fetch });
    assert.equal(text, TEXT);
    assert.deepEqual(fetch.calls, ["https://raw.githubusercontent.com/projectcalico/calico/v3.33.0/manifests/canal.yaml"]);
  });

  it("refuses a download whose digest differs, naming the URL and both digests, and caches nothing", async () => {
    const dir = tempDir();
    const altered = `${TEXT}# injected\n`;
    await assert.rejects(loadCanalManifest({ version: V, cacheDir: dir, fetch: fakeFetch(altered) }), {
      message:
        `${URL_V} has sha256 ${sha256(altered)}, but the k3s-sites pin for Calico v3.32.1 is ${PIN}: the download is not ` +
        `the pinned canal.yaml, so nothing was applied or cached. The release file changed or something between here ` +
        `and GitHub altered it; do not work around the check`,
    });
    assert.equal(existsSync(join(dir, "calico")), false);
  });

  it("names the URL and the HTTP status of a failed download", async () => {
    await assert.rejects(
      loadCanalManifest({ version: V, sha256: PIN, fetch: fakeFetch("404: Not Found", { status: 404, statusText: "Not Found" }) }),
      {
        message:
          `downloading canal.yaml of Calico v3.32.1 from ${URL_V} failed: HTTP 404 Not Found. Check that ` +
          `cni.canal.version v3.32.1 is a Calico release (https://github.com/projectcalico/calico/releases)`,
      },
    );
  });

  it("names the URL and the cache path when the network fails", async () => {
    const dir = tempDir();
    const offline: FetchLike = async () => {
      throw new TypeError("fetch failed");
    };
    await assert.rejects(loadCanalManifest({ version: V, cacheDir: dir, fetch: offline }), {
      message:
        `downloading canal.yaml of Calico v3.32.1 from ${URL_V} failed: fetch failed. Check the network, or put that ` +
        `file at ${canalCachePath(dir, V)}`,
    });
  });
});
