/**
 * Preloaded into a benchmarked plan (`node --import tsx --import ./plan/bench/report-usage.ts plan/cli.ts ...`):
 * on exit, writes the process's own peak RSS and run time to the file named by BENCH_REPORT.
 */
import { writeFileSync } from "node:fs";

const report = process.env.BENCH_REPORT;
if (report) {
  process.on("exit", (code) => {
    const maxRssKiB = process.resourceUsage().maxRSS; // KiB on Linux
    writeFileSync(report, JSON.stringify({ code, maxRssKiB, uptimeSeconds: process.uptime() }));
  });
}
