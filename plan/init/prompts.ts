/**
 * `npm run init` in a terminal without --kind: a few questions, each answer checked as the flag it stands for, so
 * that answers and flags go one path from there on.
 */
import { createInterface } from "node:readline";
import {
  DEFAULT_LOCATION,
  DEFAULT_SERVER_TYPE,
  DEFAULT_STACKS,
  checkCount,
  checkLocation,
  checkServerType,
  checkStack,
  operatorCidr,
  parseHost,
} from "./scaffold";
import { fail, orderable, readPrivateKeyPath, readPublicKey, type Flags } from "./flags";

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
