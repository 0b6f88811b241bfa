/**
 * npm run init -- [options]: writes a starting stack file, Pulumi.<stack>.yaml, for a Hetzner Cloud site or for
 * existing hosts over SSH, from flags or, in a terminal without --kind, from answers to a few questions. It reads the
 * operator's SSH public key, never invents a secret, and prints the commands that store the secrets still needed.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { ConfigError } from "../../src/config/problems";
import { parseSiteConfig } from "../../src/config/load";
import type { HetznerLocation } from "../../src/config/schema";
import { SERVER_TYPES } from "../../src/hetzner/types";
import {
  DEFAULT_LOCATION,
  DEFAULT_SERVER_TYPE,
  DEFAULT_STACKS,
  SCAFFOLD_K3S_VERSION,
  checkCount,
  checkLocation,
  checkStack,
  checkServerType,
  lanOf,
  operatorCidr,
  parseHost,
  parseJumpHost,
  publicKeyLine,
  scaffoldSections,
  scaffoldText,
  secretCommands,
  type Answers,
  type HomeHost,
} from "./scaffold";

const ROOT = join(__dirname, "..", "..");

export const USAGE = `usage: npm run init -- --kind hetzner --stack <name> --operator-cidr <address> [options]
       npm run init -- --kind ssh --stack <name> --host name=<n>,address=<ip>[,user=<u>,role=<r>,arch=<a>]... [options]
       npm run init                    (in a terminal: asks)

Writes Pulumi.<stack>.yaml, a starting stack file, and prints the commands that store its secrets.

  --kind hetzner|ssh          a new Hetzner Cloud site, or existing hosts reached over SSH
  --stack <name>              the stack's name (default: ${DEFAULT_STACKS.hetzner} for hetzner, ${DEFAULT_STACKS.ssh} for ssh; the examples
                              already use prod, home, lan and multisite)
  --dir <dir>                 where to write it (default: this clone); elsewhere, Pulumi.yaml is copied beside it
  --force                     replace an existing stack file
  --ssh-public-key <path>     the operator's public key (default: the first of ~/.ssh/id_ed25519.pub,
                              id_ecdsa.pub, id_rsa.pub); hetzner installs it on the servers
  --k3s-version <version>     default ${SCAFFOLD_K3S_VERSION}
  --email <address>           Let's Encrypt account contact (optional)
 hetzner:
  --location <name>           default ${DEFAULT_LOCATION}
  --operator-cidr <cidr>      your public address, allowed to reach SSH and the Kubernetes API (repeatable)
  --servers <n>               control-plane servers, default 3 (1 for a test site)
  --server-type <type>        default ${DEFAULT_SERVER_TYPE}; orderable today: ${orderable().join(", ")}
  --agents <n>                agents (workers), default 2
  --agent-server-type <type>  default: --server-type
 ssh:
  --host <fields>             name=,address= and optionally privateIp=, user= (root), role= (server for the
                              first host, agent for the others), arch= (amd64), port=, jump=user@host (repeatable)
  --jump-host <user@host>     a bastion every host is reached through (ssh -J)
  --lan-cidr <cidr>           the hosts' LAN (default: the /24 of the first host)
  --lb-pool <cidr>            LAN addresses for LoadBalancer Services, outside your DHCP range (optional)
`;

function orderable(): string[] {
  return SERVER_TYPES.filter((t) => t.status === "orderable").map((t) => t.name);
}

class UsageError extends Error {}

const fail = (message: string): never => {
  throw new UsageError(message);
};

const home = homedir();
const expand = (path: string): string => (path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path);
const tilde = (path: string): string => (path.startsWith(`${home}/`) ? `~/${path.slice(home.length + 1)}` : path);

const DEFAULT_KEYS = ["id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"];

/** The operator's public key line and the matching private key's path, from --ssh-public-key or the defaults. */
function readPublicKey(given: string | undefined, base: string): { key: string; privateKey: string } {
  let path: string;
  if (given !== undefined) {
    path = resolve(base, expand(given));
    if (!existsSync(path)) fail(`--ssh-public-key ${given}: ${path} does not exist: give the path of your .pub file`);
  } else {
    const found = DEFAULT_KEYS.map((k) => join(home, ".ssh", k)).find((p) => existsSync(p));
    if (!found) {
      fail(
        `no public key in ~/.ssh (looked for ${DEFAULT_KEYS.join(", ")}): create one with ssh-keygen -t ed25519, ` +
          "or give --ssh-public-key <path>",
      );
    }
    path = found!;
  }
  const read = publicKeyLine(readFileSync(path, "utf8"), `--ssh-public-key ${given ?? tilde(path)}`);
  if ("error" in read) fail(read.error);
  const privateKey = path.endsWith(".pub") && existsSync(path.slice(0, -4)) ? path.slice(0, -4) : join(home, ".ssh", "id_ed25519");
  return { key: (read as { key: string }).key, privateKey: tilde(privateKey) };
}

export type Flags = ReturnType<typeof parseFlags>;

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      kind: { type: "string" },
      stack: { type: "string" },
      dir: { type: "string" },
      force: { type: "boolean" },
      "ssh-public-key": { type: "string" },
      "k3s-version": { type: "string" },
      email: { type: "string" },
      location: { type: "string" },
      "operator-cidr": { type: "string", multiple: true },
      servers: { type: "string" },
      "server-type": { type: "string" },
      agents: { type: "string" },
      "agent-server-type": { type: "string" },
      host: { type: "string", multiple: true },
      "jump-host": { type: "string" },
      "lan-cidr": { type: "string" },
      "lb-pool": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}

const check = (problem: string | undefined): void => {
  if (problem) fail(problem);
};

/** Answers from flags alone. */
function answersFromFlags(flags: Flags, base: string): { answers: Answers; privateKey: string } {
  const k3sVersion = flags["k3s-version"] ?? SCAFFOLD_K3S_VERSION;
  const email = flags.email ? { email: flags.email } : {};
  if (flags.kind === "hetzner") {
    const location = flags.location ?? DEFAULT_LOCATION;
    check(checkLocation(location));
    const serverType = flags["server-type"] ?? DEFAULT_SERVER_TYPE;
    check(checkServerType(serverType));
    const agentServerType = flags["agent-server-type"] ?? serverType;
    check(checkServerType(agentServerType));
    const servers = flags.servers ?? "3";
    check(checkCount(servers, "--servers", 1));
    const agents = flags.agents ?? "2";
    check(checkCount(agents, "--agents", 0));
    if (!flags["operator-cidr"]?.length) {
      fail("give --operator-cidr <your public address>, e.g. --operator-cidr 203.0.113.7: only it may reach SSH and the Kubernetes API");
    }
    const operatorCidrs = flags["operator-cidr"]!.map((text) => {
      const parsed = operatorCidr(text);
      return "error" in parsed ? fail(`--operator-cidr: ${parsed.error}`) : parsed.cidr;
    });
    const { key, privateKey } = readPublicKey(flags["ssh-public-key"], base);
    return {
      answers: {
        kind: "hetzner",
        stack: flags.stack ?? DEFAULT_STACKS.hetzner,
        location: location as HetznerLocation,
        servers: Number(servers),
        serverType,
        agents: Number(agents),
        agentServerType,
        operatorCidrs,
        sshPublicKey: key,
        k3sVersion,
        ...email,
      },
      privateKey,
    };
  }
  if (flags.kind === "ssh") {
    if (!flags.host?.length) fail("give each host with --host name=<name>,address=<ip>[,user=<user>,role=<role>,arch=<arch>]");
    const jump = flags["jump-host"] ? parseJumpHost(flags["jump-host"]) : undefined;
    if (jump && "error" in jump) fail(`--jump-host: ${jump.error}`);
    const hosts = flags.host!.map((text, i): HomeHost => {
      const host = parseHost(text, i === 0 ? "server" : "agent");
      if ("error" in host) return fail(host.error);
      return !host.jumpHost && jump ? { ...host, jumpHost: jump as HomeHost["jumpHost"] & object } : host;
    });
    const networkCidr = flags["lan-cidr"] ?? lanOf(hosts) ?? fail("give --lan-cidr, the hosts' LAN, e.g. 192.168.1.0/24");
    const privateKey = readPrivateKeyPath(flags["ssh-public-key"], base);
    return {
      answers: {
        kind: "ssh",
        stack: flags.stack ?? DEFAULT_STACKS.ssh,
        networkCidr,
        hosts,
        k3sVersion,
        ...email,
        ...(flags["lb-pool"] ? { loadBalancerPool: flags["lb-pool"] } : {}),
      },
      privateKey,
    };
  }
  return fail(`--kind ${JSON.stringify(flags.kind ?? "")}: expected hetzner (a new cloud site) or ssh (existing hosts)`);
}

/** Home sites do not install a key; the private key that reaches the hosts is what the printed command stores. */
function readPrivateKeyPath(given: string | undefined, base: string): string {
  if (given === undefined && !DEFAULT_KEYS.some((k) => existsSync(join(home, ".ssh", k)))) return "~/.ssh/id_ed25519";
  return readPublicKey(given, base).privateKey;
}

/**
 * Questions on the terminal. Lines are read from the interface's iterator, which buffers them, so that answers
 * pasted ahead of their questions are not lost.
 */
interface Prompter {
  question(text: string): Promise<string>;
  say(text: string): void;
}

function prompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): { rl: ReturnType<typeof createInterface>; prompts: Prompter } {
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  return {
    rl,
    prompts: {
      say: (text) => void output.write(text),
      async question(text) {
        output.write(text);
        const next = await lines.next();
        if (next.done) fail("\nno answer (input ended): nothing written");
        return next.value as string;
      },
    },
  };
}

/** Asks until `accept` takes the answer; an empty answer takes the default. */
async function ask(
  rl: Prompter & { say(text: string): void },
  question: string,
  fallback: string | undefined,
  accept: (a: string) => string | undefined,
): Promise<string> {
  for (;;) {
    const answer = (await rl.question(`${question}${fallback !== undefined ? ` [${fallback}]` : ""}: `)).trim() || fallback || "";
    const problem = answer === "" ? "an answer is needed" : accept(answer);
    if (!problem) return answer;
    rl.say(`  ${problem}\n`);
  }
}

/** The questions, turned into the flags they stand for: one path from there on. */
export async function flagsFromPrompts(
  flags: Flags,
  base: string,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<Flags> {
  const { rl: readline, prompts: rl } = prompter(input, output);
  try {
    const kind = await ask(rl, "Site kind: hetzner (new cloud servers) or ssh (hosts you have)", "hetzner", (a) =>
      a === "hetzner" || a === "ssh" ? undefined : "answer hetzner or ssh",
    );
    const stack = await ask(rl, "Stack name", DEFAULT_STACKS[kind as keyof typeof DEFAULT_STACKS], checkStack);
    const out: Flags = { ...flags, kind, stack };
    if (kind === "hetzner") {
      out.location = await ask(rl, "Location", DEFAULT_LOCATION, checkLocation);
      out.servers = await ask(rl, "Control-plane servers (3 survive losing one)", "3", (a) => checkCount(a, "count", 1));
      out["server-type"] = await ask(rl, `Their server type (orderable: ${orderable().join(", ")})`, DEFAULT_SERVER_TYPE, checkServerType);
      out.agents = await ask(rl, "Agents (workers)", "2", (a) => checkCount(a, "count", 0));
      if (out.agents !== "0") {
        out["agent-server-type"] = await ask(rl, "Their server type", out["server-type"], checkServerType);
      }
      const cidr = await ask(rl, "Your public address, allowed to reach SSH and the API (e.g. what ifconfig.me shows)", undefined, (a) => {
        const parsed = operatorCidr(a);
        return "error" in parsed ? parsed.error : undefined;
      });
      out["operator-cidr"] = [cidr];
    } else {
      const hosts: string[] = [];
      for (let i = 0; ; i++) {
        const name = (await rl.question(`Host ${i + 1} name${i > 0 ? " (empty: no more hosts)" : ""}: `)).trim();
        if (name === "" && i > 0) break;
        if (name === "") continue;
        const address = await ask(rl, "  address SSH reaches it on", undefined, () => undefined);
        const user = await ask(rl, "  SSH user (root, or with passwordless sudo)", "root", () => undefined);
        const role = await ask(rl, "  role: server or agent", i === 0 ? "server" : "agent", (a) =>
          a === "server" || a === "agent" ? undefined : "answer server or agent",
        );
        const arch = await ask(rl, "  arch: amd64 or arm64", "amd64", (a) => (a === "amd64" || a === "arm64" ? undefined : "answer amd64 or arm64"));
        const fields = `name=${name},address=${address},user=${user},role=${role},arch=${arch}`;
        const parsed = parseHost(fields, "agent");
        if ("error" in parsed) {
          const privateIp = await ask(rl, "  its LAN IPv4 address", undefined, () => undefined);
          hosts.push(`${fields},privateIp=${privateIp}`);
        } else hosts.push(fields);
      }
      out.host = hosts;
      const jump = (await rl.question("Jump host every host is reached through, user@host (empty: none): ")).trim();
      if (jump) out["jump-host"] = jump;
    }
    const key = await ask(rl, "SSH public key file", flags["ssh-public-key"] ?? "the first of ~/.ssh/id_ed25519.pub, id_ecdsa.pub, id_rsa.pub", (a) => {
      try {
        const given = a.startsWith("the first of") ? undefined : a;
        if (kind === "ssh") readPrivateKeyPath(given, base);
        else readPublicKey(given, base);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    });
    if (!key.startsWith("the first of")) out["ssh-public-key"] = key;
    return out;
  } finally {
    readline.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // npm runs scripts in the package's folder; paths the user typed are relative to where they typed them.
  const base = process.env.INIT_CWD ?? process.cwd();
  try {
    if (flags.kind === undefined) {
      if (!process.stdin.isTTY) fail("give --kind hetzner or --kind ssh, or run npm run init in a terminal to be asked");
      flags = await flagsFromPrompts(flags, base);
    }
    if (flags.stack !== undefined) check(checkStack(flags.stack));
    const { answers, privateKey } = answersFromFlags(flags, base);
    const dir = flags.dir !== undefined ? resolve(base, expand(flags.dir)) : ROOT;
    const file = join(dir, `Pulumi.${answers.stack}.yaml`);
    if (existsSync(file) && !flags.force) fail(`${file} exists: choose another --stack, or give --force to replace it`);
    // Refuse to write what the program would refuse to plan.
    try {
      parseSiteConfig(scaffoldSections(answers), answers.stack);
    } catch (err) {
      if (err instanceof ConfigError) fail(`nothing written: the program would refuse this stack file (change the flag or answer behind each key)\n${err.message}`);
      throw err;
    }
    mkdirSync(dir, { recursive: true });
    const inClone = resolve(dir) === resolve(ROOT);
    // Editors find the schema for completion: relative inside the clone, absolute elsewhere.
    const schemaFile = join(ROOT, "schema", "stack-config.json");
    const schema = inClone ? relative(dir, schemaFile).replace(/^(?!\.)/, "./") : schemaFile;
    writeFileSync(file, scaffoldText(answers, schema));
    const projectFile = join(dir, "Pulumi.yaml");
    // The plan and pulumi read the project's name from the Pulumi.yaml beside a stack file.
    const copied = !inClone && !existsSync(projectFile);
    if (copied) copyFileSync(join(ROOT, "Pulumi.yaml"), projectFile);
    const planCommand = inClone ? `npm run plan -- --stack ${answers.stack}` : `npm run plan -- --stack-file ${file}`;
    const configFile = inClone ? undefined : file;
    const lines = [
      `wrote ${file}${copied ? ` (and ${projectFile}, the project file the plan reads beside it)` : ""}`,
      "",
      "Next, in this clone:",
      `  1. see what it would create (offline, nothing contacted):  ${planCommand}`,
      `  2. create the stack and store its secrets (never in the file):`,
      `       pulumi stack init ${answers.stack}`,
      ...secretCommands(answers, privateKey, configFile).map((c) => `       ${c}`),
      `  3. deploy:  pulumi up --stack ${answers.stack}${configFile ? ` --config-file ${configFile}` : ""}`,
      "See docs/getting-started.md.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`init failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(3);
    },
  );
}
