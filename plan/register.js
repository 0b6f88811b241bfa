/**
 * The TypeScript loader of `npm run plan` and `npm run bench`: `node --require ./plan/register.js plan/cli.ts`.
 *
 * The plan is CommonJS through and through (package.json has no "type", every dependency it loads ships CommonJS),
 * so it needs only `.ts` compiled. tsx (tests, scripts) also passes each `.js` file it loads from node_modules
 * (about 500) through its ES-module lexer and wraps module resolution: a fifth of a 100-node plan's CPU time and
 * 70 MB. Here each `.ts` file is compiled by esbuild, the compiler tsx uses, with the project's tsconfig.json, and
 * Node loads the rest itself. A plain JavaScript file, since it is what loads TypeScript.
 *
 * Compiled files are kept in the user's cache folder beside the plan's helm (plan/charts/helm.ts), one file per
 * source file (so the folder never grows beyond the project's files), and reused while the source, esbuild's
 * version and the options are the same. PLAN_STACK_TRACES=1 compiles with source maps, as tsx does, for stacks
 * that point into the TypeScript.
 */
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { homedir } = require("node:os");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const sourceMaps = Boolean(process.env.PLAN_STACK_TRACES);
const esbuildVersion = require("esbuild/package.json").version;
const tsconfigRaw = readFileSync(join(ROOT, "tsconfig.json"), "utf8");
const options = {
  loader: "ts",
  format: "cjs",
  target: `node${process.versions.node}`,
  tsconfigRaw,
  ...(sourceMaps ? { sourcemap: "inline", sourcesContent: false } : {}),
};
const optionsDigest = createHash("sha256").update(JSON.stringify([esbuildVersion, options])).digest("hex");
const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "k3s-sites", "plan-ts");
let esbuild;

function compiled(filename) {
  const source = readFileSync(filename, "utf8");
  const digest = createHash("sha256").update(optionsDigest).update("\0").update(source).digest("hex");
  const entry = join(cacheDir, `${createHash("sha256").update(filename).digest("hex").slice(0, 32)}.js`);
  try {
    const cached = readFileSync(entry, "utf8");
    // The first line is `//<digest>`: the source and options it was compiled from.
    if (cached.startsWith(`//${digest}\n`)) return cached.slice(digest.length + 3);
  } catch {
    // not compiled yet
  }
  esbuild ??= require("esbuild");
  const { code } = esbuild.transformSync(source, { ...options, sourcefile: filename });
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    // Written beside the entry and renamed: a plan running at the same time reads the old entry or the new one.
    const partial = `${entry}.${process.pid}.partial`;
    writeFileSync(partial, `//${digest}\n${code}`, { mode: 0o600 });
    renameSync(partial, entry);
  } catch {
    // a read-only temporary directory: compile again next time
  }
  return code;
}

Module._extensions[".ts"] = function compileTypeScript(module, filename) {
  module._compile(compiled(filename), filename);
};
if (sourceMaps) process.setSourceMapsEnabled(true);
