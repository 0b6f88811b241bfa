/**
 * A preview as the plan prints it: one line per changed resource with its changed properties, like `pulumi preview
 * --diff` in short, and the one-line-per-kind summary the scenario tables use.
 */
import { isSecretValue } from "./diff-state";
import type { Action, PreviewDiff, PropertyChange } from "./diff";
import { SECRET } from "./engine";

const SYMBOL: Record<Action, string> = {
  create: "+ ",
  update: "~ ",
  replace: "+-",
  delete: "- ",
  same: "  ",
  "not-compared": "? ",
};

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  if (isSecretValue(value)) return SECRET;
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A change of a script or other multi-line text, by its first differing line. */
function showChange(c: PropertyChange): string {
  if (typeof c.old === "string" && typeof c.new === "string" && (c.old.includes("\n") || c.new.includes("\n"))) {
    const a = c.old.split("\n");
    const b = c.new.split("\n");
    const first = a.findIndex((line, i) => line !== b[i]);
    const at = first === -1 ? a.length : first;
    const differing = Math.max(a.length, b.length) - at;
    return `line ${at + 1}: ${show(a[at])} => ${show(b[at])} (text of ${b.length} lines, ${differing} from there on)`;
  }
  return `${show(c.old)} => ${show(c.new)}`;
}

/** The preview as text, like `pulumi preview --diff` in short. */
export function renderDiff(diff: PreviewDiff, heading: string): string {
  const lines = [heading];
  const counts = new Map<string, number>();
  for (const s of diff.steps) {
    const label = s.action === "replace" && s.deleteBeforeReplace ? "replace (delete first)" : s.action;
    counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
    if (s.action === "same") continue;
    lines.push(`${SYMBOL[s.action]} ${label}  ${s.urn}`);
    for (const c of s.changes.slice(0, 12)) {
      const cause = s.replaceCauses.includes(c.path || "(the whole object)") ? "  [replaces]" : "";
      const from = c.from ? `  (from ${c.from})` : "";
      lines.push(`      ${c.path || "(all)"}: ${showChange(c)}${from}${cause}`);
    }
    if (s.changes.length > 12) lines.push(`      ... ${s.changes.length - 12} more`);
    for (const cause of s.replaceCauses.filter((c) => !s.changes.some((ch) => (ch.path || "(the whole object)") === c))) {
      lines.push(`      replaces: ${cause}`);
    }
    for (const n of s.notes) lines.push(`      ! ${n}`);
  }
  const order: Action[] = ["create", "update", "replace", "delete", "same", "not-compared"];
  lines.push(
    `resources: ${order
      .filter((a) => counts.has(a))
      .map((a) => `${counts.get(a)} to ${a === "same" ? "leave alone" : a === "not-compared" ? "not compare" : a}`)
      .join(", ")}`,
  );
  for (const e of diff.errors) lines.push(`error: ${e}`);
  return `${lines.join("\n")}\n`;
}

/** One line per kind of step, by resource type: the scenario table's "what the preview shows". */
export function summarizeDiff(diff: PreviewDiff): string {
  const order = ["create", "update", "replace", "replace (delete first)", "delete"];
  const groups = new Map<string, { kind: string; type: string; n: number }>();
  for (const s of diff.steps) {
    if (s.action === "same" || s.action === "not-compared") continue;
    const kind = s.action === "replace" && s.deleteBeforeReplace ? "replace (delete first)" : s.action;
    const type = s.type.startsWith("pulumi:providers:")
      ? `${s.type.slice("pulumi:providers:".length)} provider`
      : (s.type.split(":").pop() as string);
    const group = groups.get(`${kind}|${type}`) ?? { kind, type, n: 0 };
    group.n += 1;
    groups.set(`${kind}|${type}`, group);
  }
  const parts = [...groups.values()]
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.type.localeCompare(b.type))
    .map((g) => `${g.kind} ${g.type} ×${g.n}`);
  if (diff.errors.length > 0) parts.push(`refused: ${diff.errors.length} protected`);
  return parts.length > 0 ? parts.join(", ") : "no change";
}
