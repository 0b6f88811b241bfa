import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { shellcheck } from "./shellcheck";

describe("shellcheck's findings kept between runs", () => {
  const home = mkdtempSync(join(tmpdir(), "k3s-sites-shellcheck-cache-"));
  const saved = process.env.XDG_CACHE_HOME;
  before(() => (process.env.XDG_CACHE_HOME = home));
  after(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(home, { recursive: true, force: true });
  });
  const dir = () => join(home, "k3s-sites", "shellcheck");

  it("stores a lint's findings by the script's digest and reads them back for the same script", async () => {
    const script = "#!/bin/bash\necho $X\n";
    assert.deepEqual(await shellcheck({ "x.sh": script }), [
      "x.sh:2:6: info: Double quote to prevent globbing and word splitting. [SC2086]",
    ]);
    const [entry] = readdirSync(dir());
    assert.ok(entry?.endsWith(".json"));
    // A doctored entry is what the next lint of the same script reports: the cache is read, not just written.
    const results = JSON.parse(readFileSync(join(dir(), entry), "utf8")) as { message: string }[];
    results[0]!.message = "from the cache";
    writeFileSync(join(dir(), entry), JSON.stringify(results));
    assert.deepEqual(await shellcheck({ "y.sh": script }), ["y.sh:2:6: info: from the cache [SC2086]"]);
  });

  it("lints a changed script afresh", async () => {
    assert.deepEqual(await shellcheck({ "z.sh": '#!/bin/bash\necho "$X"\n' }), []);
    assert.equal(readdirSync(dir()).length, 2);
  });
});
