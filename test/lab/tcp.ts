/** TCP in lab namespaces, with the running node binary: a server that tells each client its address, and a client. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import type { Lab } from "./netns";

/** A TCP server in a namespace that answers each connection with the address it came from, then closes. */
export function serve(lab: Lab, ns: string, port: number): Promise<ChildProcess> {
  const script = `require("net").createServer((s) => s.end(s.remoteAddress + "\\n")).listen(${port}, "0.0.0.0", () => console.log("up"))`;
  const child = spawn("ip", ["netns", "exec", lab.netns(ns), process.execPath, "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`lab: server in ${ns} exited ${code}`)));
  });
}

/** One TCP connection from a namespace (optionally from a given source address); what the server answered, or undefined. */
export function connect(lab: Lab, ns: string, host: string, port: number, localAddress?: string): string | undefined {
  const options = JSON.stringify({ host, port, ...(localAddress ? { localAddress } : {}) });
  const script = `const s = require("net").connect(${options}); let d = ""; s.on("data", (c) => (d += c)); s.on("end", () => { process.stdout.write(d); process.exit(0); }); s.on("error", () => process.exit(1)); setTimeout(() => process.exit(2), 3000);`;
  const out = spawnSync("ip", ["netns", "exec", lab.netns(ns), process.execPath, "-e", script], { encoding: "utf8" });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

