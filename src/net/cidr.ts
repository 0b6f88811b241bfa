/**
 * IPv4/IPv6 address and CIDR arithmetic on bigints. Parsing and formatting go through ipaddr.js; the arithmetic is
 * plain integer math so that it is the same for both families.
 */
import ipaddr from "ipaddr.js";

export type IpVersion = 4 | 6;

/** A parsed IP address. */
export interface Ip {
  readonly version: IpVersion;
  readonly value: bigint;
}

/** A parsed CIDR range. `base` is the address as written; `network` has the host bits cleared. */
export interface Cidr {
  readonly version: IpVersion;
  readonly base: bigint;
  readonly network: bigint;
  readonly prefix: number;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

export function bitsOf(version: IpVersion): number {
  return BITS[version];
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
}

function fromBigInt(value: bigint, version: IpVersion): string {
  const bytes: number[] = [];
  let rest = value;
  for (let i = 0; i < BITS[version] / 8; i++) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

function isStrictAddress(text: string): boolean {
  // ipaddr.js also accepts shorthand like "10.1" or "0x0a.1"; only dotted quads and real IPv6 are addresses here.
  return ipaddr.IPv4.isValidFourPartDecimal(text) || (text.includes(":") && ipaddr.IPv6.isValid(text));
}

/** Parses an IP address, or returns undefined when `text` is not a plain IPv4 dotted quad or IPv6 address. */
export function parseIp(text: string): Ip | undefined {
  if (!isStrictAddress(text)) return undefined;
  const addr = ipaddr.parse(text);
  return { version: addr.kind() === "ipv4" ? 4 : 6, value: toBigInt(addr.toByteArray()) };
}

/** Parses `a.b.c.d/n` or `x::/n`, or returns undefined when it is not a CIDR. Host bits may be set (see isCanonical). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > BITS[ip.version]) return undefined;
  return { version: ip.version, base: ip.value, network: ip.value & maskOf(ip.version, prefix), prefix };
}

/** A CIDR the config's schema has already checked (a site's ranges); throws naming the text if it is not one. */
export function checkedCidr(text: string): Cidr {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`${JSON.stringify(text)} is not a CIDR`);
  return cidr;
}

function maskOf(version: IpVersion, prefix: number): bigint {
  const bits = BITS[version];
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

/** True when no host bits are set (10.42.0.0/16, not 10.42.0.1/16). */
export function isCanonical(cidr: Cidr): boolean {
  return cidr.base === cidr.network;
}

export function formatIp(ip: Ip): string {
  return fromBigInt(ip.value, ip.version);
}

/** The canonical text of a range: its network address and prefix. */
export function formatCidr(cidr: Cidr): string {
  return `${fromBigInt(cidr.network, cidr.version)}/${cidr.prefix}`;
}

/** Number of addresses in the range. */
export function sizeOf(cidr: Cidr): bigint {
  return 1n << BigInt(BITS[cidr.version] - cidr.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.version !== b.version) return false;
  const shift = BigInt(BITS[a.version] - Math.min(a.prefix, b.prefix));
  return a.network >> shift === b.network >> shift;
}

/** True when `inner` lies entirely inside `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return outer.version === inner.version && inner.prefix >= outer.prefix && overlaps(outer, inner);
}

export function containsIp(cidr: Cidr, ip: Ip): boolean {
  return cidr.version === ip.version && (ip.value & maskOf(ip.version, cidr.prefix)) === cidr.network;
}

/** The address `offset` addresses after the network address (offset 0 is the network address itself). */
export function addressAt(cidr: Cidr, offset: bigint): Ip {
  if (offset < 0n || offset >= sizeOf(cidr)) {
    throw new RangeError(`offset ${offset} is outside ${formatCidr(cidr)}`);
  }
  return { version: cidr.version, value: cidr.network + offset };
}

/** The `index`-th sub-range of length `prefix` inside `cidr`. */
export function subnetAt(cidr: Cidr, prefix: number, index: number): Cidr {
  if (prefix < cidr.prefix || prefix > BITS[cidr.version]) {
    throw new RangeError(`/${prefix} does not fit inside ${formatCidr(cidr)}`);
  }
  const count = 1n << BigInt(prefix - cidr.prefix);
  if (index < 0 || BigInt(index) >= count) {
    throw new RangeError(`subnet ${index} of /${prefix} is outside ${formatCidr(cidr)}`);
  }
  const network = cidr.network + BigInt(index) * (1n << BigInt(BITS[cidr.version] - prefix));
  return { version: cidr.version, base: network, network, prefix };
}

/** Number of `/prefix` sub-ranges inside `cidr`. */
export function subnetCount(cidr: Cidr, prefix: number): bigint {
  return prefix < cidr.prefix ? 0n : 1n << BigInt(prefix - cidr.prefix);
}

/**
 * A range of the same size as `wanted` that overlaps none of `taken`, for "e.g." hints in error messages: the next
 * free one after `wanted` inside the private space of its family (10.0.0.0/8, or fd00::/8 for IPv6), wrapping around.
 */
export function suggestFreeRange(wanted: Cidr, taken: readonly Cidr[]): Cidr | undefined {
  const space = checkedCidr(wanted.version === 4 ? "10.0.0.0/8" : "fd00::/8");
  const prefix = Math.max(wanted.prefix, space.prefix);
  const count = subnetCount(space, prefix);
  const start = containsCidr(space, wanted)
    ? (wanted.network - space.network) >> BigInt(BITS[wanted.version] - prefix)
    : -1n;
  const limit = count < 4096n ? count : 4096n;
  for (let step = 1n; step <= limit; step++) {
    const candidate = subnetAt(space, prefix, Number((start + step + count) % count));
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  return undefined;
}
