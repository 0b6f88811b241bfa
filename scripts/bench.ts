/**
 * npm run bench [-- --runs <n>] [-- --only <site>]
 *
 * Plans generated sites (plan/bench/sites.ts) in fresh processes, the way `npm run plan` does, and prints one line
 * per figure: `<site> <figure> <value>`, so that two runs can be compared with diff. Not a test: figures move with
 * the machine's load, which is printed first.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FLAT_REQUESTS, SERVER_TYPE, pollSettingsOf, serverCreateCalls, total } from "../src/hetzner/api-calls";
import { deployModel, formatDuration, serverShapeOf, type GraphResource } from "../plan/deploy-model";
import { BENCH_SITES } from "../plan/bench/sites";
import { median } from "../plan/bench/median";
import { nodeOfCommand, REMOTE_COMMAND_TYPE } from "../src/k3s/names";

const ROOT = join(__dirname, "..");

interface Run {
  wallSeconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
}

/**
 * Node's arguments of `npm run plan` (package.json: `node <options> plan/cli.ts`), with the usage report loaded
 * after them: the bench plans exactly as the command does.
 */
export function planNodeArgs(script: string): string[] {
  const words = script.trim().split(/\s+/);
  if (words[0] !== "node" || words[words.length - 1] !== "plan/cli.ts") {
    throw new Error(`package.json scripts.plan is "${script}": the bench expects "node <options> plan/cli.ts"`);
  }
  return [...words.slice(1, -1), "--require", "./plan/bench/report-usage.ts", "plan/cli.ts"];
}

function planOnce(stackFile: string, out: string, report: string): Run {
  const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { plan: string } }).scripts.plan;
  const started = process.hrtime.bigint();
  const child = spawnSync(
    process.execPath,
    [...planNodeArgs(script), "--stack-file", stackFile, "--out", out],
    { cwd: ROOT, env: { ...process.env, BENCH_REPORT: report }, encoding: "utf8" },
  );
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`plan of ${stackFile} exited ${child.status}:\n${child.stderr}`);
  const usage = JSON.parse(readFileSync(report, "utf8")) as { maxRssKiB: number; cpuSeconds: number };
  return { wallSeconds, cpuSeconds: usage.cpuSeconds, maxRssMiB: usage.maxRssKiB / 1024 };
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { runs: { type: "string", default: "3" }, only: { type: "string" } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, got ${values.runs}`);
  const sites = BENCH_SITES.filter((s) => !values.only || s.name === values.only);
  if (sites.length === 0) throw new Error(`--only ${values.only}: no such site; have ${BENCH_SITES.map((s) => s.name).join(", ")}`);

  const line = (site: string, figure: string, value: string) => process.stdout.write(`${site} ${figure} ${value}\n`);
  line("machine", "node", process.version);
  line("machine", "cpus", `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`);
  line("machine", "load-before", loadavg().map((l) => l.toFixed(2)).join(" "));

  const dir = mkdtempSync(join(tmpdir(), "k3s-sites-bench-"));
  try {
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    for (const site of sites) {
      const stackFile = join(dir, `Pulumi.${site.name}.yaml`);
      writeFileSync(stackFile, site.yaml(ROOT));
      const out = join(dir, "out", site.name);
      const results = Array.from({ length: runs }, (_, i) => planOnce(stackFile, out, join(dir, `usage-${i}.json`)));
      const name = site.name;
      line(name, "plan-wall-median-s", median(results.map((r) => r.wallSeconds)).toFixed(2));
      line(name, "plan-cpu-median-s", median(results.map((r) => r.cpuSeconds)).toFixed(2));
      line(name, "plan-peak-rss-median-mib", median(results.map((r) => r.maxRssMiB)).toFixed(0));
      if (site.nodes === 100) {
        // Issue 15's targets for a 100-node plan: under 3 s and under 400 MB (MiB x 1.048576), medians.
        const wall = median(results.map((r) => r.wallSeconds));
        const mb = median(results.map((r) => r.maxRssMiB)) * 1.048576;
        line(name, "target-plan-wall-under-3s", wall < 3 ? "pass" : `fail (${wall.toFixed(2)} s)`);
        line(name, "target-plan-rss-under-400mb", mb < 400 ? "pass" : `fail (${mb.toFixed(0)} MB)`);
      }

      const resources = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as GraphResource[];
      const customs = resources.filter((r) => r.custom);
      const ssh = customs.filter((r) => r.type === REMOTE_COMMAND_TYPE);
      line(name, "resources", String(resources.length));
      line(name, "resources-per-node", (resources.length / site.nodes).toFixed(2));
      line(name, "ssh-commands", String(ssh.length));
      line(name, "ssh-commands-per-node", (ssh.length / site.nodes).toFixed(2));
      line(name, "node-bootstrap-commands", String(ssh.filter((r) => nodeOfCommand(r) !== undefined).length));

      const servers = customs.filter((r) => r.type === SERVER_TYPE);
      const byUrn = new Map(customs.map((r) => [r.urn, r]));
      // With the poll settings the program gives the hcloud Provider (src/hetzner/model.ts, HCLOUD_POLL).
      const pollOf = (s: (typeof servers)[number]) => pollSettingsOf(s.provider ? byUrn.get(s.provider)?.inputs : undefined);
      const serverRequests = servers.map((s) => total(serverCreateCalls(serverShapeOf(s), pollOf(s))).requests);
      const siteRequests = customs.reduce((n, r) => n + (FLAT_REQUESTS[r.type] ?? 0), 0);
      if (servers.length > 0) {
        line(name, "hetzner-requests-per-server-max", String(Math.max(...serverRequests)));
        line(name, "hetzner-requests-per-server-min", String(Math.min(...serverRequests)));
        const all = serverRequests.reduce((a, b) => a + b, 0) + siteRequests;
        line(name, "hetzner-requests-total", String(all));
        line(name, "hetzner-requests-per-node", (all / site.nodes).toFixed(1));
        // The project's bucket: 3,600 requests, refilled at one per second.
        line(name, "hetzner-budget-share", `${((all / 3600) * 100).toFixed(0)}%`);
      }

      const model = deployModel(resources);
      line(name, "deploy-ideal-critical-path", formatDuration(model.criticalPathSeconds));
      for (const [p, seconds] of model.makespan) {
        const label = Number.isFinite(p) ? `parallel-${p}` : "parallel-unbounded";
        const ideal = model.idealMakespan.get(p)!;
        line(name, `deploy-${label}`, formatDuration(seconds));
        line(name, `deploy-${label}-ideal-graph`, formatDuration(ideal));
        line(name, `deploy-${label}-ratio-to-ideal-graph`, (seconds / ideal).toFixed(2));
      }
      line(name, "deploy-parallel-within-10pct", String(model.parallelWithin10Percent));
    }
    line("machine", "load-after", loadavg().map((l) => l.toFixed(2)).join(" "));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();
