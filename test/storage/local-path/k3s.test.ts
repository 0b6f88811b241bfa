import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localPathServerFlags } from "../../../src/storage/local-path/k3s";
import { K3S_DEFAULT_STORAGE_PATH, localPathSchema } from "../../../src/storage/local-path/schema";

describe("k3s's local-path provisioner", () => {
  it("keeps a site at k3s's default path without a flag", () => {
    assert.equal(localPathSchema.parse({}).path, K3S_DEFAULT_STORAGE_PATH);
    assert.deepEqual(localPathServerFlags(true, localPathSchema.parse({})), { flags: {}, disable: [] });
  });

  it("sets default-local-storage-path for a path of the site's own", () => {
    assert.deepEqual(localPathServerFlags(true, { path: "/srv/k3s-storage" }).flags, { "default-local-storage-path": "/srv/k3s-storage" });
  });

  it("disables the packaged component when off", () => {
    assert.deepEqual(localPathServerFlags(false, { path: "/srv/k3s-storage" }), { flags: {}, disable: ["local-storage"] });
  });

  it("refuses relative paths, / and ..", () => {
    for (const path of ["srv/data", "/", "/srv/../etc", "/srv data"]) assert.equal(localPathSchema.safeParse({ path }).success, false, path);
  });
});
