/**
 * The secrets a site reads that its stack file does not hold yet, each with the command that stores it. The offline
 * engine hands the program a placeholder `<secret:<key>>` for every secret (plan/engine.ts), so a secret the site
 * reads is one whose placeholder reaches a resource's inputs; the stack file holds it when it has `secure:` there.
 */
import { parse } from "yaml";
import type { ProgramRun } from "../engine";
import { SECRETS } from "../../src/config/secrets";

/** The secret keys whose placeholder reaches a resource (the secrets `pulumi up` would read), in SECRETS' order. */
export function secretsRead(run: ProgramRun): string[] {
  const text = JSON.stringify(run.resources.map((r) => r.rawInputs));
  return Object.values(SECRETS)
    .map((s) => s.key)
    .filter((key) => text.includes(`<secret:${key}>`));
}

/** The keys a stack file's text stores encrypted (`key: { secure: ... }`). */
export function secretsStored(stackFileText: string): string[] {
  const doc = parse(stackFileText) as { config?: Record<string, unknown> } | null;
  return Object.entries(doc?.config ?? {})
    .filter(([, v]) => v !== null && typeof v === "object" && "secure" in v)
    .map(([k]) => k);
}

/** What to pipe in, where a file holds the secret. */
const INPUT: Readonly<Record<string, string>> = {
  [SECRETS.sshPrivateKey.key]: " < ~/.ssh/id_ed25519",
};

/** The exact command that stores a secret (Pulumi prompts for the value unless it comes from a file). */
export function setSecretCommand(key: string, stack: string): string {
  return `pulumi config set --secret ${key} --stack ${stack}${INPUT[key] ?? ""}`;
}

export function unsetSecretLines(run: ProgramRun, stackFileText: string | undefined): string[] {
  if (stackFileText === undefined) return [];
  const stored = new Set(secretsStored(stackFileText));
  const unset = secretsRead(run).filter((k) => !stored.has(k));
  if (unset.length === 0) return ["secrets: every secret the site reads is set"];
  return [
    `secrets still unset (${unset.length}; pulumi up stops without them, and the stack file keeps them encrypted):`,
    ...unset.map((k) => `  ${setSecretCommand(k, run.stack)}`),
  ];
}
