/**
 * Hetzner's load-balancer and server types, as data: what each can hold and whether it can be ordered. Every row
 * names where it was read (see upstream/SOURCES.md, section "hetzner", for files, tags and the date read); the
 * limits in src/hetzner/limits.ts refuse a site that does not fit before anything is created.
 */
import type { Arch } from "../config/fields";

export interface LoadBalancerType {
  readonly name: string;
  /** Services (listen ports) one load balancer of this type may have. */
  readonly services: number;
  /** Targets one load balancer of this type may have; a label-selector target counts every server it matches. */
  readonly targets: number;
  /** false when the figures were not found in Hetzner's own data (see source). */
  readonly verified: boolean;
  readonly source: string;
}

/** In order of size, so that "a type that fits" is the smallest one that does. */
export const LOAD_BALANCER_TYPES: readonly LoadBalancerType[] = [
  {
    name: "lb11",
    services: 5,
    targets: 25,
    verified: true,
    source:
      "hetznercloud/terraform-provider-hcloud v1.68.0 internal/loadbalancertype/data_source_test.go (acceptance test " +
      "against the live API); hetznercloud/hcloud-python v2.23.0 tests/unit/load_balancer_types/conftest.py",
  },
  {
    name: "lb21",
    services: 15,
    targets: 75,
    verified: true,
    source: "hetznercloud/hcloud-python v2.23.0 tests/unit/load_balancer_types/conftest.py",
  },
  {
    name: "lb31",
    services: 30,
    targets: 150,
    verified: false,
    source: "Hetzner's product page as commonly quoted; not found in the SDK fixtures or provider tests read",
  },
];

/**
 * Whether Hetzner takes new orders of a server type:
 * - `orderable`: shown as orderable, or used by Hetzner's own acceptance tests against the live API;
 * - `not-orderable`: hetzner.com marks it "not available" for new orders; servers that exist keep running, and the
 *   API does not list it as deprecated;
 * - `retired`: replaced by a newer name; new servers of it cannot be created.
 */
export type OrderStatus = "orderable" | "not-orderable" | "retired";

export interface ServerType {
  readonly name: string;
  readonly arch: Arch;
  readonly cores: number;
  /** GB */
  readonly memory: number;
  readonly status: OrderStatus;
  /** What happened to a type that cannot be ordered, in the user's words, e.g. "renamed cx23 in June 2026". */
  readonly note?: string;
  /** Where the row was read: for code comments and upstream/SOURCES.md, never for messages. */
  readonly source: string;
}

const TF_ACCEPTANCE =
  "hetznercloud/terraform-provider-hcloud v1.68.0 internal/servertype/data_source_test.go and internal/teste2e/testing.go";
const HETZNER_COM_2026_09 = "hetzner.com plan pages read 2026-09-03/04 (robhunter/agentdeals#1286, #1323)";

export const SERVER_TYPES: readonly ServerType[] = [
  { name: "cpx22", arch: "amd64", cores: 2, memory: 4, status: "orderable", source: TF_ACCEPTANCE },
  { name: "cpx32", arch: "amd64", cores: 4, memory: 8, status: "orderable", source: `terraform-provider-hcloud v1.66.1 internal/teste2e/testing.go (the acceptance tests' resize target); ${HETZNER_COM_2026_09}` },
  { name: "cx23", arch: "amd64", cores: 2, memory: 4, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cx33", arch: "amd64", cores: 4, memory: 8, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cx43", arch: "amd64", cores: 8, memory: 16, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cx53", arch: "amd64", cores: 16, memory: 32, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cax11", arch: "arm64", cores: 2, memory: 4, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cax21", arch: "arm64", cores: 4, memory: 8, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cax31", arch: "arm64", cores: 8, memory: 16, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cax41", arch: "arm64", cores: 16, memory: 32, status: "not-orderable", source: HETZNER_COM_2026_09 },
  { name: "cx22", arch: "amd64", cores: 2, memory: 4, status: "retired", note: "renamed cx23 in June 2026", source: HETZNER_COM_2026_09 },
  { name: "cx32", arch: "amd64", cores: 4, memory: 8, status: "retired", note: "renamed cx33 in June 2026", source: HETZNER_COM_2026_09 },
  { name: "cx42", arch: "amd64", cores: 8, memory: 16, status: "retired", note: "renamed cx43 in June 2026", source: HETZNER_COM_2026_09 },
  { name: "cx52", arch: "amd64", cores: 16, memory: 32, status: "retired", note: "renamed cx53 in June 2026", source: HETZNER_COM_2026_09 },
];

/** The date the tables above were put together from their sources. */
export const TYPES_READ_ON = "2026-12-02";

export function loadBalancerType(name: string): LoadBalancerType | undefined {
  return LOAD_BALANCER_TYPES.find((t) => t.name === name);
}

export function serverType(name: string): ServerType | undefined {
  return SERVER_TYPES.find((t) => t.name === name);
}

/** The server types that can be ordered now, for messages: `cpx22 (amd64, 2 vCPU, 4 GB)`. */
export function orderableTypes(): string[] {
  return SERVER_TYPES.filter((t) => t.status === "orderable").map((t) => `${t.name} (${t.arch}, ${t.cores} vCPU, ${t.memory} GB)`);
}

/** The smallest orderable server type of an architecture with at least the cores and memory of `name`. */
export function orderableAlternative(name: string, arch: Arch): ServerType | undefined {
  const wanted = serverType(name);
  return SERVER_TYPES.find(
    (t) =>
      t.status === "orderable" &&
      t.arch === arch &&
      t.cores >= (wanted?.cores ?? 0) &&
      t.memory >= (wanted?.memory ?? 0),
  );
}
