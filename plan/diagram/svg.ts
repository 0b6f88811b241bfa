/**
 * The site diagram as SVG: elkjs (the Eclipse Layout Kernel compiled to JavaScript) places the boxes and routes the
 * links; this file measures the text and writes plain SVG, readable without a browser or fonts of its own.
 */
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api";
import type { Box, BoxKind, Link, SiteDiagram } from "./model";

const FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const TEXT = 12; // px
const TITLE = 13; // px
/** A monospace character is 0.6 em wide, so widths are known without measuring fonts. */
const CHAR = 0.6;
const LINE = 16; // px between baselines
const PAD = 10; // px inside a box
const MARGIN = 20; // px around the drawing

const STYLE: Record<BoxKind, { fill: string; stroke: string; dash?: string }> = {
  internet: { fill: "#fff7e6", stroke: "#d48806" },
  network: { fill: "#f0f5ff", stroke: "#2f54eb", dash: "6 4" },
  subnet: { fill: "#e6f4ff", stroke: "#1677ff", dash: "4 3" },
  node: { fill: "#ffffff", stroke: "#237804" },
  loadBalancer: { fill: "#fff0f6", stroke: "#c41d7f" },
  router: { fill: "#f9f0ff", stroke: "#531dab" },
  cluster: { fill: "#f6ffed", stroke: "#389e0d" },
};

const textWidth = (text: string, size: number): number => Math.ceil(text.length * size * CHAR);

/** Height of a box's heading: its title and lines. */
function headingHeight(box: Box): number {
  return PAD + LINE + box.lines.length * LINE;
}

function headingWidth(box: Box): number {
  return Math.max(textWidth(box.title, TITLE), ...box.lines.map((l) => textWidth(l, TEXT))) + 2 * PAD;
}

/** Boxes in the order the model lists them (nodes by name and number), not reordered by the crossing minimizer. */
const LAYERED = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.crossingMinimization.forceNodeModelOrder": "true",
  "elk.layered.considerModelOrder.components": "MODEL_ORDER",
  "elk.spacing.nodeNode": "24",
  "elk.layered.spacing.nodeNodeBetweenLayers": "40",
  "elk.spacing.edgeLabel": "4",
  "elk.edgeRouting": "ORTHOGONAL",
};
/** Boxes without links between them (the nodes of a pool): rows in the model's order, wrapped. */
const PACKED = {
  "elk.algorithm": "rectpacking",
  "elk.aspectRatio": "2.5",
  "elk.spacing.nodeNode": "16",
};

function elkEdge(link: Link, index: number): ElkExtendedEdge {
  return {
    id: `link-${index}`,
    sources: [link.from],
    targets: [link.to],
    ...(link.label ? { labels: [{ text: link.label, width: textWidth(link.label, TEXT) + 6, height: LINE }] } : {}),
  };
}

/**
 * Each graph is laid out on its own (ELK's SEPARATE_CHILDREN: only then does it keep the model's order), so a link
 * belongs to the box that holds both of its ends; the model draws no link across a box's border.
 */
function elkNode(box: Box, links: readonly { link: Link; index: number }[]): ElkNode {
  if (box.children.length === 0) {
    return { id: box.id, width: headingWidth(box), height: headingHeight(box) + PAD / 2 };
  }
  const ids = new Set(box.children.map((c) => c.id));
  const own = links.filter(({ link }) => ids.has(link.from) && ids.has(link.to));
  return {
    id: box.id,
    children: box.children.map((child) => elkNode(child, links)),
    edges: own.map(({ link, index }) => elkEdge(link, index)),
    layoutOptions: {
      ...(own.length > 0 ? LAYERED : PACKED),
      "elk.padding": `[top=${headingHeight(box) + PAD},left=${PAD * 1.5},bottom=${PAD * 1.5},right=${PAD * 1.5}]`,
      "elk.nodeSize.constraints": "MINIMUM_SIZE",
      "elk.nodeSize.minimum": `(${headingWidth(box)}, ${headingHeight(box) + 2 * PAD})`,
    },
  };
}

const escape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const px = (n: number): string => String(Math.round(n * 10) / 10);

function drawBox(box: Box, placed: Map<string, ElkNode>, out: string[]): void {
  const at = placed.get(box.id);
  if (!at) throw new Error(`the layout lost the box ${box.id}`);
  const style = STYLE[box.kind];
  const x = at.x ?? 0;
  const y = at.y ?? 0;
  out.push(`<g id="${escape(box.id)}" class="${box.kind}">`);
  out.push(
    `<rect x="${px(x)}" y="${px(y)}" width="${px(at.width ?? 0)}" height="${px(at.height ?? 0)}" rx="6" ` +
      `fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"${style.dash ? ` stroke-dasharray="${style.dash}"` : ""}/>`,
  );
  out.push(
    `<text x="${px(x + PAD)}" y="${px(y + PAD + TITLE - 1)}" font-size="${TITLE}" font-weight="bold">${escape(box.title)}</text>`,
  );
  box.lines.forEach((line, i) => {
    out.push(`<text x="${px(x + PAD)}" y="${px(y + PAD + TITLE - 1 + LINE * (i + 1))}">${escape(line)}</text>`);
  });
  for (const child of box.children) drawBox(child, placed, out);
  out.push("</g>");
}

function edgesOf(node: ElkNode): ElkExtendedEdge[] {
  return [...((node.edges ?? []) as ElkExtendedEdge[]), ...(node.children ?? []).flatMap(edgesOf)];
}

function collect(node: ElkNode, into: Map<string, ElkNode>): void {
  into.set(node.id, node);
  for (const child of node.children ?? []) collect(child, into);
}

/** The diagram as a standalone SVG document. */
export async function diagramSvg(diagram: SiteDiagram): Promise<string> {
  const links = diagram.links.map((link, index) => ({ link, index }));
  const root: Box = { id: "root", kind: "network", title: "", lines: [], children: diagram.boxes };
  const graph = elkNode(root, links);
  const drawn = new Set((function ids(n: ElkNode): string[] {
    return [...(n.edges ?? []).map((e) => e.id), ...(n.children ?? []).flatMap(ids)];
  })(graph));
  const lost = links.filter(({ index }) => !drawn.has(`link-${index}`));
  if (lost.length > 0) throw new Error(`links across a box's border: ${lost.map(({ link }) => `${link.from} -> ${link.to}`).join(", ")}`);
  graph.layoutOptions = {
    ...LAYERED,
    "elk.padding": "[top=0,left=0,bottom=0,right=0]",
    "elk.json.shapeCoords": "ROOT",
    "elk.json.edgeCoords": "ROOT",
  };
  let laid: ElkNode;
  try {
    laid = await new ELK().layout(graph);
  } catch (err) {
    // ELK's own errors carry its whole compiled source in the stack: keep the message.
    throw new Error(`laying out the site diagram failed: ${(err as Error).message.split("\n")[0]}`);
  }
  const placed = new Map<string, ElkNode>();
  collect(laid, placed);

  const noteLines = [diagram.title, ...diagram.notes];
  const drawingWidth = laid.width ?? 0;
  const width = Math.ceil(Math.max(drawingWidth, ...noteLines.map((l) => textWidth(l, TEXT))) + 2 * MARGIN);
  const top = MARGIN + LINE * 1.5;
  const height = Math.ceil(top + (laid.height ?? 0) + (diagram.notes.length + 1) * LINE + MARGIN);

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT}" font-size="${TEXT}" fill="#1f1f1f">`,
  );
  out.push(`<title>${escape(diagram.title)}</title>`);
  out.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">' +
      '<path d="M 0 0 L 10 5 L 0 10 z" fill="#595959"/></marker></defs>',
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN}" y="${MARGIN + TITLE}" font-size="${TITLE + 2}" font-weight="bold">${escape(diagram.title)}</text>`);
  out.push(`<g transform="translate(${MARGIN} ${px(top)})">`);
  for (const box of diagram.boxes) drawBox(box, placed, out);
  for (const edge of edgesOf(laid)) {
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      out.push(
        `<polyline class="link" points="${points.map((p) => `${px(p.x)},${px(p.y)}`).join(" ")}" fill="none" ` +
          'stroke="#595959" stroke-width="1.2" marker-end="url(#arrow)"/>',
      );
    }
    for (const label of edge.labels ?? []) {
      out.push(
        `<rect x="${px(label.x ?? 0)}" y="${px(label.y ?? 0)}" width="${px(label.width ?? 0)}" height="${px(label.height ?? 0)}" fill="#ffffff" fill-opacity="0.85"/>`,
      );
      out.push(
        `<text class="link-label" x="${px((label.x ?? 0) + 3)}" y="${px((label.y ?? 0) + TEXT)}" fill="#434343">${escape(label.text ?? "")}</text>`,
      );
    }
  }
  out.push("</g>");
  diagram.notes.forEach((note, i) => {
    out.push(`<text x="${MARGIN}" y="${px(top + (laid.height ?? 0) + LINE * (i + 1.5))}" fill="#595959">${escape(note)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
