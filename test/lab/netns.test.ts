import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LAB_PREFIX, Lab, labSkip, payloadForMtu, sweepStale } from "./netns";

const namespaces = () => (spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "").split("\n").map((l) => l.split(" ")[0]!);

describe("the lab harness", () => {
  it("says why it skips, or that it can run", () => {
    const why = labSkip({ frr: true, bird: true, ping: true });
    assert.ok(why === false || /^lab: /.test(why), String(why));
  });

  it("payload sizes make packets of the MTU", () => {
    assert.equal(payloadForMtu(1420, 4), 1392);
    assert.equal(payloadForMtu(1420, 6), 1372);
  });

  it("a switch, two namespaces, a BGP session FRR to BIRD with a password; everything gone after destroy", { skip: labSkip({ frr: true, bird: true }), timeout: 60_000 }, async () => {
    const lab = new Lab();
    let dir = "";
    try {
      lab.addNamespace("a", { forwarding: true });
      lab.addNamespace("b");
      lab.addSwitch("sw");
      lab.plug("sw", { ns: "a", ifname: "eth0", addresses: ["10.9.0.1/24", "fd09::1/64"] });
      lab.plug("sw", { ns: "b", ifname: "eth0", addresses: ["10.9.0.2/24", "fd09::2/64"] });
      lab.addLoopback("b", ["10.99.0.1", "fd99::1"]);
      const frr = lab.startFrr("a", "router bgp 65001\n bgp router-id 10.9.0.1\n no bgp ebgp-requires-policy\n neighbor 10.9.0.2 remote-as 65002\n neighbor 10.9.0.2 password s3cret\nexit\n");
      dir = frr.dir;
      const bird = lab.startBird(
        "b",
        'router id 10.9.0.2;\nprotocol device {}\nprotocol static { ipv4; route 10.99.0.0/24 blackhole; }\nprotocol bgp a { local as 65002; neighbor 10.9.0.1 as 65001; password "s3cret"; connect retry time 1; ipv4 { import all; export all; }; }\n',
      );
      await lab.waitEstablished([frr, bird], { timeoutMs: 20_000 });
      await lab.waitRoutes("a", 4, (routes) => routes.some((r) => r.dst === "10.99.0.0/24" && r.gateway === "10.9.0.2"));
      // Stopping BIRD ends the session: FRR no longer reports it Established.
      lab.stop(bird);
      const until = Date.now() + 10_000;
      while (lab.bgpSessions(frr).some((s) => s.established) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      assert.equal(lab.bgpSessions(frr).some((s) => s.established), false);
    } finally {
      lab.destroy();
    }
    assert.deepEqual(namespaces().filter((n) => n.startsWith(lab.prefix)), []);
    assert.equal(existsSync(dir), false);
  });

  it("a run killed outright leaves namespaces that the next run sweeps", { skip: labSkip(), timeout: 60_000 }, async () => {
    // A child makes a namespace under its own pid, then dies by SIGKILL (no exit hook runs).
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const stale = `${LAB_PREFIX}${child.pid}-0-x`;
    spawnSync("ip", ["netns", "add", stale]);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    assert.ok(sweepStale().includes(stale));
    assert.equal(namespaces().includes(stale), false);
  });

  it("every lab test is bounded to 60 s (hooks too: a suite's timeout does not bound them) and skips without each tool it calls", () => {
    const dir = __dirname;
    const problems: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".test.ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      // Each options object that can skip a test or a suite (it opens with skip), braces balanced.
      for (const m of text.matchAll(/\{ skip\b/g)) {
        let depth = 0;
        let end = m.index;
        for (; end < text.length; end++) {
          if (text[end] === "{") depth++;
          if (text[end] === "}" && --depth === 0) break;
        }
        const options = text.slice(m.index, end + 1);
        if (!/\btimeout: 60_000\b/.test(options)) problems.push(`${file}: ${options} has no timeout: 60_000`);
      }
      // A hook that builds a lab carries its own bound.
      for (const m of text.matchAll(/\bbefore\(async \(\) => \{[\s\S]*?\n {2}\}(.*)\n/g)) {
        if (m[0].includes("new Lab(") && !/^, \{ timeout: 60_000 \}\);/.test(m[1]!)) problems.push(`${file}: a before hook that builds a lab has no timeout: 60_000`);
      }
      // A file that pings skips without ping.
      if (/\.ping\(/.test(text)) {
        for (const m of text.matchAll(/labSkip\(([^)]*)\)/g)) {
          if (!/\bping: true\b/.test(m[1]!)) problems.push(`${file}: pings, but labSkip(${m[1]}) does not ask for ping`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
