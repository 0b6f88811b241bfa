/**
 * `npm run init`'s flags: their usage text, and the answers they give, each checked with the message the user acts
 * on. A UsageError is the user's mistake (exit 2); anything else is the program's.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { HetznerLocation } from "../../src/hetzner/schema";
import { SERVER_TYPES } from "../../src/hetzner/types";
import {
  DEFAULT_LOCATION,
  DEFAULT_SERVER_TYPE,
  DEFAULT_STACKS,
  SCAFFOLD_K3S_VERSION,
  checkCount,
  checkLocation,
  checkServerType,
  lanOf,
  operatorCidr,
  parseHost,
  parseJumpHost,
  publicKeyLine,
  type Answers,
  type HomeHost,
} from "./scaffold";

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

export function orderable(): string[] {
  return SERVER_TYPES.filter((t) => t.status === "orderable").map((t) => t.name);
}

export class UsageError extends Error {}

export const fail = (message: string): never => {
  throw new UsageError(message);
};

const home = homedir();
export const expand = (path: string): string => (path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path);
export const tilde = (path: string): string => (path.startsWith(`${home}/`) ? `~/${path.slice(home.length + 1)}` : path);

export const DEFAULT_KEYS = ["id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"];

/** The operator's public key line and the matching private key's path, from --ssh-public-key or the defaults. */
export function readPublicKey(given: string | undefined, base: string): { key: string; privateKey: string } {
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
  if ("error" in read) return fail(read.error);
  const privateKey = path.endsWith(".pub") && existsSync(path.slice(0, -4)) ? path.slice(0, -4) : join(home, ".ssh", "id_ed25519");
  return { key: read.key, privateKey: tilde(privateKey) };
}

export type Flags = ReturnType<typeof parseFlags>;

export function parseFlags(argv: string[]) {
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

export const check = (problem: string | undefined): void => {
  if (problem) fail(problem);
};

/** Answers from flags alone. */
export function answersFromFlags(flags: Flags, base: string): { answers: Answers; privateKey: string } {
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
export function readPrivateKeyPath(given: string | undefined, base: string): string {
  if (given === undefined && !DEFAULT_KEYS.some((k) => existsSync(join(home, ".ssh", k)))) return "~/.ssh/id_ed25519";
  return readPublicKey(given, base).privateKey;
}
