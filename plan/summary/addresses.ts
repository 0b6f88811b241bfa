/**
 * Addresses in the summary that are not real ones, labelled: the documentation ranges a stack file should not keep
 * (RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 3849: 2001:db8::/32), and the public addresses the
 * offline engine makes up for what Hetzner assigns at deploy time (plan/mocks.ts draws them from the same ranges).
 */
import { checkedCidr, containsCidr, parseCidr, parseIp } from "../../src/net/cidr";

export const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"] as const;

const RANGES = DOCUMENTATION_RANGES.map((r) => checkedCidr(r));

/** Whether an address or a CIDR lies in a documentation range. */
export function isDocumentationAddress(text: string): boolean {
  const cidr = parseCidr(text.includes("/") ? text : `${text}/${parseIp(text)?.version === 6 ? 128 : 32}`);
  return cidr !== undefined && RANGES.some((r) => r.version === cidr.version && containsCidr(r, cidr));
}

/** The marks, and the legend the summary prints once when it used them. */
export const MARKS = {
  /** An address the stack file gives, in a documentation range. */
  config: "(example)",
  /** An address Hetzner assigns on `pulumi up`, made up offline. */
  assigned: "(placeholder)",
} as const;

export const LEGEND = {
  config: `${MARKS.config}: an address from a documentation range (RFC 5737, RFC 3849) in the stack file: put your own there`,
  assigned: `${MARKS.assigned}: made up by the offline plan; Hetzner assigns the real address on pulumi up`,
} as const;

/** Collects which marks a summary used, for its legend. */
export class AddressMarks {
  private readonly used = new Set<keyof typeof MARKS>();

  /** An address the stack file gives: marked when it is a documentation address. */
  config(text: string): string {
    if (!isDocumentationAddress(text)) return text;
    this.used.add("config");
    return `${text} ${MARKS.config}`;
  }

  /** An address Hetzner assigns at deploy time: always a placeholder offline. */
  assigned(text: string): string {
    this.used.add("assigned");
    return `${text} ${MARKS.assigned}`;
  }

  legend(): string[] {
    return (Object.keys(MARKS) as (keyof typeof MARKS)[]).filter((k) => this.used.has(k)).map((k) => `  ${LEGEND[k]}`);
  }
}
