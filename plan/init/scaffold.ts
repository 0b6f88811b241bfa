/**
 * A starting stack file for a new site, from the answers `npm run init` collected (flags or prompts): plain data in,
 * the file's text and the commands still to run out. It never invents a secret: the secrets are left to
 * `pulumi config set --secret`, printed with the exact commands.
 */
import { stringify } from "yaml";
import { NAMESPACE } from "../../src/config/schema";
import { HETZNER_LOCATIONS, type HetznerLocation } from "../../src/hetzner/schema";
import { SECRETS } from "../../src/config/secrets";
import { SERVER_TYPES, orderableAlternative, serverType } from "../../src/hetzner/types";
import { parseCidr, parseIp } from "../../src/net/cidr";
import type { Arch, Role } from "../../src/config/site";

/** The k3s release a new site starts on: the one the example stacks are planned and tested with. */
export const SCAFFOLD_K3S_VERSION = "v1.36.5+k3s1";

/** The server type a new Hetzner pool gets: the smallest x86 type Hetzner takes orders for (src/hetzner/types.ts). */
export const DEFAULT_SERVER_TYPE = SERVER_TYPES.find((t) => t.status === "orderable" && t.arch === "amd64")!.name;

export const DEFAULT_LOCATION: HetznerLocation = "fsn1";

/** The stack a new site is called unless named: not the name of an example stack (prod, home, lan, multisite). */
export const DEFAULT_STACKS = { hetzner: "cloud", ssh: "homelab" } as const;

export interface HetznerAnswers {
  readonly kind: "hetzner";
  readonly stack: string;
  readonly location: HetznerLocation;
  /** Control-plane servers (etcd): 1, or 3 and more for a cluster that survives losing one. */
  readonly servers: number;
  readonly serverType: string;
  readonly agents: number;
  readonly agentServerType: string;
  readonly operatorCidrs: readonly string[];
  /** The line of the operator's .pub file. */
  readonly sshPublicKey: string;
  readonly k3sVersion: string;
  readonly email?: string;
}

export interface HomeHost {
  readonly name: string;
  readonly address: string;
  readonly privateIp: string;
  readonly user: string;
  readonly role: Role;
  readonly arch: Arch;
  readonly port?: number;
  readonly jumpHost?: { readonly address: string; readonly user: string; readonly port?: number };
}

export interface HomeAnswers {
  readonly kind: "ssh";
  readonly stack: string;
  /** The LAN the hosts share. */
  readonly networkCidr: string;
  readonly hosts: readonly HomeHost[];
  readonly k3sVersion: string;
  readonly email?: string;
  /** LAN addresses Cilium may hand to LoadBalancer Services (nginx takes the first). */
  readonly loadBalancerPool?: string;
}

export type Answers = HetznerAnswers | HomeAnswers;

/** The `k3s-sites:` sections of the new stack file, by section key. */
export function scaffoldSections(answers: Answers): Record<string, unknown> {
  const k3s = { version: answers.k3sVersion };
  const certificates = answers.email ? { certificates: { email: answers.email } } : {};
  if (answers.kind === "hetzner") {
    const pools: Record<string, unknown>[] = [
      { name: "control", role: "server", count: answers.servers, serverType: answers.serverType },
    ];
    if (answers.agents > 0) {
      pools.push({ name: "worker", role: "agent", count: answers.agents, serverType: answers.agentServerType });
    }
    return {
      site: {
        kind: "hetzner",
        location: answers.location,
        operatorCidrs: [...answers.operatorCidrs],
        sshPublicKey: answers.sshPublicKey,
        pools,
      },
      k3s,
      cni: { plugin: "canal" },
      ...certificates,
    };
  }
  return {
    site: {
      kind: "ssh",
      network: { cidr: answers.networkCidr },
      hosts: answers.hosts.map((h) => ({
        name: h.name,
        address: h.address,
        ...(h.port !== undefined && h.port !== 22 ? { port: h.port } : {}),
        privateIp: h.privateIp,
        role: h.role,
        arch: h.arch,
        user: h.user,
        ...(h.jumpHost
          ? {
              jumpHost: {
                address: h.jumpHost.address,
                user: h.jumpHost.user,
                ...(h.jumpHost.port !== undefined && h.jumpHost.port !== 22 ? { port: h.jumpHost.port } : {}),
              },
            }
          : {}),
      })),
    },
    k3s,
    cni: answers.loadBalancerPool
      ? { plugin: "cilium", cilium: { loadBalancerPools: [answers.loadBalancerPool] } }
      : { plugin: "cilium" },
    ...certificates,
  };
}

/** The secrets the new site reads, each with the exact command that stores it. */
export function secretCommands(answers: Answers, privateKeyPath: string, configFile?: string): string[] {
  const file = configFile ? ` --stack ${answers.stack} --config-file ${configFile}` : ` --stack ${answers.stack}`;
  const commands = [`pulumi config set --secret${file} ${SECRETS.sshPrivateKey.key} < ${privateKeyPath}`];
  if (answers.kind === "hetzner") {
    commands.unshift(`pulumi config set --secret${file} ${SECRETS.hcloudToken.key}    # a read/write API token of the Hetzner Cloud project`);
  }
  return commands;
}

/** The stack file's text: a short header, then the config. */
export function scaffoldText(answers: Answers, schemaPath?: string): string {
  const sections = scaffoldSections(answers);
  const config = Object.fromEntries(Object.entries(sections).map(([k, v]) => [`${NAMESPACE}:${k}`, v]));
  const header = [
    ...(schemaPath ? [`# yaml-language-server: $schema=${schemaPath}`, "#"] : []),
    `# Stack ${answers.stack}: ${answers.kind === "hetzner" ? `a Hetzner Cloud site in ${answers.location}` : "existing hosts over SSH"}, written by npm run init.`,
    "# Secrets are not in this file: store them with pulumi config set --secret (npm run init printed the commands).",
    "# Every setting: docs/getting-started.md and the configuration reference in docs/configuration.md.",
  ];
  return `${header.join("\n")}\n${stringify({ config }, { lineWidth: 0 })}`;
}

// Checks of single answers, for flags and prompts alike. Each returns a message naming the value, or undefined.

/** A stack name that is also a file name, Pulumi.<stack>.yaml, in the folder given. */
export function checkStack(text: string): string | undefined {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text)
    ? undefined
    : `stack name ${JSON.stringify(text)}: use lowercase letters, digits and dashes, e.g. cloud or home-lab`;
}

export function checkLocation(text: string): string | undefined {
  if (text in HETZNER_LOCATIONS) return undefined;
  return `location ${JSON.stringify(text)} is not a Hetzner location: choose one of ${Object.keys(HETZNER_LOCATIONS).join(", ")}`;
}

/** A server type a new server can be created with today. */
export function checkServerType(text: string): string | undefined {
  const type = serverType(text);
  const orderable = SERVER_TYPES.filter((t) => t.status === "orderable").map((t) => t.name);
  if (!type) return `server type ${JSON.stringify(text)} is not one k3s-sites knows: choose one of ${orderable.join(", ")}`;
  if (type.status === "orderable") return undefined;
  const instead = orderableAlternative(type.name, type.arch);
  return (
    `server type ${type.name} cannot be ordered today (${type.status}): ` +
    (instead ? `use ${instead.name} (${instead.cores} vCPU, ${instead.memory} GB)` : `choose one of ${orderable.join(", ")}`)
  );
}

export function checkCount(text: string, what: string, min: number): string | undefined {
  return /^\d+$/.test(text) && Number(text) >= min && Number(text) <= 250
    ? undefined
    : `${what} ${JSON.stringify(text)} is not a number from ${min} to 250`;
}

/** An operator's address as a CIDR: a bare address becomes a /32 (IPv4) or /128 (IPv6). */
export function operatorCidr(text: string): { cidr: string } | { error: string } {
  const trimmed = text.trim();
  const ip = parseIp(trimmed);
  if (ip) return { cidr: `${trimmed}/${ip.version === 4 ? 32 : 128}` };
  if (trimmed.includes("/") && parseCidr(trimmed)) return { cidr: trimmed };
  return {
    error:
      `operator address ${JSON.stringify(text)} is neither an IP address nor a CIDR: give the public address you ` +
      "connect from, e.g. 203.0.113.7 or 203.0.113.0/24",
  };
}

const HOST_KEYS = ["name", "address", "privateIp", "user", "role", "arch", "port", "jump"] as const;

/** `user@host[:port]`, as ssh -J takes it. */
export function parseJumpHost(text: string): HomeHost["jumpHost"] | { error: string } {
  const match = /^(?:([a-z_][a-z0-9_-]{0,31})@)?([^@:\s]+)(?::(\d+))?$/.exec(text.trim());
  if (!match) return { error: `jump host ${JSON.stringify(text)} is not of the form user@host or user@host:port, e.g. admin@nuc.lan` };
  return { address: match[2]!, user: match[1] ?? "root", ...(match[3] ? { port: Number(match[3]) } : {}) };
}

/**
 * One `--host` flag: `name=nuc,address=192.168.1.10,user=admin,role=server,arch=amd64` (privateIp defaults to an
 * IPv4 address, user to root, role to `defaultRole`, arch to amd64; jump=user@host for a bastion).
 */
export function parseHost(text: string, defaultRole: Role): HomeHost | { error: string } {
  const fields: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    if (eq < 0 || !(HOST_KEYS as readonly string[]).includes(key)) {
      return {
        error:
          `--host ${JSON.stringify(text)}: ${JSON.stringify(part)} is not one of ${HOST_KEYS.map((k) => `${k}=`).join(", ")}; ` +
          "e.g. --host name=nuc,address=192.168.1.10,user=admin,role=server,arch=amd64",
      };
    }
    fields[key] = part.slice(eq + 1).trim();
  }
  const { name, address } = fields;
  if (!name || !address) return { error: `--host ${JSON.stringify(text)}: give at least name= and address=` };
  const privateIp = fields.privateIp ?? (parseIp(address)?.version === 4 ? address : undefined);
  if (!privateIp) {
    return { error: `--host ${JSON.stringify(text)}: address ${address} is not an IPv4 address: add privateIp=<the host's LAN IPv4>` };
  }
  const role = fields.role ?? defaultRole;
  if (role !== "server" && role !== "agent") return { error: `--host ${JSON.stringify(text)}: role ${role} is neither server nor agent` };
  const arch = fields.arch ?? "amd64";
  if (arch !== "amd64" && arch !== "arm64") return { error: `--host ${JSON.stringify(text)}: arch ${arch} is neither amd64 nor arm64` };
  let jumpHost: HomeHost["jumpHost"];
  if (fields.jump) {
    const parsed = parseJumpHost(fields.jump);
    if (parsed && "error" in parsed) return parsed;
    jumpHost = parsed;
  }
  return {
    name,
    address,
    privateIp,
    user: fields.user ?? "root",
    role,
    arch,
    ...(fields.port ? { port: Number(fields.port) } : {}),
    ...(jumpHost ? { jumpHost } : {}),
  };
}

/** The /24 around the first host's address, for a LAN nobody named. */
export function lanOf(hosts: readonly HomeHost[]): string | undefined {
  const first = hosts[0]?.privateIp;
  const match = first ? /^(\d+\.\d+\.\d+)\.\d+$/.exec(first) : null;
  return match ? `${match[1]}.0/24` : undefined;
}

const KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/**
 * The public key line of a .pub file's text, or what is wrong with it. `source` names where it came from (the path
 * received). A private key is refused without showing it.
 */
export function publicKeyLine(text: string, source: string): { key: string } | { error: string } {
  if (/PRIVATE KEY/.test(text)) {
    return { error: `${source} is a private key: give the public key, the .pub file beside it (e.g. ~/.ssh/id_ed25519.pub)` };
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#")) ?? "";
  const [type = "", body = ""] = line.split(/\s+/);
  if (KEY_TYPES.test(type) && /^[A-Za-z0-9+/]+={0,3}$/.test(body)) return { key: line };
  if (/^AAAA[A-Za-z0-9+/]+={0,3}$/.test(type)) {
    return {
      error:
        `${source} holds "${type.slice(0, 16)}...", which lacks its key type: the line must start with it, e.g. ` +
        "ssh-ed25519 AAAAC3... you@laptop, as ssh-keygen writes it",
    };
  }
  return {
    // Not echoed: what lands in the wrong file may be a secret.
    error: `${source} does not hold an OpenSSH public key: expected a line such as ssh-ed25519 AAAAC3... you@laptop`,
  };
}
