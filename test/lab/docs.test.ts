/**
 * docs/networking.md shows the operator the router configuration the Calico lab itself runs: each snippet between
 * `<!-- lab: <segment> <name> -->` and its code fence must be what test/lab/calico.ts generates for the multisite
 * example. Regenerate with `UPDATE_DOCS=1 node --import tsx --test test/lab/docs.test.ts` and read the diff.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { exampleSections, parse1, ROOT, sshSections } from "../helpers";
import { planOf } from "../plan/run";
import { CALICO_TEMPLATES_READ_AT, docSnippets } from "./calico";

const FILE = join(ROOT, "docs", "networking.md");
const BLOCK = /<!-- lab: (\S+) (\S+) -->\n```\n([\s\S]*?)```/g;

it("docs/networking.md shows the router configuration the lab runs", async () => {
  const run = await planOf("multisite");
  const config = parse1(exampleSections("multisite"));
  const text = readFileSync(FILE, "utf8");
  const seen: string[] = [];
  const updated = text.replace(BLOCK, (_all, segment: string, name: string, body: string) => {
    const wanted = docSnippets(config, run, segment)[name];
    assert.ok(wanted !== undefined, `docs/networking.md names a snippet ${segment} ${name} the lab does not generate`);
    seen.push(`${segment} ${name}`);
    if (!process.env.UPDATE_DOCS) assert.equal(body, wanted, `docs/networking.md, snippet ${segment} ${name}`);
    return `<!-- lab: ${segment} ${name} -->\n\`\`\`\n${wanted}\`\`\``;
  });
  assert.deepEqual(seen.sort(), ["home-b bird", "home-b frr", "home-b password", "home-b wireguard"]);
  if (process.env.UPDATE_DOCS) writeFileSync(FILE, updated);
});

it("the lab's calico-node speaker is read from the templates of the Calico version sites get by default", () => {
  // Bumping cni.calico.version's default: re-read confd's bird*.cfg.template and bgp_processor.go at the new tag,
  // update nodeSpeakerConfig in test/lab/calico.ts and its citations, then CALICO_TEMPLATES_READ_AT.
  const version = parse1({ ...sshSections(), cni: { plugin: "calico" } }).cni.calico.version;
  assert.equal(CALICO_TEMPLATES_READ_AT, version);
});
