/**
 * Preloaded into a benchmarked plan (`node --import tsx --import ./plan/bench/report-usage.ts plan/cli.ts ...`):
 * on exit, writes the process's own peak RSS, CPU time (user and system: steadier than wall time on a loaded
 * machine) and run time to the file named by BENCH_REPORT.
 */
import { writeFileSync } from "node:fs";

const report = process.env.BENCH_REPORT;
if (report) {
  process.on("exit", (code) => {
    const usage = process.resourceUsage();
    const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6; // microseconds
    // maxRSS is in KiB on Linux.
    writeFileSync(report, JSON.stringify({ code, maxRssKiB: usage.maxRSS, cpuSeconds, uptimeSeconds: process.uptime() }));
  });
}
