/**
 * The scenarios of docs/day2.md, "What each kind of change does": one change each to the prod example, planned against the example's
 * own plan. scenarios.test.ts asserts what each does; scenarios.test.ts keeps the docs/day2.md table in step.
 */
import { edited, exampleConfig, type StackConfig } from "./harness";

export interface Scenario {
  /** The change, as the docs/day2.md table's first column says it. */
  readonly change: string;
  /**
   * Which previous deployment it starts from: the prod example, prod on the older pinned Calico, or prod on the k3s
   * release the examples pinned before the 1.36 line (OLD_K3S).
   */
  readonly base: "prod" | "prod-calico-v3.31.7" | "prod-k3s-v1.33.5" | "prod-control-5" | "prod-control-5-unprotected";
  readonly config: () => StackConfig;
}

const SITE = "k3s-sites:site";
type Pool = { name: string; role: string; count: number; serverType: string };
const pools = (c: StackConfig) => c[SITE].pools as Pool[];
const pool = (c: StackConfig, name: string) => pools(c).find((p) => p.name === name) as Pool;
const prod = (edit: (c: StackConfig) => void) => () => edited(exampleConfig("prod"), edit);
const STORAGE = "k3s-sites:storage";
type Volume = { name: string; namespace: string; sizeGb: number };
const volumes = (c: StackConfig) => c[STORAGE].volumes as Volume[];

export const OLD_CALICO = "v3.31.7";
/**
 * A k3s release of Kubernetes 1.35, the newest minor the previous CNI pins (Calico 3.31, Cilium 1.19) are tested with:
 * the CNI upgrades from them run on it.
 */
export const PREVIOUS_MINOR_K3S = "v1.35.9+k3s1";
/** The k3s release the examples pinned until issue 26: the old pin the upgrade scenarios start from. */
export const OLD_K3S = "v1.33.5+k3s1";
/** One minor up from OLD_K3S. */
export const NEW_K3S = "v1.34.1+k3s1";
export const NEW_PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk7mVq0pXr3n2Lw9sT5uYb8cD1eF4gH6jK0lM2nO3pQ operator@new-laptop";

export function baseConfig(base: Scenario["base"]): StackConfig {
  switch (base) {
    case "prod":
      return exampleConfig("prod");
    case "prod-k3s-v1.33.5":
      return edited(exampleConfig("prod"), (c) => (c["k3s-sites:k3s"].version = OLD_K3S));
    case "prod-calico-v3.31.7":
      // On Kubernetes 1.35, the newest minor Calico 3.31 is tested with (src/k3s/kubernetes-support.ts).
      return edited(exampleConfig("prod"), (c) => {
        c["k3s-sites:k3s"].version = PREVIOUS_MINOR_K3S;
        c["k3s-sites:cni"] = { plugin: "canal", canal: { version: OLD_CALICO } };
      });
    case "prod-control-5":
      return edited(exampleConfig("prod"), (c) => (pool(c, "control").count = 5));
    case "prod-control-5-unprotected":
      return edited(exampleConfig("prod"), (c) => {
        pool(c, "control").count = 5;
        c[SITE].protect = false;
      });
  }
}

export const SCENARIOS = {
  k3sMinorUpgrade: {
    change: `k3s.version ${OLD_K3S} -> ${NEW_K3S}`,
    base: "prod-k3s-v1.33.5",
    config: prod((c) => (c["k3s-sites:k3s"].version = NEW_K3S)),
  },
  cniVersionBump: {
    change: `cni.canal.version ${OLD_CALICO} -> v3.32.1`,
    base: "prod-calico-v3.31.7",
    config: prod((c) => {
      c["k3s-sites:k3s"].version = PREVIOUS_MINOR_K3S;
      c["k3s-sites:cni"] = { plugin: "canal", canal: { version: "v3.32.1" } };
    }),
  },
  addAgent: {
    change: "pool worker (agent): count 2 -> 3",
    base: "prod",
    config: prod((c) => (pool(c, "worker").count = 3)),
  },
  addServers: {
    change: "pool control (server): count 3 -> 5",
    base: "prod",
    config: prod((c) => (pool(c, "control").count = 5)),
  },
  serverPoolAboveControl: {
    change: "a server pool `lead` (count 2) listed above `control`",
    base: "prod",
    config: prod((c) => pools(c).unshift({ name: "lead", role: "server", count: 2, serverType: "cpx22" })),
  },
  removeLastAgent: {
    change: "pool worker (agent): count 2 -> 1",
    base: "prod",
    config: prod((c) => (pool(c, "worker").count = 1)),
  },
  removeServer: {
    change: "pool control (server): count 3 -> 2",
    base: "prod",
    config: prod((c) => (pool(c, "control").count = 2)),
  },
  removeTwoServers: {
    change: "pool control (server): count 5 -> 3",
    base: "prod-control-5",
    config: prod(() => undefined),
  },
  unprotectServers: {
    change: "site.protect true -> false (pool control: 5 servers, before removing two)",
    base: "prod-control-5",
    config: prod((c) => {
      pool(c, "control").count = 5;
      c[SITE].protect = false;
    }),
  },
  removeTwoUnprotectedServers: {
    change: "pool control (server): count 5 -> 3, after a run with site.protect: false",
    base: "prod-control-5-unprotected",
    // site.protect is back to its default (true): the servers that leave keep the protection their state records.
    config: prod(() => undefined),
  },
  removeFourServers: {
    change: "pool control (server): count 5 -> 1",
    base: "prod-control-5",
    config: prod((c) => (pool(c, "control").count = 1)),
  },
  renamePool: {
    change: "pool worker renamed to agents",
    base: "prod",
    config: prod((c) => (pool(c, "worker").name = "agents")),
  },
  rotateSshKey: {
    change: "site.sshPublicKey and k3s-sites:sshPrivateKey rotated",
    base: "prod",
    config: prod((c) => {
      c[SITE].sshPublicKey = NEW_PUBLIC_KEY;
      // Set as Pulumi writes it with `pulumi config set --secret`: a plain value would be refused.
      c["k3s-sites:sshPrivateKey"] = { secure: "v1:the-new-key-encrypted" };
    }),
  },
  loadBalancerServices: {
    change: "site.loadBalancer.services: imaps (993) removed, pop3s (995) added, smtp 25 -> 2525",
    base: "prod",
    config: prod((c) => {
      const services = c[SITE].loadBalancer.services as { name: string; listenPort: number }[];
      c[SITE].loadBalancer.services = [
        ...services.filter((s) => s.name !== "imaps").map((s) => (s.name === "smtp" ? { ...s, listenPort: 2525 } : s)),
        { name: "pop3s", listenPort: 995 },
      ];
    }),
  },
  publicIpv4Off: {
    change: "site.publicIpv4 true -> false (with site.network.natGateway)",
    base: "prod",
    config: prod((c) => {
      c[SITE].publicIpv4 = false;
      c[SITE].network = { ...(c[SITE].network ?? {}), natGateway: "10.0.0.2" };
    }),
  },
  operatorCidrs: {
    change: "site.operatorCidrs: one more address",
    base: "prod",
    config: prod((c) => (c[SITE].operatorCidrs = [...c[SITE].operatorCidrs, "198.51.100.77/32"])),
  },
  serverTypeResize: {
    change: "pool control (server): serverType cpx22 -> cpx32",
    base: "prod",
    config: prod((c) => (pool(c, "control").serverType = "cpx32")),
  },
  // What they do is asserted in ingress-switch.test.ts; here they keep their docs/day2.md rows in step.
  ingressSwitch: {
    change: "ingress.controller nginx -> traefik",
    base: "prod",
    config: prod((c) => (c["k3s-sites:ingress"] = { controller: "traefik" })),
  },
  addVolume: {
    change: "storage.volumes: one more (uploads, 10 GB)",
    base: "prod",
    config: prod((c) => (c[STORAGE].volumes = [...volumes(c), { name: "uploads", namespace: "web", sizeGb: 10 }])),
  },
  growVolume: {
    change: "storage.volumes: postgres-data 20 -> 40 GB",
    base: "prod",
    config: prod((c) => (c[STORAGE].volumes = volumes(c).map((v) => (v.name === "postgres-data" ? { ...v, sizeGb: 40 } : v)))),
  },
} satisfies Record<string, Scenario>;

export type ScenarioId = keyof typeof SCENARIOS;
