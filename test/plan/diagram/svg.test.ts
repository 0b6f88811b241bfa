import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { readStackFile, type ProgramRun } from "../../../plan/engine";
import { manifestsOf } from "../../../plan/render";
import { LOAD_BALANCER_BOX, nodeBoxId, portLine, type DiagramPort } from "../../../plan/diagram/model";
import { README_DIAGRAM, siteSvg } from "../../../plan/diagram/site";
import { SECRET_KEYS } from "../../../src/config/secrets";
import { ROOT } from "../../helpers";
import { planOf } from "../run";
import { planCharts } from "../../../plan/charts/plan";
import { HELM_SKIP } from "../charts/support";

const EXAMPLES = ["prod", "home", "lan", "multisite"] as const;

/** Parses the SVG as XML, failing on any well-formedness error. */
function parseSvg(svg: string): Element {
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`site.svg is not well-formed XML: ${message}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement;
  assert.ok(root, "the SVG has a root element");
  assert.equal(root.tagName, "svg");
  return root;
}

function groupById(root: Element, id: string): Element {
  const found = Array.from(root.getElementsByTagName("g")).find((g) => g.getAttribute("id") === id);
  assert.ok(found, `no <g id="${id}"> in the SVG`);
  return found;
}

/** The texts drawn directly in a box (its title and lines), not those of the boxes inside it. */
function ownTexts(group: Element): string[] {
  return Array.from(group.childNodes)
    .filter((n): n is Element => (n as Element).tagName === "text")
    .map((t) => t.textContent ?? "");
}

interface Rect {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The rectangle of each box with no box inside it: the nodes, the load balancer, routers. */
function leafRects(root: Element): Rect[] {
  return Array.from(root.getElementsByTagName("g"))
    .filter((g) => g.getAttribute("id") && g.getElementsByTagName("g").length === 0)
    .map((g) => {
      const rect = g.getElementsByTagName("rect")[0];
      assert.ok(rect, `box ${g.getAttribute("id")} has no rectangle`);
      const n = (a: string) => Number(rect.getAttribute(a));
      return { id: g.getAttribute("id") as string, x: n("x"), y: n("y"), width: n("width"), height: n("height") };
    });
}

const overlap = (a: Rect, b: Rect): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Every port the plan opens on a load balancer: Hetzner's services, or the LoadBalancer Services' ports (the charts' too). */
function plannedPorts(run: ProgramRun, chartObjects: readonly Record<string, unknown>[]): DiagramPort[] {
  const lb = run.outputs.loadBalancer as { ports: DiagramPort[] } | undefined;
  if (lb) return lb.ports;
  return [...manifestsOf(run), ...chartObjects]
    .filter((o) => o.kind === "Service" && (o.spec as { type?: string }).type === "LoadBalancer")
    .flatMap((o) =>
      ((o.spec as { ports: { name?: string; port: number; targetPort?: unknown }[] }).ports ?? []).map((p) => ({
        listenPort: p.port,
        destinationPort: typeof p.targetPort === "number" ? p.targetPort : p.port,
        ...(p.name ? { name: p.name } : {}),
      })),
    );
}

const plans = new Map<string, Promise<{ run: ProgramRun; svg: string; chartObjects: readonly Record<string, unknown>[] }>>();
/** The stack's plan and its diagram, drawn as `npm run plan` draws it: with the charts' objects when helm renders them. */
function svgOf(stack: string): Promise<{ run: ProgramRun; svg: string; chartObjects: readonly Record<string, unknown>[] }> {
  let found = plans.get(stack);
  if (!found) {
    found = planOf(stack).then(async (run) => {
      const stackFile = readStackFile(join(ROOT, `Pulumi.${stack}.yaml`), SECRET_KEYS);
      const chartObjects = HELM_SKIP ? [] : planCharts(run, stackFile).objects;
      return { run, chartObjects, svg: await siteSvg(run, stackFile, chartObjects) };
    });
    plans.set(stack, found);
  }
  return found;
}

describe("site.svg of each example", () => {
  for (const stack of EXAMPLES) {
    it(`${stack}: well-formed, with every node and every load-balancer port, and no two boxes overlapping`, async () => {
      const { run, svg, chartObjects } = await svgOf(stack);
      const root = parseSvg(svg);
      const nodes = run.outputs.nodes as { name: string; role: string; arch: string; privateIp: string }[];
      assert.ok(nodes.length > 0);
      for (const node of nodes) {
        const texts = ownTexts(groupById(root, nodeBoxId(node.name)));
        assert.equal(texts[0], node.name);
        assert.match(texts[1] ?? "", new RegExp(`^${node.role} · ${node.arch}`));
        assert.ok(texts[2]?.startsWith(node.privateIp), `${node.name}: ${texts.join(" | ")}`);
      }
      const ports = plannedPorts(run, chartObjects);
      // lan's LoadBalancer Service is Traefik's, made by its chart: drawn only when helm rendered the chart.
      if (stack !== "multisite" && (stack !== "lan" || !HELM_SKIP)) assert.ok(ports.length >= 2, `${stack} plans load-balancer ports`);
      if (ports.length > 0) {
        const lbTexts = ownTexts(groupById(root, LOAD_BALANCER_BOX));
        for (const port of ports) assert.ok(lbTexts.includes(portLine(port)), `${portLine(port)} in ${lbTexts.join(" | ")}`);
      }
      const rects = leafRects(root);
      for (const [i, a] of rects.entries()) {
        for (const b of rects.slice(i + 1)) assert.ok(!overlap(a, b), `${a.id} overlaps ${b.id}`);
      }
    });
  }

  it("labels the addresses the offline engine made up as placeholders", async () => {
    const { run, svg } = await svgOf("prod");
    const root = parseSvg(svg);
    const lb = run.outputs.loadBalancer as { ipv4: string; ipv6: string };
    const lbTexts = ownTexts(groupById(root, LOAD_BALANCER_BOX));
    assert.ok(lbTexts.includes(`${lb.ipv4} (placeholder)`), lbTexts.join(" | "));
    assert.ok(lbTexts.includes(`${lb.ipv6} (placeholder)`), lbTexts.join(" | "));
    const node = (run.outputs.nodes as { name: string; publicIpv4: string }[])[0]!;
    assert.ok(ownTexts(groupById(root, nodeBoxId(node.name))).includes(`public ${node.publicIpv4} (placeholder)`));
  });

  it(`${README_DIAGRAM.path} is the current drawing of Pulumi.${README_DIAGRAM.stack}.yaml (npm run diagram)`, async () => {
    const { svg } = await svgOf(README_DIAGRAM.stack);
    assert.equal(readFileSync(join(ROOT, README_DIAGRAM.path), "utf8"), svg, `run npm run diagram and commit ${README_DIAGRAM.path}`);
  });
});
