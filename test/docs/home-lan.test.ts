/** docs/home-lan.md shows what the program generates for the labs' configuration: its marked blocks are held here. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { metallbRouterFiles } from "../../src/lb/metallb/router";
import { cniConfig, podAnnotations } from "../../src/multus/networks";
import { ROOT, exampleSections, parse1 } from "../helpers";
import { lanBgp } from "../lb/metallb/variants";

const DOC = readFileSync(join(ROOT, "docs", "home-lan.md"), "utf8");

/** The fenced block right after `<!-- generated: <name> -->`, without its fences. */
function block(name: string): string {
  const m = new RegExp(`<!-- generated: ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\n`).exec(DOC);
  assert.ok(m, `docs/home-lan.md has a block marked ${name}`);
  return m[1]!;
}

describe("docs/home-lan.md", () => {
  it("shows the router files the plan writes for the MetalLB lab's configuration", () => {
    const files = metallbRouterFiles(parse1(lanBgp()), "lan");
    assert.equal(block("metallb-router.frr.conf"), files["metallb-router.frr.conf"]);
    assert.equal(block("metallb-router.bird.conf"), files["metallb-router.bird.conf"]);
  });

  it("shows the lan example's dmz-in NetworkAttachmentDefinition config and the mail app's annotation", () => {
    const lan = parse1(exampleSections("lan"));
    assert.equal(block("dmz-in NetworkAttachmentDefinition config"), `${JSON.stringify(cniConfig(lan.networks[0]!), null, 2)}\n`);
    assert.equal(block("mail annotation"), `k8s.v1.cni.cncf.io/networks: '${podAnnotations(lan).mail}'\n`);
  });
});
