import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError, formatProblem } from "../src/config/problems";
import { parseSiteConfig } from "../src/config/load";
import { NAMESPACE } from "../src/config/schema";
import type { SiteConfig } from "../src/config/site";

export const ROOT = join(__dirname, "..");

type Raw = Record<string, any>;

/** Parsed stack files by path and text: the examples are read by some 150 tests, each of which may edit its copy. */
const parsedStackFiles = new Map<string, { text: string; doc: { config: Raw } }>();

/** The `k3s-sites:` sections of a stack file, keyed by section: a copy of its own for each caller. */
export function sectionsOf(stackFile: string): Raw {
  const text = readFileSync(stackFile, "utf8");
  let parsed = parsedStackFiles.get(stackFile);
  if (parsed?.text !== text) {
    parsed = { text, doc: parse(text) as { config: Raw } };
    parsedStackFiles.set(stackFile, parsed);
  }
  const raw: Raw = {};
  for (const [key, value] of Object.entries(parsed.doc.config)) {
    if (key.startsWith(`${NAMESPACE}:`)) raw[key.slice(NAMESPACE.length + 1)] = structuredClone(value);
  }
  return raw;
}

export function exampleSections(stack: "prod" | "home" | "lan" | "multisite"): Raw {
  return sectionsOf(join(ROOT, `Pulumi.${stack}.yaml`));
}

/** The names the Cilium ingress test site's Gateway serves over HTTPS (homeCiliumIngressSections). */
export const CILIUM_INGRESS_HOSTS = ["app.example.com", "*.apps.example.com"] as const;

/**
 * The home example with Cilium's ingress and Gateway API as its controller (ingress.controller: cilium), isolated
 * namespaces and an app behind the ingress: a test-only site. The home example itself keeps nginx, the one example
 * that plans nginx behind Cilium's LB-IPAM with its announcement, log and stand-in checks (the Cilium ingress has
 * no pods of its own for the last two).
 */
export function homeCiliumIngressSections(): Raw {
  return {
    ...exampleSections("home"),
    ingress: { controller: "cilium", cilium: { hosts: [...CILIUM_INGRESS_HOSTS] } },
    networkPolicies: {
      defaultDeny: true,
      apps: [
        { name: "website", namespace: "web", ports: [{ port: 8080, name: "http" }], from: [{ ingress: true }], to: [{ dns: true }] },
      ],
    },
  };
}

/** A small valid Hetzner site to break in one place per test. */
export function hetznerSections(): Raw {
  return {
    site: {
      kind: "hetzner",
      location: "fsn1",
      // An IPv6 prefix too: with site.publicIpv4 false, SSH reaches the nodes over IPv6 only.
      operatorCidrs: ["203.0.113.7/32", "2001:db8:1234::/48"],
      sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1Rh0sK8m3xq0pYb7vYk5Vq2gS0fN8cQe4tTnYc0kLm test",
      pools: [
        { name: "control", role: "server", count: 3, serverType: "cpx22" },
        { name: "worker", role: "agent", count: 2, serverType: "cpx32" },
      ],
    },
    k3s: { version: "v1.33.5+k3s1" },
    certificates: { email: "ops@example.com" },
  };
}

/** A small valid home site. */
export function sshSections(): Raw {
  return {
    site: {
      kind: "ssh",
      network: { cidr: "192.168.1.0/24" },
      hosts: [
        { name: "nuc", address: "192.168.1.10", privateIp: "192.168.1.10", role: "server", arch: "amd64" },
        { name: "pi", address: "192.168.1.21", privateIp: "192.168.1.21", role: "agent", arch: "arm64" },
      ],
    },
    k3s: { version: "v1.33.5+k3s1" },
    certificates: { email: "me@example.com" },
  };
}

export function parse1(raw: Raw): SiteConfig {
  return parseSiteConfig(raw);
}

/** The problem lines a config is refused with ([] when it is accepted). */
export function problemsOf(raw: Raw): string[] {
  try {
    parseSiteConfig(raw);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Declared apps: a website and its database in one namespace, a mail server behind the load balancer in another. */
export function declaredApps(): Raw[] {
  return [
    {
      name: "website",
      namespace: "web",
      ports: [{ port: 8080, name: "http" }],
      from: [{ nginx: true }],
      to: [{ dns: true }, { app: "postgres" }],
    },
    { name: "postgres", namespace: "web", ports: [{ port: 5432 }], from: [{ app: "website" }] },
    {
      name: "mail",
      namespace: "mail",
      ports: [{ port: 25 }, { port: 993 }],
      from: [{ loadBalancer: true }],
      to: [{ dns: true }, { cidr: "198.51.100.25/32", ports: [{ port: 587 }] }],
    },
  ];
}
